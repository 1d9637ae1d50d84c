/**
 * Parser of plain-text log lines, for hosts without a journal and for post-mortems:
 *  1. journalctl short-iso(-precise):  `<ISO 8601 ts> <host> <ident>[<pid>]: <MESSAGE>`
 *     (the form of sample-journal.txt; MESSAGE is everything after the first "]: ");
 *  2. classic syslog:                  `Mon DD HH:MM:SS[.frac] <host> <ident>[<pid>]: <MESSAGE>`
 *     (no year: the year is taken from the injected clock, the previous one if the date would be
 *     more than a day in the future);
 *  3. bare CRI-O logfmt lines:         `time="…" level=… msg="…"` (identifier crio);
 *  4. bare klog lines:                 `E1128 10:12:01.540522    2211 file.go:32] …` (identifier kubelet);
 *     a bare line starting with TAB or " >" continues the previous bare entry (multi-line klog value).
 * Lines starting with '#' and blank lines are ignored. Anything else has no timestamp: skipped
 * as 'no_timestamp'. Timestamps without a zone are taken as UTC.
 *
 * The identifier decides unit and transport: crio -> crio.service (stdout);
 * kubelet, hyperkube, kubenswrapper -> kubelet.service (stdout); conmon -> transport syslog, unit
 * null (its real unit is crio-conmon-<id>.scope, which a text line does not carry); kernel ->
 * transport kernel; systemd[1] -> the unit named in the message when it is crio or kubelet.
 */
import type { Clock } from '../core/clock.js';
import type { JournalEntry } from './entry.js';
import { createLineSplitter } from './lines.js';
import {
  DEFAULT_MAX_FIELD_BYTES,
  countSkip,
  decodeUtf8,
  emptyStats,
  type JournalSink,
  type ParserOptions,
  type StreamParser,
} from './sink.js';

export interface TextParserOptions extends ParserOptions {
  /** for the year of syslog timestamps and klog lines */
  clock: Clock;
}

const ISO_RE =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/;
const ENVELOPE_ISO_RE = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d(?::?\d\d)?)?) (\S+) ([^\s[\]]+?)(?:\[(\d+)\])?: /;
const ENVELOPE_SYSLOG_RE =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? (\S+) ([^\s[\]]+?)(?:\[(\d+)\])?: /;
const LOGFMT_RE = /^time="([^"]+)" level=/;
const KLOG_RE = /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9}) +(\d+) /;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function fracUs(frac: string | undefined): number {
  if (!frac) return 0;
  return Number((frac + '000000').slice(0, 6));
}

/** ISO 8601 timestamp (as journalctl and CRI-O write them) to µs since the epoch; null if not one. */
export function isoToUs(s: string): number | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (Number.isNaN(ms)) return null;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const off = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    ms -= sign * off * 60_000;
  }
  return ms * 1000 + fracUs(frac);
}

/** A date without a year: the clock's year, or the previous one when that would be > 1 day ahead. */
function yearlessToUs(clock: Clock, month: number, day: number, h: number, mi: number, s: number, frac: string | undefined): number {
  const now = clock();
  let year = new Date(now).getUTCFullYear();
  let ms = Date.UTC(year, month, day, h, mi, s);
  if (ms > now + 86_400_000) {
    year--;
    ms = Date.UTC(year, month, day, h, mi, s);
  }
  return ms * 1000 + fracUs(frac);
}

const KUBELET_IDENTS = new Set(['kubelet', 'hyperkube', 'kubenswrapper', 'kubelet.service']);

/** Unit and transport implied by an identifier (and, for systemd[1], by the message). */
export function unitForIdentifier(identifier: string, pid: number | null, message: string): { unit: string | null; transport: string | null } {
  if (identifier === 'crio') return { unit: 'crio.service', transport: 'stdout' };
  if (KUBELET_IDENTS.has(identifier)) return { unit: 'kubelet.service', transport: 'stdout' };
  if (identifier === 'conmon') return { unit: null, transport: 'syslog' };
  if (identifier === 'kernel') return { unit: null, transport: 'kernel' };
  if (identifier === 'systemd' && pid === 1) {
    if (/\bcrio\.service\b|\(CRI-O\)/.test(message)) return { unit: 'crio.service', transport: 'journal' };
    if (/\bkubelet\.service\b|Kubernetes Node Agent/.test(message)) return { unit: 'kubelet.service', transport: 'journal' };
    return { unit: 'init.scope', transport: 'journal' };
  }
  return { unit: null, transport: null };
}

