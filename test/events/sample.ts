/**
 * Test-side access to the reference fixtures. `sampleEntries()` numbers the entries of
 * sample-journal.txt exactly as its header does (entry N = N-th non-'#' line).
 */
import { readFileSync } from 'node:fs';
import type { JournalEntry } from '../../src/journal/entry.js';

import { REFERENCE } from '../helpers/reference.js';

export { REFERENCE };
export const SAMPLE_JOURNAL = `${REFERENCE}/sample-journal.txt`;
export const REAL_INCIDENT = `${REFERENCE}/captures/real-incident/crio-1.31.0-restart.jsonl`;

const LINE = /^(\S+) (\S+) ([^\s[\]]+)\[(\d+)\]: (.*)$/s;

/** Minimal parser of the sample's `<ISO> <host> <ident>[<pid>]: <MESSAGE>` lines (one entry per line). */
export function parseTextLine(line: string, fallbackUs = 0): JournalEntry {
  const m = LINE.exec(line);
  if (!m) return { cursor: null, realtimeUs: fallbackUs, unit: null, identifier: null, transport: null, pid: null, streamId: null, bootId: null, message: line };
  const [, ts, , ident, pid, message] = m;
  const unit = ident === 'crio' ? 'crio.service' : ident === 'kubelet' ? 'kubelet.service' : ident === 'systemd' ? 'crio.service' : null;
  const transport = ident === 'conmon' ? 'syslog' : ident === 'systemd' ? 'journal' : ident === 'kernel' ? 'kernel' : 'stdout';
  return {
    cursor: null,
    realtimeUs: Date.parse(ts!) * 1000 + Number((/\.\d{3}(\d{3})/.exec(ts!)?.[1]) ?? 0),
    unit,
    identifier: ident!,
    transport,
    pid: Number(pid),
    streamId: ident === 'kubelet' ? 'kubelet-stream' : null,
    bootId: null,
    message: message!,
  };
}

export function sampleLines(): string[] {
  return readFileSync(SAMPLE_JOURNAL, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** entries[0] is entry 1 */
export function sampleEntries(): JournalEntry[] {
  return sampleLines().map((l) => parseTextLine(l));
}

/** The real CRI-O 1.31.0 capture, as JournalEntry values. */
export function realIncidentEntries(): JournalEntry[] {
  return readFileSync(REAL_INCIDENT, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      const o = JSON.parse(l) as Record<string, string | number[] | null>;
      const s = (k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
      const msg = o.MESSAGE;
      return {
        cursor: s('__CURSOR'),
        realtimeUs: Number(s('__REALTIME_TIMESTAMP')),
        unit: s('_SYSTEMD_UNIT') ?? s('UNIT'),
        identifier: s('SYSLOG_IDENTIFIER'),
        transport: s('_TRANSPORT'),
        pid: s('_PID') ? Number(s('_PID')) : null,
        streamId: s('_STREAM_ID'),
        bootId: s('_BOOT_ID'),
        message: Array.isArray(msg) ? Buffer.from(msg).toString('utf8') : (msg ?? ''),
      };
    });
}
