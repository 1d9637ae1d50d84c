import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceHealth } from '../../src/core/contracts.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createJournalFollower, type FollowerDeps, type JournalFollower } from '../../src/journal/follower.js';
import { readJournalDirectory } from '../../src/journal/journalctl.js';
import { needBinary } from '../helpers/binaries.js';
import { appendJournal, crioEntries, journalctlBinary, journalRemote, makeJournal } from '../helpers/journal-fixture.js';
import { collector } from './collect.js';

const jc = journalctlBinary();
const haveTools = jc !== null && journalRemote() !== null;

let dir: string;
let followers: JournalFollower[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crio-sentinel-follow-'));
});
afterEach(async () => {
  for (const f of followers) await f.stop();
  followers = [];
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function follower(over: Partial<FollowerDeps> & { directories: string[] }) {
  const c = collector();
  const healths: SourceHealth[] = [];
  const f = createJournalFollower({
    journalctl: jc ?? 'journalctl',
    stateDir: join(dir, 'state'),
    clock: Date.now,
    sink: c,
    onHealth: (h) => healths.push(h),
    backoff: { initialMs: 20, maxMs: 200 },
    flushMs: 50,
    ...over,
  });
  followers.push(f);
  return { f, c, healths };
}

const msgs = (es: JournalEntry[]) => es.map((e) => e.message.replace(/^.*msg="(.*)"$/, '$1'));

describe.skipIf(!haveTools)('journal follower on real journalctl', () => {
  it('reads the lookback window of the newest boot, then follows appended entries; other units are not selected', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const file = await makeJournal(jdir, [
      // an earlier boot inside the lookback window: not read (--boot; journalctl 252 --follow implies it anyway)
      { realtimeUs: Date.now() * 1000 - 20_000_000, bootId: '11111111111111111111111111111111', unit: 'crio.service', identifier: 'crio', message: 'previous boot' },
      ...crioEntries(5, { prefix: 'first' }),
      { realtimeUs: Date.now() * 1000 - 1000, unit: 'other.service', identifier: 'other', message: 'not ours' },
      { realtimeUs: Date.now() * 1000 - 999, unit: 'init.scope', identifier: 'systemd', pid: 1, fields: { UNIT: 'crio.service' }, message: 'Reloading crio.service' },
    ]);
    const { f, c } = follower({ directories: [join(dir, 'missing'), jdir] });
    f.start();
    await waitFor('backlog', () => c.entries.length === 6);
    expect(f.health()).toMatchObject({ up: true, mode: 'follow', restarts: 0, lastError: null });
    await appendJournal(file, crioEntries(3, { prefix: 'later', startUs: Date.now() * 1000 - 100 }));
    await waitFor('appended', () => c.entries.length === 9);
    expect(msgs(c.entries)).toEqual(['first 0', 'first 1', 'first 2', 'first 3', 'first 4', 'Reloading crio.service', 'later 0', 'later 1', 'later 2']);
    expect(c.entries[5]).toMatchObject({ unit: 'crio.service', pid: 1, identifier: 'systemd' });
    expect(f.health().lastEntryAtUs).toBe(c.entries[8]?.realtimeUs);
    expect(c.skips).toEqual([]);
  });

  it('runs journalctl under stdbuf (larger writes) and still delivers an appended entry while following', async () => {
    if (needBinary('stdbuf', 'coreutils') === null) return;
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const file = await makeJournal(jdir, crioEntries(2, { prefix: 'before' }));
    const { f, c } = follower({ directories: [jdir] });
    f.start();
    await waitFor('backlog', () => c.entries.length === 2);
    // stdbuf execs journalctl: the child is journalctl itself, with coreutils' buffering request in its environment
    const pid = f.pid();
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('journalctl');
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('_STDBUF_O=65536'); // STDOUT_BUFFER, 64 KiB
    // journalctl flushes its (now 64 KiB) stdout buffer before it waits: one small entry is not held back
    await appendJournal(file, crioEntries(1, { prefix: 'after', startUs: Date.now() * 1000 - 100 }));
    await waitFor('appended', () => c.entries.length === 3, 5_000);
    expect(msgs(c.entries)).toEqual(['before 0', 'before 1', 'after 0']);
    expect(f.pid()).toBe(pid);
  });

  it('kills and restarts a stuck journalctl (SIGSTOPped) from its cursor when newer matching entries wait in the journal', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const file = await makeJournal(jdir, crioEntries(3, { prefix: 'before' }));
    const logs: { level: string; msg: string }[] = [];
    const { f, c, healths } = follower({ directories: [jdir], stallCheckMs: 300, log: (level, msg) => void logs.push({ level, msg }) });
    f.start();
    await waitFor('backlog', () => c.entries.length === 3);
    const stuck = f.pid()!;
    process.kill(stuck, 'SIGSTOP'); // alive, sends nothing: what no exit status would ever reveal
    await appendJournal(file, crioEntries(4, { prefix: 'during', startUs: Date.now() * 1000 - 100 }));
    await waitFor('restart', () => f.health().restarts === 1 && f.pid() !== null && f.pid() !== stuck, 10_000);
    await waitFor('entries after the restart', () => c.entries.length === 7);
    expect(msgs(c.entries)).toEqual(['before 0', 'before 1', 'before 2', 'during 0', 'during 1', 'during 2', 'during 3']);
    expect(healths.some((h) => h.lastError?.startsWith('journalctl stuck:'))).toBe(true);
    expect(logs.some((l) => l.level === 'warn' && /stuck/.test(l.msg))).toBe(true);
  });

  it('leaves a quiet journalctl alone, also when the journal grows with entries it does not select', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const file = await makeJournal(jdir, crioEntries(2, { prefix: 'a' }));
    const probes: string[] = [];
    const { f, c } = follower({ directories: [jdir], stallCheckMs: 200, log: (_l, msg) => void (/asking for its newest entry/.test(msg) && probes.push(msg)) });
    f.start();
    await waitFor('backlog', () => c.entries.length === 2);
    const pid = f.pid();
    await new Promise((r) => setTimeout(r, 600));
    const probesBefore = probes.length;
    await appendJournal(file, [{ realtimeUs: Date.now() * 1000 - 100, unit: 'sshd.service', identifier: 'sshd', message: 'not selected' }]);
    await new Promise((r) => setTimeout(r, 1_500)); // several stall periods, one probe of the grown journal
    expect(f.health()).toMatchObject({ up: true, restarts: 0, lastError: null });
    expect(f.pid()).toBe(pid);
    expect(c.entries).toHaveLength(2);
    // the grown journal was probed once more: its newest selected entry is the last one received
    expect(probes.length).toBe(probesBefore + 1);
  });

  it('does not take entries before its lookback window for entries it failed to send', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    await makeJournal(jdir, crioEntries(3, { prefix: 'old', startUs: Date.now() * 1000 - 20_000_000 }));
    const probes: string[] = [];
    const { f, c } = follower({ directories: [jdir], lookbackUs: 5_000_000, stallCheckMs: 150, log: (_l, msg) => void (/newest entry/.test(msg) && probes.push(msg)) });
    f.start();
    await waitFor('a probe of the silent follower', () => probes.length >= 1);
    await new Promise((r) => setTimeout(r, 800)); // a stuck verdict would come one period after the probe
    expect(f.health()).toMatchObject({ up: true, restarts: 0, lastError: null });
    expect(c.entries).toEqual([]);
  });

  it('persists the cursor and resumes after stop/start with no loss and no duplicate', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const file = await makeJournal(jdir, crioEntries(20, { prefix: 'a' }));
    const one = follower({ directories: [jdir] });
    one.f.start();
    await waitFor('first run', () => one.c.entries.length === 20);
    await one.f.stop();
    const saved = readFileSync(join(dir, 'state', 'journal.cursor'), 'utf8').trim();
    expect(saved).toBe(one.c.entries[19]?.cursor);
    expect(existsSync(join(dir, 'state', `journal.cursor.tmp-${process.pid}`))).toBe(false);

    await appendJournal(file, crioEntries(7, { prefix: 'b', startUs: Date.now() * 1000 - 100 }));
    const two = follower({ directories: [jdir] });
    two.f.start();
    await waitFor('second run', () => two.c.entries.length === 7);
    await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive
    expect(msgs(two.c.entries)).toEqual(['b 0', 'b 1', 'b 2', 'b 3', 'b 4', 'b 5', 'b 6']);
    const all = [...one.c.entries, ...two.c.entries].map((e) => e.cursor);
    expect(new Set(all).size).toBe(27);
  });

  it('delivers exactly the uninterrupted sequence although journalctl is SIGKILLed 100 times during a replay', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    const batches = 50;
    const perBatch = 100;
    const base = Date.now() * 1000 - 60_000_000;
    const batch = (b: number) =>
      crioEntries(perBatch, { prefix: `b${b}`, startUs: base + b * perBatch }).map((e, i) => ({ ...e, message: `${e.message} ${'x'.repeat((b * 37 + i * 11) % 300)}` }));
    const file = await makeJournal(jdir, batch(0));
    const { f, c } = follower({ directories: [jdir], backoff: { initialMs: 1, maxMs: 5 }, flushMs: 20 });
    f.start();

    let kills = 0;
    let lastKilled: number | null = null;
    let appending = true;
    const killer = (async () => {
      while (kills < 100) {
        const pid = f.pid();
        if (pid !== null && pid !== lastKilled && c.entries.length > 0) {
          try {
            process.kill(pid, 'SIGKILL');
            kills++;
            lastKilled = pid;
          } catch {
            // already gone
          }
        }
        await new Promise((r) => setTimeout(r, appending ? 3 : 1));
      }
    })();
    for (let b = 1; b < batches; b++) await appendJournal(file, batch(b));
    appending = false;
    await killer;
    await waitFor('all entries after the kills', () => c.entries.length >= batches * perBatch, 60_000);
    await new Promise((r) => setTimeout(r, 300));

    const reference = collector();
    await readJournalDirectory(jdir, reference, { journalctl: jc! });
    expect(reference.entries).toHaveLength(batches * perBatch);
    expect(kills).toBe(100);
    expect(f.health().restarts).toBeGreaterThanOrEqual(100);
    expect(c.entries.length).toBe(reference.entries.length);
    expect(c.entries.map((e) => e.cursor)).toEqual(reference.entries.map((e) => e.cursor));
    expect(c.entries).toEqual(reference.entries);
    expect(c.skips).toEqual([]);
    await waitFor('up again', () => f.health().up);
  });

  it('waits for a journal directory created after start, and reports one that disappears', async () => {
    const jdir = join(dir, 'later', 'journal');
    const { f, c, healths } = follower({ directories: [jdir] });
    f.start();
    expect(f.health().up).toBe(false);
    expect(f.health().lastError).toMatch(/no journal directory .*later\/journal/);
    await new Promise((r) => setTimeout(r, 100));
    mkdirSync(jdir, { recursive: true });
    await makeJournal(jdir, crioEntries(4, { prefix: 'late' }));
    await waitFor('entries from the new directory', () => c.entries.length === 4);
    expect(f.health().up).toBe(true);
    expect(healths.some((h) => !h.up) && healths.some((h) => h.up)).toBe(true);

    rmSync(join(dir, 'later'), { recursive: true, force: true });
    await waitFor('down after the directory vanished', () => !f.health().up && /no journal directory/.test(f.health().lastError ?? ''));
    mkdirSync(jdir, { recursive: true });
    await makeJournal(jdir, crioEntries(2, { prefix: 'again', startUs: Date.now() * 1000 - 50 }));
    await waitFor('up again', () => c.entries.length === 6);
    expect(msgs(c.entries).slice(4)).toEqual(['again 0', 'again 1']);
  });

  it('moves from the volatile to the persistent journal when journald starts writing there', async () => {
    const persistent = join(dir, 'var', 'log', 'journal');
    const volatile = join(dir, 'run', 'log', 'journal');
    mkdirSync(persistent, { recursive: true }); // exists but empty, as before journald's flush
    const machine = '3d1219c7c4c5404aaa1f6d2a48adfda4';
    mkdirSync(join(volatile, machine), { recursive: true });
    const t = Date.now() * 1000 - 5_000_000;
    await makeJournal(join(volatile, machine), crioEntries(3, { prefix: 'run', startUs: t }));
    const logs: string[] = [];
    const { f, c } = follower({ directories: [persistent, volatile], log: (_l, m) => void logs.push(m) });
    f.start();
    await waitFor('volatile entries', () => c.entries.length === 3);
    // journald "flushes": the persistent journal gets the same entries plus new ones
    mkdirSync(join(persistent, machine));
    await makeJournal(join(persistent, machine), [...crioEntries(3, { prefix: 'run', startUs: t }), ...crioEntries(2, { prefix: 'var', startUs: t + 1000 })]);
    await waitFor('persistent entries', () => c.entries.length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(logs).toContain('switching to the preferred journal directory');
    expect(msgs(c.entries)).toEqual(['run 0', 'run 1', 'run 2', 'var 0', 'var 1']);
    expect(f.health()).toMatchObject({ up: true, restarts: 0 });
  });

  it('falls back to the lookback window when journalctl rejects the saved cursor', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    await makeJournal(jdir, crioEntries(3));
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'journal.cursor'), 's=zz;i=zz\n');
    const { f, c } = follower({ directories: [jdir] });
    f.start();
    await waitFor('entries', () => c.entries.length === 3);
    expect(f.health().restarts).toBe(1);
    await f.stop();
    expect(readFileSync(join(dir, 'state', 'journal.cursor'), 'utf8').trim()).toBe(c.entries[2]?.cursor);
  });
});

