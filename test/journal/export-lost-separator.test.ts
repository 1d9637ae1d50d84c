/**
 * Export format: an entry whose ending blank line was lost (a cut-off file appended to, a damaged
 * copy) must not be merged silently into the next entry (found by test/reliability/journals.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createExportParser } from '../../src/journal/export-parser.js';
import { chunks, collector } from './collect.js';

const rec = (i: number, msg: string): string => `__CURSOR=s=a;i=${i}\n__REALTIME_TIMESTAMP=${1000 + i}\n_SYSTEMD_UNIT=crio.service\nMESSAGE=${msg}\n`;

describe('export parser: a lost blank line', () => {
  it('skips the cut-off entry as truncated and delivers the next one whole', () => {
    for (const size of [1, 7, 4096]) {
      const c = collector();
      const p = createExportParser(c);
      // entry 2 is cut inside its MESSAGE and the blank line after it is gone
      const data = rec(1, 'first') + '\n' + rec(2, 'Killing container abc fai') + rec(3, 'third') + '\n' + rec(4, 'fourth') + '\n';
      for (const ch of chunks(Buffer.from(data), size)) p.push(ch);
      p.end();
      expect(c.entries.map((e) => [e.cursor, e.message])).toEqual([
        ['s=a;i=1', 'first'],
        ['s=a;i=3', 'third'],
        ['s=a;i=4', 'fourth'],
      ]);
      expect(c.skips.map((s) => s.reason)).toEqual(['truncated']);
      expect(c.skips[0]?.detail).toMatch(/^record 2: a new __CURSOR before the blank line/);
      expect(p.stats()).toMatchObject({ records: 4, entries: 3 });
    }
  });
});
