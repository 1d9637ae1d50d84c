import type { Provenance } from '../core/types.js';
import type { Resolution } from './resolution.js';

/** Human wording of a provenance, for evidence lines. */
export function describeSource(r: Pick<Resolution, 'loaded'>, src: Provenance): string {
  if ('builtin' in src) return 'CRI-O built-in default';
  if ('flag' in src) return src.flag.startsWith('--') ? `command-line flag ${src.flag}` : `environment variable ${src.flag}`;
  const text = src.line !== null ? r.loaded.get(src.file)?.text.split('\n')[src.line - 1]?.trim() : undefined;
  return `file ${src.file}${src.line !== null ? ` line ${src.line}` : ''}${text ? `: ${text}` : ''}`;
}
