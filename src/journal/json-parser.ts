/**
 * Parser of `journalctl -o json` output: one JSON object per line (log-formats.md §1.2).
 * - every value is a string (numbers too);
 * - MESSAGE may be an array of byte values (not printable UTF-8) -> decoded as UTF-8 with replacement;
 * - MESSAGE may be null (value >= 4096 bytes and journalctl ran without --all) -> skipped 'no_message';
 * - a field repeated in one entry is an array of values (MESSAGE values are joined with '\n').
 * Blank lines are ignored; a line that is not a JSON object is skipped as 'malformed'.
 */
import type { JournalEntry } from '../core/types.js';
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

type Decoded = { text: string; invalid: boolean } | null | undefined;

function isByteArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255);
}

/** Decode one JSON journal value: string, byte array, or an array of those. undefined: absent/unusable; null: JSON null. */
function decodeValue(v: unknown): Decoded {
  if (v === null) return null;
  if (typeof v === 'string') return { text: v, invalid: false };
  if (Array.isArray(v)) {
    if (v.length > 0 && isByteArray(v)) {
      const b = Buffer.from(v);
      const text = b.toString('utf8');
      return { text, invalid: text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(b) };
    }
    const parts = v.map(decodeValue).filter((x): x is { text: string; invalid: boolean } => x !== null && x !== undefined);
    if (parts.length === 0) return v.some((x) => x === null) ? null : undefined;
    return { text: parts.map((p) => p.text).join('\n'), invalid: parts.some((p) => p.invalid) };
  }
  return undefined;
}

/** A metadata field: a repeated field (array of values) gives its first value. */
function field(o: Record<string, unknown>, name: string): string | null {
  let v = o[name];
  if (Array.isArray(v) && v.length > 0 && !isByteArray(v)) v = v[0];
  const d = decodeValue(v);
  return d === null || d === undefined ? null : d.text;
}

function intField(o: Record<string, unknown>, name: string): number | null {
  const v = o[name];
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null; // not journalctl, but harmless
  const s = field(o, name);
  if (s === null || !/^\d{1,17}$/.test(s)) return null;
  return Number(s);
}

/** Cheap extraction of "__CURSOR":"..." from a raw line (cursors contain no quotes or escapes). */
function rawCursor(buf: Buffer, start: number, end: number): string | null {
  const k = buf.indexOf(CURSOR_KEY, start);
  if (k < 0 || k >= end) return null;
  const q1 = buf.indexOf(0x22, k + CURSOR_KEY.length); // opening quote of the value
  if (q1 < 0 || q1 >= end) return null;
  const q2 = buf.indexOf(0x22, q1 + 1);
  if (q2 < 0 || q2 >= end) return null;
  return buf.toString('utf8', q1 + 1, q2);
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
    const c = rawCursor(buf, s, end);
    if (c !== null) cursor = c;
    if (want !== undefined && !want(buf.subarray(s, end))) {
      stats.filtered++;
      return;
    }
    let o: unknown;
    try {
      o = JSON.parse(buf.toString('utf8', s, end));
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