describe.skipIf(!haveTools)('journal follower start position', () => {
  it('ignores a persisted cursor older than maxResumeAgeUs and reads the lookback window instead', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    await makeJournal(jdir, [
      { realtimeUs: Date.now() * 1000 - 3 * 3_600_000_000, unit: 'crio.service', message: 'three hours ago' },
      ...crioEntries(2, { prefix: 'recent' }),
    ]);
    mkdirSync(join(dir, 'state'));
    const oldT = (Date.now() * 1000 - 48 * 3_600_000_000).toString(16);
    writeFileSync(join(dir, 'state', 'journal.cursor'), `s=00;i=1;b=${'0'.repeat(32)};m=0;t=${oldT};x=0\n`);
    const logs: string[] = [];
    const { f, c } = follower({ directories: [jdir], log: (_l, m) => void logs.push(m) });
    f.start();
    await waitFor('lookback entries', () => c.entries.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(msgs(c.entries)).toEqual(['recent 0', 'recent 1']);
    expect(logs.some((m) => /too old/.test(m))).toBe(true);
    expect(f.health().restarts).toBe(0);
  });
});

describe.skipIf(!haveTools)('journal follower and its consumer', () => {
  it('keeps following when the consumer throws, and logs it', async () => {
    const jdir = join(dir, 'journal');
    mkdirSync(jdir);
    await makeJournal(jdir, crioEntries(5));
    const seen: string[] = [];
    const logs: string[] = [];
    const f = createJournalFollower({
      journalctl: jc!,
      directories: [jdir],
      stateDir: null,
      clock: Date.now,
      sink: {
        entry: (e) => {
          seen.push(e.message);
          if (seen.length === 2) throw new Error('consumer bug');
        },
        skip: () => undefined,
      },
      log: (level, m) => void logs.push(`${level} ${m}`),
    });
    followers.push(f);
    f.start();
    await waitFor('all five', () => seen.length === 5);
    expect(logs).toContain('error journal entry consumer failed');
    expect(f.health()).toMatchObject({ up: true, restarts: 0 });
  });
});

