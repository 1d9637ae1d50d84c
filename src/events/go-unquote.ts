/**
 * Go `%q` unquoting and logrus text-line splitting (log-formats.md §4.1).
 *
 * CRI-O writes `time="…" level=… msg=<quoted-or-bare> k=v…`; values are quoted with Go `%q`
 * only when they contain characters outside `[A-Za-z0-9-._/@^+]`. `\xNN` escapes stand for raw
 * bytes, so bytes are collected and decoded as UTF-8 at the end.
 */

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };

function isHex(s: string): boolean {
  return /^[0-9a-fA-F]+$/.test(s);
}

/**
 * Unquote the body of a Go `%q` string (without the surrounding quotes).
 * Unknown or truncated escapes are kept literally (never throws).
 */
export function goUnquote(body: string): string {
  if (body.indexOf('\\') < 0) return body;
  let out = '';
  let bytes: number[] | null = null;
  const flushBytes = (): void => {
    if (bytes && bytes.length > 0) out += Buffer.from(bytes).toString('utf8');
    bytes = null;
  };
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      flushBytes();
      out += ch;
      i++;
      continue;
    }
    const e = body[i + 1]!;
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      flushBytes();
      out += String.fromCharCode(simple);
      i += 2;
      continue;
    }
    if (e === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (hex.length === 2 && isHex(hex)) {
        (bytes ??= []).push(parseInt(hex, 16));
        i += 4;
        continue;
      }
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (hex.length === n && isHex(hex)) {
        const cp = parseInt(hex, 16);
        flushBytes();
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
        i += 2 + n;
        continue;
      }
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i + 1, i + 4);
      if (/^[0-7]{3}$/.test(oct)) {
        (bytes ??= []).push(parseInt(oct, 8) & 0xff);
        i += 4;
        continue;
      }
    }
    // not a valid escape: keep it literally
    flushBytes();
    out += ch;
    i++;
  }
  flushBytes();
  return out;
}

/** A logrus text line split into its parts. `fields` excludes time/level/msg; values are unquoted. */
export interface LogrusLine {
  time: string;
  level: string;
  msg: string;
  fields: Record<string, string>;
}

/**
 * Read one `key=value` token starting at `i` (value quoted or bare).
 * Returns the raw (still quoted) value and the index after it.
 */
function readValue(s: string, i: number): { raw: string; quoted: boolean; end: number } {
  if (s[i] === '"') {
    let j = i + 1;
    while (j < s.length) {
      const c = s[j];
      if (c === '\\') j += 2;
      else if (c === '"') break;
      else j++;
    }
    return { raw: s.slice(i + 1, Math.min(j, s.length)), quoted: true, end: Math.min(j + 1, s.length) };
  }
  let j = s.indexOf(' ', i);
  if (j < 0) j = s.length;
  return { raw: s.slice(i, j), quoted: false, end: j };
}

/**
 * Split a CRI-O logrus line. Returns null when the line does not start with `time=`
 * or has no `msg=` (not a logrus record).
 */
export function parseLogrus(line: string): LogrusLine | null {
  const head = scanLogrus(line, false);
  return head ? { time: head.time, level: head.level, msg: head.msg, fields: head.fields } : null;
}

/** time/level/msg only; the other fields are parsed on demand (most patterns never need them). */
export interface LogrusHead {
  time: string;
  level: string;
  msg: string;
  /** parse the remaining k=v fields (memoised) */
  fields(): Record<string, string>;
}

export function parseLogrusHead(line: string): LogrusHead | null {
  const h = scanLogrus(line, true);
  if (!h) return null;
  let fields: Record<string, string> | null = null;
  const restAt = h.restAt;
  return {
    time: h.time,
    level: h.level,
    msg: h.msg,
    fields: () => (fields ??= restAt < line.length ? (scanLogrus(line, false, restAt)?.fields ?? {}) : {}),
  };
}

function scanLogrus(
  line: string,
  stopAfterMsg: boolean,
  from = 0,
): { time: string; level: string; msg: string; fields: Record<string, string>; restAt: number } | null {
  if (from === 0 && !line.startsWith('time=')) return null;
  const out = { time: '', level: '', msg: '', fields: {} as Record<string, string>, restAt: line.length };
  let sawMsg = from > 0;
  let i = from;
  const n = line.length;
  while (i < n) {
    while (i < n && line[i] === ' ') i++;
    if (i >= n) break;
    const eq = line.indexOf('=', i);
    if (eq < 0) break;
    const key = line.slice(i, eq);
    if (key.length === 0 || key.includes(' ')) {
      // garbage between fields: skip the word
      const sp = line.indexOf(' ', i);
      i = sp < 0 ? n : sp;
      continue;
    }
    const v = readValue(line, eq + 1);
    const value = v.quoted ? goUnquote(v.raw) : v.raw;
    i = v.end;
    if (key === 'time') out.time = value;
    else if (key === 'level') out.level = value;
    else if (key === 'msg') {
      out.msg = value;
      sawMsg = true;
      if (stopAfterMsg) {
        out.restAt = i;
        return out;
      }
    } else out.fields[key] = value;
  }
  return sawMsg ? out : null;
}

/** Go `strconv.Quote`-like escaping, used to flatten joined klog blocks into one quoted value. */
export function goQuoteBody(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
