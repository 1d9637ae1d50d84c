import type { Provenance } from '../core/contracts.js';
import type { LoadedFile, Resolution } from './resolution.js';

/** Start offsets of each line of a loaded file, computed once per file (not once per handler). */
const lineStarts = new WeakMap<LoadedFile, number[]>();

function lineText(f: LoadedFile, line: number): string | undefined {
  let starts = lineStarts.get(f);
  if (starts === undefined) {
    starts = [0];
    for (let i = f.text.indexOf('\n'); i >= 0; i = f.text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStarts.set(f, starts);
  }
  const start = starts[line - 1];
  if (start === undefined) return undefined;
  const next = starts[line];
  return f.text.slice(start, next === undefined ? f.text.length : next - 1);
}

/** Human wording of a provenance, for evidence lines. */
export function describeSource(r: Pick<Resolution, 'loaded'>, src: Provenance): string {
  if ('builtin' in src) return 'CRI-O built-in default';
  if ('flag' in src) return src.flag.startsWith('--') ? `command-line flag ${src.flag}` : `environment variable ${src.flag}`;
  const file = src.line !== null ? r.loaded.get(src.file) : undefined;
  const text = file && src.line !== null ? lineText(file, src.line)?.trim() : undefined;
  return `file ${src.file}${src.line !== null ? ` line ${src.line}` : ''}${text ? `: ${text}` : ''}`;
}
