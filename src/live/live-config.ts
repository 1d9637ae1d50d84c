/**
 * The part of CRI-O's live config (`GET /config` TOML) that crio-sentinel compares with the files:
 * the default runtime and each handler's configured path, root and type.
 */
import TOML from '@iarna/toml';
import type { LiveCrio } from '../core/types.js';

export interface LiveConfigSummary {
  defaultRuntime: string | null;
  runtimes: NonNullable<LiveCrio['runtimes']>;
}

function table(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Parse the TOML body of GET /config; throws an Error naming the TOML line on a syntax error. */
export function summarizeLiveConfig(toml: string): LiveConfigSummary {
  let doc: Record<string, unknown>;
  try {
    doc = TOML.parse(toml) as Record<string, unknown>;
  } catch (err) {
    const e = err as { line?: number; message?: string };
    throw new Error(`GET /config: TOML does not parse${e.line !== undefined ? ` (line ${e.line + 1})` : ''}: ${(e.message ?? String(err)).split('\n')[0]}`);
  }
  const runtime = table(table(doc.crio)?.runtime);
  const runtimes: LiveConfigSummary['runtimes'] = {};
  const rt = table(runtime?.runtimes) ?? {};
  for (const [name, v] of Object.entries(rt)) {
    const h = table(v);
    if (!h) continue;
    runtimes[name] = { runtimePath: str(h.runtime_path), runtimeRoot: str(h.runtime_root), runtimeType: str(h.runtime_type) };
  }
  const d = str(runtime?.default_runtime);
  return { defaultRuntime: d === '' ? null : d, runtimes };
}