describe('journal follower without journalctl', () => {
  it('reports a missing journalctl as down and keeps retrying without crashing', async () => {
    mkdirSync(join(dir, 'j'));
    const { f, c } = follower({ directories: [join(dir, 'j')], journalctl: join(dir, 'no-such-journalctl'), stateDir: null });
    f.start();
    await waitFor('two restarts', () => f.health().restarts >= 2);
    expect(f.health()).toMatchObject({ up: false, mode: 'follow' });
    expect(f.health().lastError).toMatch(/ENOENT/);
    expect(c.entries).toEqual([]);
  });
});

describe('journal follower backoff (fake journalctl process)', () => {
  it('doubles the delay up to the cap, resets it after a healthy run, and passes an argument array', async () => {
    const { EventEmitter } = await import('node:events');
    const { PassThrough } = await import('node:stream');
    let now = 1_000_000;
    const runFor: number[] = [];
    const calls: { file: string; args: string[] }[] = [];
    const fakeSpawn = ((file: string, args: string[]) => {
      calls.push({ file, args });
      const p = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), pid: 4242, kill: () => true });
      setImmediate(() => {
        p.emit('spawn');
        now += runFor.shift() ?? 10; // the process "runs" this long on the injected clock
        p.stderr.end('journalctl: boom\n');
        p.stdout.end();
        setImmediate(() => p.emit('close', 1, null));
      });
      return p;
    }) as unknown as typeof import('node:child_process').spawn;
    mkdirSync(join(dir, 'j'));
    const delays: number[] = [];
    runFor.push(10, 10, 10, 10, 10, 10, 120_000, 10, 10);
    const f = createJournalFollower({
      journalctl: '/usr/bin/journalctl',
      directories: [join(dir, 'j')],
      stateDir: null,
      clock: () => now,
      spawn: fakeSpawn,
      stdbuf: null,
      sink: collector(),
      backoff: { initialMs: 1, maxMs: 8, resetAfterMs: 60_000 },
      log: (_l, m, x) => {
        if (m === 'journal source retry scheduled') delays.push((x as { delayMs: number }).delayMs);
      },
    });
    followers.push(f);
    f.start();
    await waitFor('nine restarts', () => f.health().restarts >= 9);
    await f.stop();
    // runs 1-6 fail fast: 1,2,4,8,8,8; run 7 was healthy for 2 minutes: back to 1, then 2, 4
    expect(delays.slice(0, 9)).toEqual([1, 2, 4, 8, 8, 8, 1, 2, 4]);
    expect(f.health().lastError).toBe('stopped');
    expect(calls[0]?.file).toBe('/usr/bin/journalctl');
    expect(calls[0]?.args).toContain('--follow');
    expect(calls[0]?.args[0]).toBe(`--directory=${join(dir, 'j')}`);
  });
});

