import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { createCursorStore, createStateStore, cursorRealtimeUs, isCursor } from '../../src/journal/cursor-store.js';
import { createExportParser } from '../../src/journal/export-parser.js';
import { chooseDirectory, findExecutable, FOLLOW_MATCHES, journalctlArgs, journalctlCommand, journalDirectories, readJournalDirectory, STDOUT_BUFFER } from '../../src/journal/journalctl.js';
import { journalctlBinary, journalRemote, makeJournal, toExport } from '../helpers/journal-fixture.js';
import { collector } from './collect.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crio-sentinel-jctl-'));
});
afterEach(() => {
  try {
    chmodSync(join(dir, 'ro'), 0o755);
  } catch {
    // not created
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('journalctl arguments and directories', () => {
  it('builds an argument array: export, --all, follow, cursor or since+boot, OR groups of matches', () => {
    const a = journalctlArgs({ directory: '/var/log/journal', follow: true, cursor: 's=1;i=2', sinceUs: 5, boot: true });
    expect(a.slice(0, 4)).toEqual(['--directory=/var/log/journal', '--output=export', '--all', '--no-pager']);
    expect(a).toContain('--follow');
    expect(a).toContain('--no-tail');
    expect(a).toContain('--cursor=s=1;i=2');
    expect(a.some((x) => x.startsWith('--since') || x === '--boot' || x.startsWith('--after-cursor'))).toBe(false);
    expect(a.slice(-FOLLOW_MATCHES.length)).toEqual([...FOLLOW_MATCHES]);

    const b = journalctlArgs({ directory: 'd', follow: true, sinceUs: 1_795_898_397_000_123, boot: true });
    expect(b).toContain('--since=@1795898397.000123');
    expect(b).toContain('--boot');
    const c = journalctlArgs({ directory: 'd', follow: false, since: '-2h', until: 'now', matches: null });
    expect(c).toEqual(['--directory=d', '--output=export', '--all', '--no-pager', expect.stringMatching(/^--output-fields=/), '--since=-2h', '--until=now']);
  });

  it('lists persistent then volatile journal under the root, or the override', () => {
    expect(journalDirectories('/host')).toEqual(['/host/var/log/journal', '/host/run/log/journal']);
    expect(journalDirectories('/', '/mnt/j')).toEqual(['/mnt/j']);
  });

  it('chooses the directory that holds journal files, persistent first', () => {
    const root = join(dir, 'root');
    const [v, r] = journalDirectories(root) as [string, string];
    expect(chooseDirectory([v, r])).toBeNull();
    mkdirSync(join(r, 'not-a-machine-id'), { recursive: true });
    writeFileSync(join(r, 'not-a-machine-id', 'system.journal'), ''); // journalctl ignores this subdirectory
    mkdirSync(v, { recursive: true });
    expect(chooseDirectory([v, r])).toBe(v);
    rmSync(v, { recursive: true });
    mkdirSync(join(r, '3d1219c7c4c5404aaa1f6d2a48adfda4'), { recursive: true });
    writeFileSync(join(r, '3d1219c7c4c5404aaa1f6d2a48adfda4', 'system.journal'), '');
    expect(chooseDirectory([v, r])).toBe(r);
    mkdirSync(v, { recursive: true });
    expect(chooseDirectory([v, r])).toBe(r); // /var/log/journal exists but is empty (Storage=volatile)
    writeFileSync(join(v, 'system@x.journal~'), '');
    expect(chooseDirectory([v, r])).toBe(v);
    rmSync(r, { recursive: true });
    rmSync(join(v, 'system@x.journal~'));
    expect(chooseDirectory([v, r])).toBe(v); // exists, empty, nothing better
  });
});

describe('state store', () => {
  it('saveJson writes byte for byte what save writes, and the directory again when it went away', () => {
    const c = 's=26b6deadd3d5421b98e5ed2308104a2b;i=1;b=4e4ce9c6db3b4719b69468c19e993c97;m=116fe0cbd;t=6615d306618fa;x=953e1dbd702a9f4b';
    const state = { version: 1, entries: 3, lastMs: null, text: 'a "quoted" \u2028 line\n', list: [1, { x: 'y' }] };
    const a = createStateStore(join(dir, 'a'));
    const b = createStateStore(join(dir, 'b'));
    expect(a.save(c, state, '2026-01-01T00:00:00.000Z')).toBeNull();
    expect(b.saveJson(c, JSON.stringify(state), '2026-01-01T00:00:00.000Z')).toBeNull();
    expect(readFileSync(b.path!, 'utf8')).toBe(readFileSync(a.path!, 'utf8'));
    expect(b.load()).toEqual({ ok: true, cursor: c, state, savedAt: '2026-01-01T00:00:00.000Z' });
    rmSync(join(dir, 'b'), { recursive: true });
    expect(b.saveJson(c, '{}', 'x')).toBeNull();
    expect(b.load()).toMatchObject({ ok: true, state: {} });
  });
});

describe('cursor store', () => {
  it('saves atomically, loads, and ignores a file that is not a cursor', () => {
    const store = createCursorStore(join(dir, 'state', 'deeper'));
    expect(store.load()).toBeNull();
    const c = 's=26b6deadd3d5421b98e5ed2308104a2b;i=1;b=4e4ce9c6db3b4719b69468c19e993c97;m=116fe0cbd;t=6615d306618fa;x=953e1dbd702a9f4b';
    expect(store.save(c)).toBeNull();
    expect(store.load()).toBe(c);
    expect(readdirSync(join(dir, 'state', 'deeper'))).toEqual(['journal.cursor']);
    expect(cursorRealtimeUs(c)).toBe(0x6615d306618fa);
    writeFileSync(store.path!, 'rm -rf / ; echo\n');
    expect(store.load()).toBeNull();
    expect(isCursor('s=a;i=b')).toBe(true);
    expect(isCursor('s=a\ni=b')).toBe(false);
    expect(createCursorStore(null).load()).toBeNull();
  });

  it('reports an unwritable state directory instead of throwing', () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits: use a path under a regular file instead
      writeFileSync(join(dir, 'file'), '');
      expect(createCursorStore(join(dir, 'file', 'state')).save('s=1')).toMatch(/cannot write .*journal\.cursor: (ENOTDIR|EEXIST)/);
      return;
    }
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o555);
    expect(createCursorStore(join(dir, 'ro')).save('s=1')).toMatch(/cannot write .*: EACCES/);
  });
});

