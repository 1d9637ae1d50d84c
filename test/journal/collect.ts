import type { JournalEntry, SkipReason } from '../../src/journal/entry.js';
import type { JournalSink } from '../../src/journal/sink.js';

export interface Collected extends JournalSink {
  entries: JournalEntry[];
  skips: { reason: SkipReason; detail: string }[];
}

export function collector(): Collected {
  const entries: JournalEntry[] = [];
  const skips: { reason: SkipReason; detail: string }[] = [];
  return {
    entries,
    skips,
    entry: (e) => void entries.push(e),
    skip: (reason, detail) => void skips.push({ reason, detail }),
  };
}

/** Split a buffer into chunks of `size` bytes. */
export function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
