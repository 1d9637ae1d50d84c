/**
 * The config engine's error vocabulary: a Fatal carries CRI-O's own failure (or crio-sentinel's
 * "not evaluated") up to the orchestrator, which stops applying files there as CRI-O does.
 */
import type { FatalError } from './resolution.js';

export class Fatal extends Error {
  constructor(readonly fatal: FatalError) {
    super(fatal.message);
  }
}

/** Make any text safe for one output line: control characters and invalid bytes are escaped. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\ufffd]/g, (c) => (c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Run a view call that may throw (ELOOP, EACCES …); the fallback stands for "cannot tell". */
export function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