describe('export parser resume', () => {
  it('drops the first record only when it is the resume cursor', () => {
    const data = toExport([
      { cursor: 'c1', realtimeUs: 1, message: 'one' },
      { cursor: 'c2', realtimeUs: 2, message: 'two' },
    ]);
    const a = collector();
    const p = createExportParser(a, { resumeCursor: 'c1' });
    p.push(data);
    p.end();
    expect(a.entries.map((e) => e.message)).toEqual(['two']);
    expect(p.stats().records).toBe(1);
    const b = collector();
    const q = createExportParser(b, { resumeCursor: 'gone' });
    q.push(data);
    q.end();
    expect(b.entries.map((e) => e.message)).toEqual(['one', 'two']);
  });
});

describe('journalctlCommand', () => {
  const args = ['--directory=/j', '--output=export'];
  const found = (names: Record<string, string>) => (n: string) => names[n] ?? null;
  it('runs journalctl under stdbuf when both are found, with stdbuf options ended before the command', () => {
    const c = journalctlCommand('journalctl', args, { find: found({ stdbuf: '/usr/bin/stdbuf', journalctl: '/usr/bin/journalctl' }) });
    expect(c).toEqual({ file: '/usr/bin/stdbuf', args: [`--output=${STDOUT_BUFFER}`, '--', 'journalctl', ...args], buffered: true });
  });
  it('runs journalctl itself without stdbuf, when stdbuf is disabled, or when journalctl is missing (so the spawn error names it)', () => {
    expect(journalctlCommand('journalctl', args, { find: found({ journalctl: '/usr/bin/journalctl' }) })).toEqual({ file: 'journalctl', args, buffered: false });
    expect(journalctlCommand('journalctl', args, { stdbuf: null, find: found({ stdbuf: '/usr/bin/stdbuf', journalctl: '/usr/bin/journalctl' }) }).buffered).toBe(false);
    expect(journalctlCommand('/opt/missing', args, { find: found({ stdbuf: '/usr/bin/stdbuf' }) })).toEqual({ file: '/opt/missing', args, buffered: false });
  });
  it('findExecutable looks in absolute PATH entries only and needs the execute bit', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
    writeFileSync(join(bin, 'plain'), 'x');
    chmodSync(join(bin, 'tool'), 0o755);
    expect(findExecutable('tool', `relative:${bin}`)).toBe(join(bin, 'tool'));
    expect(findExecutable('plain', bin)).toBeNull();
    expect(findExecutable('tool', 'relative')).toBeNull();
    expect(findExecutable(join(bin, 'tool'), '')).toBe(join(bin, 'tool'));
    expect(findExecutable(bin, '')).toBeNull();
  });
});

