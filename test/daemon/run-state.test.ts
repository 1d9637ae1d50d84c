/**
 * The REAL daemon's event state across restarts, on a real journal file read through the real
 * journalctl: the bundled incident (3 pods stuck Terminating) is still 3 stuck pods after a SIGTERM
 * restart and after a SIGKILL restart with the persisted cursor (no entry left to re-read); a
 * corrupt, truncated or foreign-version state file makes the daemon start empty with a counted
 * warning and a log line, never crash; and stop() stays inside its 2 s promise when journalctl
 * ignores SIGTERM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, sample, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';
import { readJournalDirectory } from '../../src/journal/journalctl.js';
import { journalctlBinary, journalRemote, makeJournal, type FixtureEntry } from '../helpers/journal-fixture.js';

const haveTools = journalRemote() !== null && journalctlBinary() !== null;
const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
const INCIDENT = path.join(REPO, 'examples/incidents/nvidia-default.jsonl');
const STUCK = ['gpu-monitoring/dcgm-exporter-8xk2p', 'ml-serve/triton-infer-6b8f9d7c5-qw4lz', 'ml-train/llama-ft-7d9c8b5f4-x2k9q'];

/** The bundled incident as journal fixture entries, shifted to end `endAgoS` seconds before now. */
function incident(endAgoS = 20): FixtureEntry[] {
  const rows = fs
    .readFileSync(INCIDENT, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, string>);
  const last = Math.max(...rows.map((r) => Number(r.__REALTIME_TIMESTAMP)));
  const shift = Date.now() * 1000 - endAgoS * 1_000_000 - last;
  return rows.map((r) => {
    const e: FixtureEntry = { realtimeUs: Number(r.__REALTIME_TIMESTAMP) + shift, message: r.MESSAGE! };
    if (r._SYSTEMD_UNIT) e.unit = r._SYSTEMD_UNIT;
    if (r.SYSLOG_IDENTIFIER) e.identifier = r.SYSLOG_IDENTIFIER;
    if (r._TRANSPORT) e.transport = r._TRANSPORT;
    if (r._PID) e.pid = Number(r._PID);
    if (r._STREAM_ID) e.streamId = r._STREAM_ID;
    // PRIORITY too: the follower selects kernel lines at notice level only (AppArmor denials)
    e.fields = { ...(r.UNIT ? { UNIT: r.UNIT } : {}), ...(r.PRIORITY ? { PRIORITY: r.PRIORITY } : {}) };
    return e;
  });
}

let dir: string;
let daemon: DaemonProcess | null = null;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-state-'));
});
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

const entriesRead = (t: string): number =>
  ['crio', 'kubelet', 'conmon', 'kernel', 'other'].reduce((n, unit) => n + (sample(t, 'crio_sentinel_journal_entries_total', { unit }) ?? 0), 0);

async function stuckPods(d: DaemonProcess): Promise<string[]> {
  const st = await d.status();
  return (st.events?.stuckTerminating ?? []).filter((s: { resolved: boolean }) => !s.resolved).map((s: { namespace: string; pod: string }) => `${s.namespace}/${s.pod}`).sort();
}

