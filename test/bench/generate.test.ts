/**
 * The benchmark generator: deterministic, valid journal export format (read back by the project's
 * own streaming parser and, through systemd-journal-remote, by the real journalctl), valid
 * `journalctl -o json` lines, the requested number of distinct container IDs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJournalGenerator, exportRecord, jsonRecord, toJournalEntry, writeJournalDirectoryFile, writeJournalStream, type GenOptions } from '../../bench/generate.js';
import { createExportParser } from '../../src/journal/export-parser.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import { needBinary } from '../helpers/binaries.js';

const END_US = 1_764_000_000_000_000; // 2025-11-24, in the past
const OPTS: GenOptions = { entries: 3000, seed: 7, containers: 120, endUs: END_US, incidentEvery: 200 };

function exportBytes(opts: GenOptions): Buffer {
  const gen = createJournalGenerator(opts);
  const parts: Buffer[] = [];
  for (let e = gen.next(); e !== null; e = gen.next()) parts.push(exportRecord(e));
  return Buffer.concat(parts);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-gen-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('bench generator', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = exportBytes(OPTS);
    const b = exportBytes(OPTS);
    expect(a.equals(b)).toBe(true);
    const c = exportBytes({ ...OPTS, seed: 8 });
    expect(a.equals(c)).toBe(false);
  });

  it('produces valid export format: every entry parses back, binary fields included', () => {
    const gen = createJournalGenerator(OPTS);
    const expected: JournalEntry[] = [];
    const parts: Buffer[] = [];
    for (let e = gen.next(); e !== null; e = gen.next()) {
      expected.push(toJournalEntry(e));
      parts.push(exportRecord(e));
    }
    expect(gen.stats.entries).toBe(3000);
    expect(gen.stats.binary).toBeGreaterThan(0);
    expect(gen.stats.killFailures).toBeGreaterThan(0);
    expect(gen.stats.execRecords).toBeGreaterThan(0);
    const got: JournalEntry[] = [];
    const skips: string[] = [];
    const parser = createExportParser({ entry: (e) => got.push(e), skip: (r, d) => skips.push(`${r}: ${d}`) });
    // odd chunk sizes: records and binary lengths cross chunk boundaries
    const all = Buffer.concat(parts);
    for (let i = 0; i < all.length; i += 4093) parser.push(all.subarray(i, i + 4093));
    parser.end();
    expect(skips).toEqual([]);
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < got.length; i++) {
      const g = got[i]!;
      const x = expected[i]!;
      expect({ t: g.realtimeUs, u: g.unit, id: g.identifier, m: g.message }).toEqual({ t: x.realtimeUs, u: x.unit, id: x.identifier, m: x.message });
    }
    expect(got.some((e) => e.message.includes('\n'))).toBe(true); // a multi-line value survived as a binary field
    expect(all.includes(Buffer.from('\nMESSAGE\n'))).toBe(true);
    // timestamps ascend and end at or before endUs
    for (let i = 1; i < got.length; i++) expect(got[i]!.realtimeUs).toBeGreaterThan(got[i - 1]!.realtimeUs);
    expect(got[got.length - 1]!.realtimeUs).toBeLessThanOrEqual(END_US);
  });

  it('produces JSON lines shaped like journalctl -o json (strings, byte arrays for non-printable MESSAGE)', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const stats = await writeJournalStream(OPTS, 'json', out);
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBe(stats.entries);
    let arrays = 0;
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      for (const [k, v] of Object.entries(o)) {
        if (k === 'MESSAGE' && Array.isArray(v)) {
          arrays++;
          expect(v.every((n) => typeof n === 'number' && n >= 0 && n < 256)).toBe(true);
        } else expect(typeof v).toBe('string');
      }
      expect(o.__REALTIME_TIMESTAMP).toMatch(/^\d{16}$/);
    }
    expect(arrays).toBeGreaterThan(0);
  });

  it('uses exactly the requested number of distinct container IDs', () => {
    const gen = createJournalGenerator({ ...OPTS, entries: 5000, containers: 300 });
    const ids = new Set<string>();
    for (let e = gen.next(); e !== null; e = gen.next()) {
      const m = /Created container ([0-9a-f]{64}):/.exec(String(e.message));
      if (m) ids.add(m[1]!);
    }
    expect(gen.stats.containers).toBe(300);
    expect(ids.size).toBe(300);
    expect(new Set([...ids].map((i) => i.slice(0, 20))).size).toBe(300); // conmon prefixes stay unique
  });

  it('builds a real journal with systemd-journal-remote that journalctl reads back entry for entry', async (ctx) => {
    const remote = needBinary('systemd-journal-remote', 'systemd-journal-remote');
    const journalctl = needBinary('journalctl', 'systemd');
    if (!remote || !journalctl) return ctx.skip();
    const dir = path.join(tmp, 'journal');
    fs.mkdirSync(dir);
    const opts: GenOptions = { ...OPTS, endUs: (Date.now() - 5000) * 1000 };
    const stats = await writeJournalDirectoryFile(opts, path.join(dir, 'system.journal'));
    const r = spawnSync(journalctl, [`--directory=${dir}`, '-o', 'json', '--all', '--no-pager'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    const real = r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(real.length).toBe(stats.entries);
    const gen = createJournalGenerator(opts);
    let i = 0;
    for (let e = gen.next(); e !== null; e = gen.next(), i++) {
      const mine = JSON.parse(jsonRecord(e, i)) as Record<string, unknown>;
      delete mine.__CURSOR;
      const theirs = { ...real[i]! };
      delete theirs.__CURSOR;
      expect(theirs).toEqual(mine);
    }
  });
});