const jc = journalctlBinary();
describe.skipIf(jc === null || journalRemote() === null)('readJournalDirectory with real journalctl', () => {
  it('selects crio, kubelet, PID 1 lines about them, conmon and kernel; nothing else', async () => {
    const jdir = join(dir, 'j');
    mkdirSync(jdir);
    const t = Date.now() * 1000 - 5_000_000;
    await makeJournal(jdir, [
      { realtimeUs: t, unit: 'crio.service', identifier: 'crio', message: 'crio' },
      { realtimeUs: t + 1, unit: 'kubelet.service', identifier: 'kubenswrapper', message: 'kubelet' },
      { realtimeUs: t + 2, unit: 'init.scope', identifier: 'systemd', pid: 1, fields: { UNIT: 'kubelet.service' }, message: 'pid1 kubelet' },
      { realtimeUs: t + 3, unit: 'foo.service', identifier: 'x', pid: 77, fields: { UNIT: 'crio.service' }, message: 'UNIT= from another process' },
      { realtimeUs: t + 4, unit: 'crio-conmon-0123.scope', identifier: 'conmon', transport: 'syslog', message: 'conmon' },
      { realtimeUs: t + 5, identifier: 'kernel', transport: 'kernel', fields: { PRIORITY: '5' }, message: 'kernel' },
      { realtimeUs: t + 6, unit: 'sshd.service', identifier: 'sshd', message: 'sshd' },
      { realtimeUs: t + 7, unit: 'containerd.service', identifier: 'containerd', message: 'containerd' },
    ]);
    const c = collector();
    const r = await readJournalDirectory(jdir, c, { journalctl: jc! });
    expect(c.entries.map((e) => e.message)).toEqual(['crio', 'kubelet', 'pid1 kubelet', 'conmon', 'kernel']);
    expect(c.entries[2]?.unit).toBe('kubelet.service');
    expect(r).toMatchObject({ format: 'export', entries: 5, skipped: {} });
    const all = collector();
    await readJournalDirectory(jdir, all, { journalctl: jc!, matches: null });
    expect(all.entries).toHaveLength(8);
    const since = collector();
    await readJournalDirectory(jdir, since, { journalctl: jc!, since: `@${(t + 4) / 1e6}`, matches: null });
    expect(since.entries.map((e) => e.message)).toEqual(['conmon', 'kernel', 'sshd', 'containerd']);
  });

  it('turns a journalctl failure into a one-line user error', async () => {
    await expect(readJournalDirectory(join(dir, 'nope'), collector(), { journalctl: jc! })).rejects.toThrow(UserError);
    await expect(readJournalDirectory(join(dir, 'nope'), collector(), { journalctl: jc! })).rejects.toThrow(
      /^journalctl --directory=.*nope failed \(exit 1\): Failed to open .*No such file or directory$/,
    );
    await expect(readJournalDirectory(dir, collector(), { journalctl: join(dir, 'missing-bin') })).rejects.toThrow(/cannot run .*missing-bin: ENOENT/);
  });

  it('kills a journalctl that does not answer within timeoutMs, and names the cursor of the last record it read', async () => {
    const hung = join(dir, 'hung-journalctl');
    writeFileSync(hung, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(hung, 0o755);
    await expect(readJournalDirectory(dir, collector(), { journalctl: hung, timeoutMs: 200 })).rejects.toThrow(/failed \(SIGKILL\): no answer within 200 ms$/);
    const jdir = join(dir, 'j2');
    mkdirSync(jdir);
    const t = Date.now() * 1000 - 5_000_000;
    await makeJournal(jdir, [
      { realtimeUs: t, unit: 'crio.service', identifier: 'crio', message: 'older' },
      { realtimeUs: t + 1, unit: 'crio.service', identifier: 'crio', message: 'newest' },
    ]);
    const c = collector();
    const r = await readJournalDirectory(jdir, c, { journalctl: jc!, boot: true, lines: 1 });
    expect(c.entries.map((e) => e.message)).toEqual(['newest']);
    expect(r.cursor).toBe(c.entries[0]?.cursor);
  });
});