export function createTextParser(sink: JournalSink, opts: TextParserOptions): StreamParser {
  const maxField = opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const want = opts.wantMessage;
  const clock = opts.clock;
  const stats = emptyStats();
  let lineNo = 0;
  /** the last bare (envelope-less) entry, for continuation lines */
  let lastBare: JournalEntry | null = null;

  function deliver(e: JournalEntry): void {
    stats.entries++;
    sink.entry(e);
  }

  /** a line with a journal envelope (`<time> <host> <ident>[<pid>]: <message>`) */
  function envelope(line: string, invalid: boolean, us: number, ident: string, pidText: string | undefined, headLen: number): void {
    lastBare = null;
    const pid = pidText !== undefined ? Number(pidText) : null;
    const message = line.slice(headLen);
    if (invalid) stats.invalidUtf8++;
    deliver({ cursor: null, realtimeUs: us, ...unitForIdentifier(ident, pid, message), identifier: ident, pid, streamId: null, bootId: null, message });
  }

  function onLine(buf: Buffer, start: number, end: number): void {
    lineNo++;
    if (start === end) return;
    const c0 = buf[start];
    if (c0 === 0x23 /* # */) return;
    stats.records++;
    if (want !== undefined && !want(buf.subarray(start, end))) {
      stats.filtered++;
      return;
    }
    const d = decodeUtf8(buf, start, end);
    const line = d.text;
    if (line.trim() === '') {
      stats.records--;
      return;
    }
    let m = ENVELOPE_ISO_RE.exec(line);
    if (m) {
      const us = isoToUs(m[1] as string);
      if (us !== null) {
        envelope(line, d.invalid, us, m[3] as string, m[4], m[0].length);
        return;
      }
    }
    m = ENVELOPE_SYSLOG_RE.exec(line);
    if (m) {
      envelope(line, d.invalid, yearlessToUs(clock, MONTHS.indexOf(m[1] as string), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]), m[8] as string, m[9], m[0].length);
      return;
    }
    m = LOGFMT_RE.exec(line);
    if (m) {
      const us = isoToUs(m[1] as string);
      if (us !== null) {
        if (d.invalid) stats.invalidUtf8++;
        const e: JournalEntry = { cursor: null, realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: null, streamId: null, bootId: null, message: line };
        lastBare = e;
        deliver(e);
        return;
      }
    }
    m = KLOG_RE.exec(line);
    if (m) {
      if (d.invalid) stats.invalidUtf8++;
      const us = yearlessToUs(clock, Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]);
      const e: JournalEntry = { cursor: null, realtimeUs: us, unit: 'kubelet.service', identifier: 'kubelet', transport: 'stdout', pid: Number(m[7]), streamId: null, bootId: null, message: line };
      lastBare = e;
      deliver(e);
      return;
    }
    if (lastBare !== null && (line.startsWith('\t') || line.startsWith(' >'))) {
      if (d.invalid) stats.invalidUtf8++;
      deliver({ ...lastBare, message: line });
      return;
    }
    lastBare = null;
    countSkip(stats, 'no_timestamp');
    sink.skip('no_timestamp', `line ${lineNo}: no recognised timestamp`);
  }

  const lines = createLineSplitter(
    onLine,
    (bytes) => {
      lineNo++;
      stats.records++;
      countSkip(stats, 'oversize');
      sink.skip('oversize', `line ${lineNo}: ${bytes} bytes is longer than ${maxField}`);
    },
    maxField,
  );

  return {
    push(chunk: Buffer): void {
      stats.bytes += chunk.length;
      lines.push(chunk);
    },
    end(): void {
      lines.end();
    },
    stats: () => ({ ...stats, skipped: { ...stats.skipped } }),
    lastCursor: () => null,
  };
}
