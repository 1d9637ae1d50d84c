/**
 * klog record handling (log-formats.md §1.3, §4.2):
 * - `splitKlogHeader` finds the record text after `<S><MMDD> <time> <pid> <file>:<line>] `;
 * - `parseKlogKV` reads `k="quoted" k=<bare> k={json} k=[json]` pairs;
 * - `createKlogJoiner` joins multi-line records (header ending `err=<`, TAB continuation entries,
 *   closing ` > k=v…` entry) per (_PID, _STREAM_ID) into ONE flattened single-line record
 *   (`err=<…>` becomes `err="<Go-quoted body>"`), so the same catalogue rows match both forms.
 *   Bounded: an unterminated record is dropped (and counted) after `maxLines` lines, when a new
 *   header arrives for the same stream, or when more than `maxOpen` streams are open.
 */
import { goQuoteBody, goUnquote } from './go-unquote.js';

export interface KlogHeader {
  severity: 'I' | 'W' | 'E' | 'F';
  /** record text after `] ` */
  rest: string;
}

/** Cheap header split without a regex; null when the line is not a klog header. */
export function splitKlogHeader(line: string): KlogHeader | null {
  const s = line.charCodeAt(0);
  // I W E F
  if (s !== 73 && s !== 87 && s !== 69 && s !== 70) return null;
  const c1 = line.charCodeAt(1);
  if (c1 < 48 || c1 > 57) return null;
  const close = line.indexOf('] ', 14);
  if (close < 0 || close > 120) return null;
  return { severity: line[0] as KlogHeader['severity'], rest: line.slice(close + 2) };
}

/** Index after a balanced JSON-ish value starting at `i` with `open` ('{' or '['). */
function skipBalanced(s: string, i: number): number {
  let depth = 0;
  let inStr = false;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (inStr) {
      if (c === '\\') j++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return s.length;
}

/**
 * Parse klog key/values from `text` (the part after the quoted message). Quoted values are
 * unquoted (strconv.Quote = Go %q); JSON values are kept as written.
 */
export function parseKlogKV(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const key = text.slice(i, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      const sp = text.indexOf(' ', i);
      if (sp < 0) break;
      i = sp + 1;
      continue;
    }
    const v0 = text[eq + 1];
    let end: number;
    let value: string;
    if (v0 === '"') {
      let j = eq + 2;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      value = goUnquote(text.slice(eq + 2, Math.min(j, n)));
      end = j + 1;
    } else if (v0 === '{' || v0 === '[') {
      end = skipBalanced(text, eq + 1);
      value = text.slice(eq + 1, end);
    } else {
      const sp = text.indexOf(' ', eq + 1);
      end = sp < 0 ? n : sp;
      value = text.slice(eq + 1, end);
    }
    if (!(key in out)) out[key] = value;
    i = end;
  }
  return out;
}

/** Split a structured record `"msg" k=v…` into msg and kv text; null for legacy free text. */
export function splitStructured(rest: string): { msg: string; kv: string } | null {
  if (rest.charCodeAt(0) !== 34) return null;
  let j = 1;
  while (j < rest.length && rest[j] !== '"') j += rest[j] === '\\' ? 2 : 1;
  return { msg: rest.slice(1, j), kv: rest.slice(j + 1) };
}

export interface JoinerStats {
  joined: number;
  /** unterminated records dropped (too long, superseded by a new header, too many open streams) */
  dropped: number;
  /** continuation lines without an open record */
  orphans: number;
}

export interface JoinedRecord {
  severity: KlogHeader['severity'];
  /** flattened single-line record text (after the header) */
  rest: string;
  /** the original entries joined with "\n" (for evidence) */
  raw: string;
  /** time of the header entry (µs) */
  realtimeUs: number;
}

export interface KlogJoiner {
  /**
   * Feed one kubelet entry. Returns the record to classify now (a single-line record, or the
   * completed join), or null (header of a block, continuation, or not klog at all).
   */
  push(key: string | (() => string), message: string, realtimeUs: number): JoinedRecord | null;
  stats(): JoinerStats;
  open(): number;
  /** the records still open (their lines were read, the record is not complete), for a daemon restart */
  exportOpen(): OpenRecord[];
  importOpen(records: OpenRecord[]): void;
}

export interface OpenRecord extends Open {
  key: string;
}

interface Open {
  severity: KlogHeader['severity'];
  head: string;
  lines: string[];
  raw: string[];
  realtimeUs: number;
}

export function createKlogJoiner(opts: { maxLines?: number; maxOpen?: number } = {}): KlogJoiner {
  const maxLines = opts.maxLines ?? 64;
  const maxOpen = opts.maxOpen ?? 256;
  const open = new Map<string, Open>();
  const stats: JoinerStats = { joined: 0, dropped: 0, orphans: 0 };

  return {
    push(keyOrFn, message, realtimeUs) {
      // the key (_PID/_STREAM_ID) is only built when a record is open or opens
      const keyOf = (): string => (typeof keyOrFn === 'string' ? keyOrFn : keyOrFn());
      const c0 = message.charCodeAt(0);
      if (c0 === 9) {
        // TAB continuation
        const key = keyOf();
        const o = open.size > 0 ? open.get(key) : undefined;
        if (!o) {
          stats.orphans++;
          return null;
        }
        if (o.lines.length >= maxLines) {
          open.delete(key);
          stats.dropped++;
          return null;
        }
        o.lines.push(message.slice(1));
        o.raw.push(message);
        return null;
      }
      if (c0 === 32 && message.charCodeAt(1) === 62) {
        // " >" closing line
        const key = keyOf();
        const o = open.size > 0 ? open.get(key) : undefined;
        if (!o) {
          stats.orphans++;
          return null;
        }
        open.delete(key);
        stats.joined++;
        const tail = message.length > 2 && message[2] === ' ' ? message.slice(3) : message.slice(2);
        const body = goQuoteBody(o.lines.join('\n'));
        return {
          severity: o.severity,
          rest: `${o.head}"${body}"${tail ? ' ' + tail : ''}`,
          raw: [...o.raw, message].join('\n'),
          realtimeUs: o.realtimeUs,
        };
      }
      const h = splitKlogHeader(message);
      if (!h) return null;
      const opens = h.rest.endsWith('=<');
      const key = open.size > 0 || opens ? keyOf() : '';
      if (open.size > 0 && open.has(key)) {
        // a new header supersedes an unterminated record
        open.delete(key);
        stats.dropped++;
      }
      if (opens) {
        if (open.size >= maxOpen) {
          const oldest = open.keys().next().value as string;
          open.delete(oldest);
          stats.dropped++;
        }
        open.set(key, { severity: h.severity, head: h.rest.slice(0, -1), lines: [], raw: [message], realtimeUs });
        return null;
      }
      return { severity: h.severity, rest: h.rest, raw: message, realtimeUs };
    },
    stats: () => ({ ...stats }),
    open: () => open.size,
    exportOpen: () => [...open].map(([key, o]) => ({ key, severity: o.severity, head: o.head, lines: [...o.lines], raw: [...o.raw], realtimeUs: o.realtimeUs })),
    importOpen(records) {
      for (const r of records) {
        if (open.size >= maxOpen) break;
        open.set(r.key, { severity: r.severity, head: r.head, lines: [...r.lines], raw: [...r.raw], realtimeUs: r.realtimeUs });
      }
    },
  };
}