describe('journal follower stop and checkpoint (fake journalctl process)', () => {

  function fakeProc(onKill: (p: InstanceType<typeof EventEmitter> & { stdout: InstanceType<typeof PassThrough> }, sig: string) => void) {
    const kills: string[] = [];
    const spawnFn = (() => {
      const p = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), pid: 4343, unref: () => undefined });
      (p as unknown as { kill: (s: string) => boolean }).kill = (sig: string) => {
        kills.push(sig);
        onKill(p, sig);
        return true;
      };
      setImmediate(() => p.emit('spawn'));
      return p;
    }) as unknown as typeof import('node:child_process').spawn;
    return { spawnFn, kills };
  }

  it('SIGKILLs a journalctl that ignores SIGTERM after killAfterMs, and gives up on one that does not die', async () => {
    mkdirSync(join(dir, 'j'));
    for (const dies of [true, false]) {
      const { spawnFn, kills } = fakeProc((p, sig) => {
        if (sig === 'SIGKILL' && dies) setImmediate(() => p.emit('close', null, 'SIGKILL'));
      });
      const logs: string[] = [];
      const f = createJournalFollower({
        journalctl: '/usr/bin/journalctl', directories: [join(dir, 'j')], stateDir: null, clock: Date.now, spawn: spawnFn, stdbuf: null,
        sink: collector(), killAfterMs: 200, stallCheckMs: 0, log: (_l, m) => void logs.push(m),
      });
      f.start();
      await waitFor('spawned', () => f.pid() !== null);
      const t0 = Date.now();
      await f.stop();
      const ms = Date.now() - t0;
      expect(kills).toEqual(['SIGTERM', 'SIGKILL']);
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms).toBeLessThan(dies ? 450 : 800); // 200 ms + (dies: at once | not: the 200 ms grace)
      expect(logs).toContain('journalctl ignored SIGTERM; killing it');
      if (!dies) expect(logs).toContain('journalctl did not exit after SIGKILL; leaving it');
      expect(f.health().lastError).toBe('stopped');
    }
  });

  it('saves the consumer state with the cursor in one file and restores both at start; a bad file starts empty and says why', async () => {
    const { createStateStore } = await import('../../src/journal/cursor-store.js');
    mkdirSync(join(dir, 'j'));
    const state = join(dir, 'state');
    const rec = (n: number) => Buffer.from(`__CURSOR=s=aa;i=${n};b=${'0'.repeat(32)};m=1;t=${(Date.now() * 1000).toString(16)};x=1\n__REALTIME_TIMESTAMP=${Date.now() * 1000}\n_SYSTEMD_UNIT=crio.service\nMESSAGE=m${n}\n\n`);
    let consumed = 0;
    let spawned: InstanceType<typeof PassThrough> | null = null;
    const { spawnFn } = fakeProc((p) => setImmediate(() => p.emit('close', null, 'SIGTERM')));
    const spawnSpy = ((...a: Parameters<typeof spawnFn>) => {
      const p = (spawnFn as unknown as (...x: unknown[]) => { stdout: InstanceType<typeof PassThrough> })(...a);
      spawned = p.stdout;
      return p;
    }) as unknown as typeof spawnFn;
    const restored: unknown[] = [];
    const mk = (checkpoint: FollowerDeps['checkpoint']) =>
      createJournalFollower({
        journalctl: '/usr/bin/journalctl', directories: [join(dir, 'j')], stateDir: state, clock: Date.now, spawn: spawnSpy, stdbuf: null, stallCheckMs: 0,
        sink: { entry: () => void consumed++, skip: () => undefined }, flushEntries: 3, flushMs: 60_000, checkpoint,
      });
    const f = mk({ export: () => ({ consumed }), import: (s) => void restored.push(s) });
    f.start();
    await waitFor('spawned', () => spawned !== null);
    spawned!.write(Buffer.concat([rec(1), rec(2), rec(3), rec(4)]));
    await waitFor('read', () => consumed === 4);
    // saved after 3 records or more, at the end of the read that reached them, with the state of that moment
    const cp = createStateStore(state).load();
    expect(cp).toMatchObject({ ok: true, state: { consumed: 4 } });
    expect((cp as { cursor: string }).cursor).toMatch(/;i=4;/);
    expect(readFileSync(join(state, 'journal.cursor'), 'utf8').trim()).toBe((cp as { cursor: string }).cursor);
    // the next checkpoints within flushMs leave journal.cursor (the position alone) behind; stop() brings it up to date
    spawned!.write(Buffer.concat([rec(5), rec(6), rec(7), rec(8)]));
    await waitFor('read', () => consumed === 8);
    const cp2 = createStateStore(state).load();
    expect(cp2).toMatchObject({ ok: true, state: { consumed: 8 } });
    expect(readFileSync(join(state, 'journal.cursor'), 'utf8').trim()).toMatch(/;i=4;/);
    await f.stop();
    expect(readFileSync(join(state, 'journal.cursor'), 'utf8').trim()).toBe((cp2 as { cursor: string }).cursor);
    expect((cp2 as { cursor: string }).cursor).toMatch(/;i=8;/);

    spawned = null;
    const g = mk({ export: () => ({}), import: (s) => void restored.push(s) });
    g.start();
    expect(restored).toEqual([{ consumed: 8 }]);
    expect(g.cursor()).toMatch(/;i=8;/);
    await g.stop();

    const problems: string[] = [];
    writeFileSync(join(state, 'journal.state'), '{"format":"crio-sentinel-journal-state","version":1,"cursor":"s=a');
    const h = mk({ export: () => ({}), import: () => undefined, onRestoreProblem: (r) => void problems.push(r) });
    h.start();
    expect(problems).toEqual(['corrupt']);
    expect(h.cursor()).toMatch(/;i=8;/); // journal.cursor still gives the position
    await h.stop();
    writeFileSync(join(state, 'journal.state'), JSON.stringify({ format: 'crio-sentinel-journal-state', version: 7, cursor: 's=a;i=1', state: {} }));
    const k = mk({ export: () => ({}), import: () => { throw Object.assign(new Error('no'), { reason: 'corrupt' }); }, onRestoreProblem: (r) => void problems.push(r) });
    k.start();
    expect(problems).toEqual(['corrupt', 'version']);
    await k.stop();
  });
});
