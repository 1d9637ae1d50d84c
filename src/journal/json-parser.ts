/**
 * Parser of `journalctl -o json` output: one JSON object per line (log-formats.md §1.2).
 * - every value is a string (numbers too);
 * - MESSAGE may be an array of byte values (not printable UTF-8) -> decoded as UTF-8 with replacement;
 * - MESSAGE may be null (value >= 4096 bytes and journalctl ran without --all) -> skipped 'no_message';
 * - a field repeated in one entry is an array of values (MESSAGE values are joined with '\n').
 * Blank lines are ignored; a line that is not a JSON object, or whose MESSAGE is not one of these
 * shapes (an array nested deeper, an object, a number), is skipped as 'malformed'. Values are never
 * walked recursively: hostile nesting costs one JSON.parse (which is iterative), not the stack.
 */
import type { JournalEntry } from './entry.js';
import { createLineSplitter } from './lines.js';
import {
  DEFAULT_MAX_FIELD_BYTES,
  countSkip,
  effectiveUnit,
  emptyStats,
  type JournalSink,
  type ParserOptions,
  type StreamParser,
} from './sink.js';

const CURSOR_KEY = Buffer.from('"__CURSOR"');

type Text = { text: string; invalid: boolean };
/** undefined: absent; null: JSON null; BAD: present but not a shape journalctl writes */
type Decoded = Text | null | undefined | typeof BAD;
const BAD = Symbol('bad');

function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255);
}

/** One journalctl value: a string, null, or a non-empty array of byte values. */
function decodeScalar(v: unknown): Text | null | typeof BAD {
  if (v === null) return null;
  if (typeof v === 'string') return { text: v, invalid: false };
  if (Array.isArray(v) && v.length > 0 && isByteArray(v)) {
    const b = Buffer.from(v);
    const text = b.toString('utf8');
    return { text, invalid: text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(b) };
  }
  return BAD;
}

/**
 * Decode one JSON journal value: a scalar (see decodeScalar) or, for a field repeated in the entry,
 * an array of scalars. journalctl nests no deeper; anything else is BAD (the record is malformed),
 * so hostile nesting is never walked recursively.
 */
function decodeValue(v: unknown): Decoded {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || isByteArray(v)) return decodeScalar(v);
  if (v.length === 0) return BAD;
  const parts: Text[] = [];
  let nulls = 0;
  for (const x of v as unknown[]) {
    const d = decodeScalar(x);
    if (d === BAD) return BAD;
    if (d === null) nulls++;
    else parts.push(d);
  }
  if (parts.length === 0) return nulls > 0 ? null : BAD;
  return { text: parts.map((p) => p.text).join('\n'), invalid: parts.some((p) => p.invalid) };
}

/** A metadata field: a repeated field (array of values) gives its first value. */
function field(o: Record<string, unknown>, name: string): string | null {
  let v = o[name];
  if (Array.isArray(v) && v.length > 0 && !isByteArray(v)) v = v[0];
  const d = decodeValue(v);
  return d === null || d === undefined || d === BAD ? null : d.text;
}

function intField(o: Record<string, unknown>, name: string): number | null {
  const v = o[name];
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null; // not journalctl, but harmless
  const s = field(o, name);
  if (s === null || !/^\d{1,17}$/.test(s)) return null;
  return Number(s);
}

/**
 * Cheap extraction of "__CURSOR":"..." from one raw line (cursors contain no quotes or escapes).
 * `line` is that line alone: every search ends at its end, whatever the size of the chunk it is
 * cut from (searching the chunk from the line's start made a 1 MiB chunk of cursor-less lines
 * quadratic).
 */
export function rawCursor(line: Buffer): string | null {
  const k = line.indexOf(CURSOR_KEY);
  if (k < 0) return null;
  const q1 = line.indexOf(0x22, k + CURSOR_KEY.length); // opening quote of the value
  if (q1 < 0) return null;
  const q2 = line.indexOf(0x22, q1 + 1);
  if (q2 < 0) return null;
  return line.toString('utf8', q1 + 1, q2);
}

export function createJsonParser(sink: JournalSink, opts: ParserOptions = {}): StreamParser {
  const maxField = opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  // a MESSAGE of maxField bytes as a JSON byte array takes up to 4 bytes per byte
  const maxLine = maxField * 4 + 64 * 1024;
  const want = opts.wantMessage;
  const stats = emptyStats();
  let lineNo = 0;
  let cursor: string | null = null;
  let atEnd = false;

  function skip(reason: 'malformed' | 'no_message' | 'no_timestamp' | 'oversize' | 'truncated', detail: string): void {
    countSkip(stats, reason);
    sink.skip(reason, `line ${lineNo}: ${detail}`);
  }

  function onLine(buf: Buffer, start: number, end: number): void {
    lineNo++;
    let s = start;
    while (s < end && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
    if (s === end) return;
    stats.records++;
    const line = buf.subarray(s, end);
    const c = rawCursor(line);
    if (c !== null) cursor = c;
    if (want !== undefined && !want(line)) {
      stats.filtered++;
      return;
    }
    let o: unknown;
    try {
      o = JSON.parse(line.toString('utf8'));
    } catch (err) {
      if (atEnd) {
        skip('truncated', 'input ended inside a JSON record');
        return;
      }
      skip('malformed', `not JSON (${err instanceof Error ? err.message.slice(0, 80) : 'parse error'})`);
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      skip('malformed', 'not a JSON object');
      return;
    }
    const rec = o as Record<string, unknown>;
    const realtimeUs = intField(rec, '__REALTIME_TIMESTAMP');
    if (realtimeUs === null) {
      skip('no_timestamp', 'no valid __REALTIME_TIMESTAMP');
      return;
    }
    const msg = decodeValue(rec['MESSAGE']);
    if (msg === null) {
      skip('no_message', 'MESSAGE is null (journalctl ran without --all; rerun with --all)');
      return;
    }
    if (msg === undefined) {
      skip('no_message', 'no MESSAGE field');
      return;
    }
    if (msg === BAD) {
      skip('malformed', 'MESSAGE is not a string, a byte array or a list of these');
      return;
    }
    if (Buffer.byteLength(msg.text, 'utf8') > maxField) {
      skip('oversize', `MESSAGE larger than ${maxField} bytes`);
      return;
    }
    if (msg.invalid) stats.invalidUtf8++;
    const e: JournalEntry = {
      cursor: field(rec, '__CURSOR'),
      realtimeUs,
      unit: effectiveUnit(field(rec, '_SYSTEMD_UNIT'), field(rec, 'UNIT')),
      identifier: field(rec, 'SYSLOG_IDENTIFIER'),
      transport: field(rec, '_TRANSPORT'),
      pid: intField(rec, '_PID'),
      streamId: field(rec, '_STREAM_ID'),
      bootId: field(rec, '_BOOT_ID'),
      message: msg.text,
    };
    stats.entries++;
    sink.entry(e);
  }

  const lines = createLineSplitter(
    onLine,
    (bytes) => {
      lineNo++;
      stats.records++;
      skip('oversize', `line of ${bytes} bytes is longer than ${maxLine}`);
    },
    maxLine,
  );

  return {
    push(chunk: Buffer): void {
      stats.bytes += chunk.length;
      lines.push(chunk);
    },
    end(): void {
      atEnd = true;
      lines.end();
      atEnd = false;
    },
    stats: () => ({ ...stats, skipped: { ...stats.skipped } }),
    lastCursor: () => cursor,
  };
}
