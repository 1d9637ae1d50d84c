/**
 * Summaries of the live CRI-O config (TOML from `GET /config` on the CRI socket, or the journal's
 * `Current CRI-O configuration:` dump).
 */
import { parseToml, TomlSyntaxError } from './toml.js';
import { isTable, setOwn } from './schema.js';

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
    doc = parseToml(toml);
  } catch (e) {
    if (!(e instanceof TomlSyntaxError)) throw e;
    throw new Error(`invalid CRI-O config TOML: line ${e.line ?? 1}, column ${e.column ?? 1}: ${e.text}`);
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
    setOwn(out.runtimes, name, { runtimePath: s(h.runtime_path), runtimeRoot: s(h.runtime_root), runtimeType: s(h.runtime_type) });
  }
  return out;
}