describe.skipIf(!haveTools)('crio-sentinel run: event state persisted with the journal cursor', () => {
  async function setup(): Promise<{ jdir: string; state: string; args: string[]; total: number }> {
    const jdir = path.join(dir, 'journal');
    const state = path.join(dir, 'state');
    fs.mkdirSync(jdir);
    await makeJournal(jdir, incident());
    // what the daemon's journalctl selects of it (its match list), read once by the same journalctl
    const total = (await readJournalDirectory(jdir, { entry: () => undefined, skip: () => undefined }, { journalctl: journalctlBinary()! })).entries;
    return { jdir, state, args: ['--root', NODE, '--journal-directory', jdir, '--state-dir', state, '--crio-poll-interval', '1s', '--node-facts', 'off'], total };
  }

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`the 3 stuck pods of the incident are still stuck after a ${how} restart`, async () => {
      const { state, args, total } = await setup();
      daemon = await startDaemon(args);
      const first = await waitFor('the incident read, 3 pods stuck', async () => {
        const t = await daemon!.metrics();
        return entriesRead(t) === total && sample(t, 'crio_sentinel_pods_stuck_terminating') === 3 ? t : null;
      }, 30_000);
      expect(sample(first, 'crio_sentinel_journal_state_restore_failures_total', { reason: 'corrupt' })).toBe(0);
      expect(await stuckPods(daemon)).toEqual(STUCK);
      const before = await daemon.status();
      // the checkpoint is written within flushMs of the last entry read
      await waitFor('journal.state written', async () => fs.existsSync(path.join(state, 'journal.state')));
      await new Promise((r) => setTimeout(r, 1500));
      const r = await daemon.stop(how);
      if (how === 'SIGTERM') expect(r.code).toBe(0);

      const doc = JSON.parse(fs.readFileSync(path.join(state, 'journal.state'), 'utf8')) as Record<string, any>;
      expect(doc).toMatchObject({ format: 'crio-sentinel-journal-state', version: 1, state: { version: 1, entries: before.events.entries } });
      expect(doc.cursor).toBe(fs.readFileSync(path.join(state, 'journal.cursor'), 'utf8').trim());

      daemon = await startDaemon(args);
      const m = await waitFor('journal up again', async () => {
        const t = await daemon!.metrics();
        return sample(t, 'crio_sentinel_journal_up') === 1 ? t : null;
      });
      // nothing re-read (the cursor is at the end), and the pods are still stuck
      expect(entriesRead(m)).toBe(0);
      expect(sample(m, 'crio_sentinel_pods_stuck_terminating')).toBe(3);
      expect(await stuckPods(daemon)).toEqual(STUCK);
      const after = await daemon.status();
      expect(after.events.entries).toBe(before.events.entries);
      expect(after.events.killFailures).toEqual(before.events.killFailures);
      expect(after.events.crio).toEqual(before.events.crio);
      expect((after.findings as { id: string }[]).map((f) => f.id)).toContain('pod-stuck-terminating');
      expect(daemon.stderr()).toMatch(/journal state restored/);
    }, 180_000);
  }

  it('a corrupt, truncated or foreign-version state: start empty, count it, log it, keep running', async () => {
    const { state, args, total } = await setup();
    daemon = await startDaemon(args);
    await waitFor('3 pods stuck', async () => sample(await daemon!.metrics(), 'crio_sentinel_pods_stuck_terminating') === 3, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    await daemon.stop('SIGTERM');
    const file = path.join(state, 'journal.state');
    const good = fs.readFileSync(file, 'utf8');
    const doc = JSON.parse(good) as Record<string, any>;
    const variants: [string, string][] = [
      ['corrupt', good.slice(0, Math.floor(good.length / 2))], // truncated
      ['corrupt', '\u0000\u0001garbage'],
      ['version', JSON.stringify({ ...doc, version: 99 })],
      ['version', JSON.stringify({ ...doc, state: { ...doc.state, version: 2 } })],
      ['corrupt', JSON.stringify({ ...doc, state: { ...doc.state, correlator: { ...doc.state.correlator, containers: [{ id: 42 }] } } })],
    ];
    for (const [reason, text] of variants) {
      fs.writeFileSync(file, text);
      daemon = await startDaemon(args);
      const m = await waitFor('journal up', async () => {
        const t = await daemon!.metrics();
        return sample(t, 'crio_sentinel_journal_up') === 1 ? t : null;
      });
      expect(sample(m, 'crio_sentinel_journal_state_restore_failures_total', { reason }), `${reason}: ${text.slice(0, 40)}`).toBe(1);
      expect(daemon.stderr()).toMatch(/journal state not restored; starting with an empty event state/);
      // empty event state, resumed at the cursor file's position: nothing stuck, nothing re-read
      expect(sample(m, 'crio_sentinel_pods_stuck_terminating')).toBe(0);
      expect(entriesRead(m)).toBe(0);
      expect((await daemon.get('/healthz')).status).toBe(200);
      expect((await daemon.stop('SIGTERM')).code).toBe(0);
    }
    expect(total).toBeGreaterThan(200);
  }, 300_000);

  it('stops within 2 s when journalctl ignores SIGTERM (SIGKILL after 800 ms), and leaves no journalctl behind', async () => {
    const { args } = await setup();
    // a journalctl that ignores SIGTERM: the disposition survives the exec, so this IS the process the daemon spawned
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const pidFile = path.join(dir, 'fake.pid');
    fs.writeFileSync(path.join(bin, 'journalctl'), `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      fs.rmSync(pidFile, { force: true });
      daemon = await startDaemon(args, { env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` } });
      await waitFor('the fake journalctl running', async () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '');
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      const r = await daemon.stop('SIGTERM', 10_000);
      times.push(r.ms);
      expect(r.code).toBe(0);
      // a deadline, not a benchmark: the promise is 2 s
      expect(r.ms).toBeLessThan(2000);
      expect(r.ms).toBeGreaterThanOrEqual(700); // it did wait for the SIGTERM first
      expect(daemon.stderr()).toMatch(/journalctl ignored SIGTERM; killing it/);
      expect(() => process.kill(pid, 0)).toThrow(); // gone
    }
    console.log(`stop with a journalctl that ignores SIGTERM: ${times.join(', ')} ms`);
  }, 180_000);
});
