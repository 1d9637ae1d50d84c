/**
 * The contract every journal parser and source delivers into: normalised entries, and counted
 * skips with a reason (a metric label) and a one-line detail (for logs).
 */
import type { JournalEntry, SkipReason } from './entry.js';

export interface JournalSink {
  entry(e: JournalEntry): void;
  skip(reason: SkipReason, detail: string): void;
  /**
   * An entry the wantMessage prefilter dropped before decoding its MESSAGE (optional): the
   * daemon still counts it per unit and keeps the last-entry time, without paying for decoding.
   */
  filtered?(unit: string | null, identifier: string | null, realtimeUs: number): void;
}

/** Counters a parser keeps; plain data, safe to serialise. */
export interface ParserStats {
  /** bytes pushed into the parser */
  bytes: number;
  /** complete records seen (delivered + filtered + skipped) */
  records: number;
  /** entries delivered to sink.entry */
  entries: number;
  /** entries dropped by the wantMessage prefilter (not an error) */
  filtered: number;
  /** skipped records by reason */
  skipped: Partial<Record<SkipReason, number>>;
  /** delivered entries whose MESSAGE was not valid UTF-8 (decoded with U+FFFD replacement) */
  invalidUtf8: number;
}

/** A push-style streaming parser over Buffers. push() takes ownership of the chunk (it may keep slices of it). */
export interface StreamParser {
  push(chunk: Buffer): void;
  /** End of input: a record cut off mid-way is skipped as 'truncated'. */
  end(): void;
  stats(): ParserStats;
  /** __CURSOR of the last complete record seen (delivered, filtered or skipped), or null. */
  lastCursor(): string | null;
}

export interface ParserOptions {
  /** Largest value kept for a field we decode (MESSAGE). Default 1 MiB + 64 KiB. Larger: record skipped as 'oversize'. */
  maxFieldBytes?: number;
  /**
   * Cheap prefilter on the raw MESSAGE bytes (export) or the raw line (JSON, text), called before
   * anything is decoded. Return false to drop the entry (counted as `filtered`, not as a skip).
   */
  wantMessage?: (raw: Buffer) => boolean;
}

export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024 + 64 * 1024;

export function emptyStats(): ParserStats {
  return { bytes: 0, records: 0, entries: 0, filtered: 0, skipped: {}, invalidUtf8: 0 };
}

export function countSkip(stats: ParserStats, reason: SkipReason): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
}

/** Decode UTF-8 with replacement; reports whether the input was invalid (only checked when a U+FFFD shows up). */
export function decodeUtf8(buf: Buffer, start: number, end: number): { text: string; invalid: boolean } {
  const text = buf.toString('utf8', start, end);
  if (text.indexOf('\uFFFD') < 0) return { text, invalid: false };
  // a real U+FFFD in valid input is possible: check exactly
  return { text, invalid: !isValidUtf8(buf.subarray(start, end)) };
}

function isValidUtf8(b: Buffer): boolean {
  // Buffer round trip: valid UTF-8 re-encodes to the same bytes
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** Map a unit name of PID 1 lines: UNIT wins when _SYSTEMD_UNIT is absent or init.scope. */
export function effectiveUnit(systemdUnit: string | null, unit: string | null): string | null {
  if (unit !== null && (systemdUnit === null || systemdUnit === 'init.scope')) return unit;
  return systemdUnit;
}
