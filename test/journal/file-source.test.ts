import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { detectFormat, readJournalFile } from '../../src/journal/file-source.js';
import { crioEntries, journalctlBinary, journalRemote, makeJournal, toExport } from '../helpers/journal-fixture.js';
import { collector } from './collect.js';

import { REFERENCE as REF } from '../helpers/reference.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crio-sentinel-filesrc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('format detection', () => {
  it('tells export, JSON and text apart from the first bytes', () => {
    expect(detectFormat(Buffer.from('__CURSOR=s=1\n'))).toBe('export');
    expect(detectFormat(Buffer.from('MESSAGE\n\x05\0\0\0\0\0\0\0'))).toBe('export');
    expect(detectFormat(Buffer.from('\n{"MESSAGE":"x"}\n'))).toBe('json');
    expect(detectFormat(Buffer.from('# comment\n2026-01-01T00:00:00Z h crio[1]: x\n'))).toBe('text');
    expect(detectFormat(Buffer.from('Nov 28 10:14:31 h conmon[1]: x\n'))).toBe('text');
    expect(detectFormat(Buffer.from('time="2026" level=info msg="x"\n'))).toBe('text');
  });
});

describe('readJournalFile', () => {
  it('reads a JSON capture, a text file and an export file, streaming', async () => {
    const c1 = collector();
    const r1 = await readJournalFile(`${REF}/captures/real-incident/crio-1.31.0-restart.jsonl`, c1);
    expect(r1).toMatchObject({ format: 'json', entries: 122, skipped: {} });

    const c2 = collector();
    const r2 = await readJournalFile(`${REF}/sample-journal.txt`, c2, { clock: () => Date.UTC(2026, 0, 1) });
    expect(r2.format).toBe('text');
    expect(r2.entries).toBeGreaterThan(90);

    const f = join(dir, 'x.export');
    writeFileSync(f, Buffer.concat([toExport([{ realtimeUs: 5, message: 'a\nb' }, { realtimeUs: 6, message: 'c' }]), Buffer.from('garbage line\n\n')]));
    const c3 = collector();
    const r3 = await readJournalFile(f, c3);
    expect(r3).toMatchObject({ format: 'export', entries: 2, skipped: { malformed: 1 } });
    expect(c3.entries.map((e) => e.message)).toEqual(['a\nb', 'c']);
  });

  it("reads standard input for '-' and reports an unreadable file as a user error", async () => {
    const stdin = new PassThrough();
    const c = collector();
    const done = readJournalFile('-', c, { stdin });
    stdin.write('{"__REALTIME_TIMESTAMP":"1","MESSAGE"');
    stdin.end(':"x"}\n');
    expect(await done).toMatchObject({ format: 'json', entries: 1 });
    await expect(readJournalFile(join(dir, 'missing'), collector())).rejects.toThrow(UserError);
    await expect(readJournalFile(join(dir, 'missing'), collector())).rejects.toThrow(/cannot read journal .*missing: ENOENT/);
    await expect(readJournalFile(dir, collector())).rejects.toThrow(/cannot read journal .*: EISDIR/);
    const consumerBug = collector();
    consumerBug.entry = () => {
      throw new TypeError('bug in the consumer');
    };
    await expect(readJournalFile(`${REF}/captures/real-incident/crio-1.31.0-restart.jsonl`, consumerBug)).rejects.toThrow(TypeError);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(await readJournalFile(empty, collector())).toMatchObject({ entries: 0 });
  });

  it('parses the export of a real journal file written by systemd-journal-remote and read by journalctl', async (ctx) => {
    const jc = journalctlBinary();
    if (journalRemote() === null || jc === null) return ctx.skip();
    const big = 'B'.repeat(1024 * 1024);
    const entries = [
      ...crioEntries(50),
      { realtimeUs: Date.now() * 1000 - 5_000_000, unit: 'kubelet.service', identifier: 'kubelet', pid: 2211, streamId: 's1', message: 'E1128 x" err=<\n\tline two' },
      { realtimeUs: Date.now() * 1000 - 4_000_000, unit: 'crio.service', identifier: 'crio', message: big },
      { realtimeUs: Date.now() * 1000 - 3_000_000, identifier: 'kernel', transport: 'kernel', message: Buffer.from([0x61, 0xff, 0x0a, 0x62]) as unknown as string },
    ];
    const file = await makeJournal(dir, entries);
    const out = spawnSync(jc, [`--file=${file}`, '-o', 'export', '--all', '--no-pager'], { maxBuffer: 64 * 1024 * 1024 });
    expect(out.status).toBe(0);
    const exp = join(dir, 'dump.export');
    writeFileSync(exp, out.stdout);
    const c = collector();
    const r = await readJournalFile(exp, c);
    expect(r).toMatchObject({ format: 'export', entries: 53, skipped: {} });
    expect(c.entries.slice(0, 50).map((e) => e.message)).toEqual(entries.slice(0, 50).map((e) => e.message));
    expect(c.entries[50]).toMatchObject({ unit: 'kubelet.service', identifier: 'kubelet', pid: 2211, streamId: 's1', message: 'E1128 x" err=<\n\tline two' });
    expect(c.entries[51]?.message).toBe(big);
    expect(c.entries[52]?.message).toBe('a\uFFFD\nb');
    expect(r.stats.invalidUtf8).toBe(1);
    for (const e of c.entries) {
      expect(e.cursor).toMatch(/^s=[0-9a-f]+;i=[0-9a-f]+;b=0123456789abcdef0123456789abcdef;/);
      expect(e.bootId).toBe('0123456789abcdef0123456789abcdef');
    }
    expect(readFileSync(exp).length).toBeGreaterThan(1024 * 1024);
  });
});
