/**
 * Summaries of the live CRI-O config (TOML from `GET /config` on the CRI socket, or the journal's
 * `Current CRI-O configuration:` dump).
 */
import * as TOML from '@iarna/toml';
import { isTable } from './schema.js';

export interface CrioTomlSummary {
  defaultRuntime: string | null;
  runtimes: Record<string, { runtimePath: string; runtimeRoot: string; runtimeType: string }>;
}

/**
 * Default runtime and handlers of a CRI-O TOML document. Missing fields are "".
 * Throws an Error with a one-line message (`invalid CRI-O config TOML: line L, column C: …`) when
 * the text is not TOML.
 */
export function summarizeCrioToml(toml: string): CrioTomlSummary {
  let doc: Record<string, unknown>;
  try {
    doc = TOML.parse(toml) as Record<string, unknown>;
  } catch (e) {
    const err = e as { line?: number; col?: number; message?: string };
    const first = (err.message ?? String(e)).split('\n')[0]?.replace(/ at row \d+, col \d+, pos \d+:?$/, '') ?? '';
    throw new Error(`invalid CRI-O config TOML: line ${(err.line ?? 0) + 1}, column ${(err.col ?? 0) + 1}: ${first}`);
  }
  const crio = isTable(doc.crio) ? doc.crio : {};
  const runtime = isTable(crio.runtime) ? crio.runtime : {};
  const runtimes = isTable(runtime.runtimes) ? runtime.runtimes : {};
  const out: CrioTomlSummary = {
    defaultRuntime: typeof runtime.default_runtime === 'string' && runtime.default_runtime !== '' ? runtime.default_runtime : null,
    runtimes: {},
  };
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  for (const [name, h] of Object.entries(runtimes)) {
    if (!isTable(h)) continue;
    out.runtimes[name] = { runtimePath: s(h.runtime_path), runtimeRoot: s(h.runtime_root), runtimeType: s(h.runtime_type) };
  }
  return out;
}
