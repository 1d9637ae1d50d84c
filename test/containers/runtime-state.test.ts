/**
 * The runtime-roots reader on a tree of junk (bad input is a counted, named skip, never a throw or
 * a block), on crun and runc layouts, and on liveness through a /proc under the root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { createBoundedLister, parseProcStat, readRuntimeRoots } from '../../src/live/runtime-state.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-rtstate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ID = (n: number): string => n.toString(16).padStart(64, 'a');

function write(root: string, rel: string, text: string): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

function procStat(pid: number, start: number, state = 'S', comm = 'sh'): string {
  // fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
  return `${pid} (${comm}) ${state} 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 1000 100\n`;
}

function runcState(id: string, pid: number, start: number, extra: string[] = []): string {
  return JSON.stringify({
    id,
    init_process_pid: pid,
    init_process_start: start,
    created: '2026-12-02T17:45:47.607553797Z',
    config: { labels: [`bundle=/run/containers/storage/overlay-containers/${id}/userdata`, 'io.container.manager=cri-o', `io.kubernetes.cri-o.SandboxID=${ID(999)}`, 'io.kubernetes.pod.namespace=ns1', 'io.kubernetes.pod.name=pod1', 'io.kubernetes.pod.uid=u1', ...extra] },
  });
}

describe('readRuntimeRoots', () => {
  const root = path.join(tmp, 'node');
  // /proc under the root: pid 100 alive (start 5000), pid 200 reused (start differs), pid 300 zombie
  write(root, 'proc/1/stat', procStat(1, 1));
  write(root, 'proc/100/stat', procStat(100, 5000, 'S', 'weird) name ('));
  write(root, 'proc/200/stat', procStat(200, 9999));
  write(root, 'proc/300/stat', procStat(300, 7000, 'Z'));
  write(root, `run/runc/${ID(1)}/state.json`, runcState(ID(1), 100, 5000));
  write(root, `run/runc/${ID(2)}/state.json`, runcState(ID(2), 200, 6000));
  write(root, `run/runc/${ID(3)}/state.json`, runcState(ID(3), 300, 7000));
  write(root, `run/runc/${ID(4)}/state.json`, runcState(ID(4), 400, 8000)); // no /proc/400: dead
  write(root, 'run/runc/a-regular-file', 'x');
  fs.mkdirSync(path.join(root, `run/runc/${ID(5)}`), { recursive: true }); // no state file
  write(root, `run/runc/${ID(6)}/state.json`, '{"id": "broken');
  write(root, `run/runc/${ID(7)}/state.json`, runcState(ID(7), 100, 5000, [`pad=${'x'.repeat(5000)}`]));
  write(root, `run/runc/${ID(8)}/state.json`, runcState(ID(9), 100, 5000)); // id mismatch
  fs.symlinkSync('loop-b', path.join(root, 'run/runc/loop-a'));
  fs.symlinkSync('loop-a', path.join(root, 'run/runc/loop-b'));
  fs.mkdirSync(path.join(root, 'run/runc/not\u00a0hex'), { recursive: true });
  write(root, `run/crun/${ID(10)}/status`, JSON.stringify({ pid: 100, 'process-start-time': 5000, bundle: '/b', created: '2026-12-02T00:00:00Z' }));
  write(root, `run/crun/${ID(10)}/config.json`, JSON.stringify({ annotations: { 'io.container.manager': 'cri-o', 'io.kubernetes.pod.name': 'gpu-pod', 'io.kubernetes.pod.namespace': 'ml' } }));
  fs.symlinkSync('self-loop', path.join(root, 'run/self-loop'));

  const view = createHostFileView(root);
  const snap = readRuntimeRoots(
    view,
    [
      { root: '/run/runc', usedBy: ['runc'] },
      { root: '/run/crun', usedBy: ['crun'] },
      { root: '/run/runc', usedBy: ['nvidia'] },
      { root: '/run/missing', usedBy: ['x'] },
      { root: '/run/self-loop', usedBy: ['y'] },
    ],
    { maxStateBytes: 4000, listDir: createBoundedLister(root) },
  );
  const byId = new Map(snap.holdings.map((h) => [h.id, h]));

  it('reads runc state.json and crun status with their annotations', () => {
    expect(snap.procAvailable).toBe(true);
    expect(byId.get(ID(1))).toMatchObject({ root: '/run/runc', family: 'runc', pid: 100, startTime: 5000, manager: 'cri-o', sandboxId: ID(999), pod: { namespace: 'ns1', name: 'pod1', uid: 'u1' } });
    expect(byId.get(ID(1))?.bundle).toContain('/userdata');
    expect(byId.get(ID(10))).toMatchObject({ root: '/run/crun', family: 'crun', pid: 100, manager: 'cri-o', pod: { namespace: 'ml', name: 'gpu-pod', uid: null } });
  });

  it('tells alive, reused pid, zombie and gone apart', () => {
    expect(byId.get(ID(1))?.alive).toBe(true);
    expect(byId.get(ID(2))?.alive).toBe(false); // pid reused: start time differs
    expect(byId.get(ID(3))?.alive).toBe(false); // zombie
    expect(byId.get(ID(4))?.alive).toBe(false); // no such pid
  });

  it('counts each kind of junk by name, once per root', () => {
    const runc = snap.roots.find((r) => r.root === '/run/runc');
    expect(runc?.usedBy).toEqual(['runc', 'nvidia']);
    expect(runc?.holdings).toBe(4);
    expect(runc?.skipped).toEqual({ 'not-a-directory': 2, 'no-state-file': 1, 'broken-json': 1, 'too-large': 1, 'id-mismatch': 1, 'symlink-loop': 2 });
    expect(snap.roots.find((r) => r.root === '/run/missing')).toMatchObject({ exists: false, error: null, holdings: 0 });
    expect(snap.roots.find((r) => r.root === '/run/self-loop')?.error).toMatch(/symbolic links/);
    expect(snap.roots).toHaveLength(4);
  });

  it('without a /proc, liveness is unknown', () => {
    const bare = path.join(tmp, 'bare');
    write(bare, `run/runc/${ID(1)}/state.json`, runcState(ID(1), 100, 5000));
    const s = readRuntimeRoots(createHostFileView(bare), [{ root: '/run/runc', usedBy: ['runc'] }]);
    expect(s.procAvailable).toBe(false);
    expect(s.holdings[0]?.alive).toBeNull();
  });

  it('100 000 entries: bounded work, counted as over-limit, marked truncated', () => {
    const big = path.join(tmp, 'big');
    const dir = path.join(big, 'run/runc');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 100_000; i++) fs.closeSync(fs.openSync(path.join(dir, `f${i}`), 'w'));
    for (const listDir of [createBoundedLister(big), undefined]) {
      const t0 = Date.now();
      const s = readRuntimeRoots(createHostFileView(big), [{ root: '/run/runc', usedBy: ['runc'] }], { maxEntries: 4096, ...(listDir ? { listDir } : {}) });
      const ms = Date.now() - t0;
      const r = s.roots[0];
      expect(r?.truncated).toBe(true);
      expect(r?.entries).toBe(4096);
      expect(r?.skipped['over-limit']).toBe(1);
      expect(r?.skipped['not-a-directory']).toBe(4096);
      console.log(`read of a 100 000-entry root (${listDir ? 'bounded lister' : 'full readdir'}): ${ms} ms`);
    }
  }, 120_000);

  it('parses /proc/<pid>/stat with parens in the command name', () => {
    expect(parseProcStat(procStat(5, 42, 'R', 'a) b ('))).toEqual({ state: 'R', startTime: 42 });
    expect(parseProcStat('garbage')).toBeNull();
  });
});
