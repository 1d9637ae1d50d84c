/**
 * `crio-sentinel pods` as a user runs it (the built CLI, a real unix socket): exit statuses 0/1/2/3,
 * the JSON contract, the text table. CRI answers come from the FAKE gRPC CRI (bench/fake-cri.ts) so
 * that each risk class can be set up on demand; the same command against the real CRI-O 1.32 is
 * recorded in the README ("pods").
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodsReport } from '../../src/commands/pods.js';
import { fakeNode, startFakeCri, type FakeCri } from '../../bench/fake-cri.js';
import { CLI, assertBuilt } from '../helpers/daemon-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-pods-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, defaultRuntime: string, exited = false): { root: string; node: ReturnType<typeof fakeNode> } {
  const root = path.join(tmp, name);
  const w = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  w('etc/crio/crio.conf', `[crio.runtime]\ndefault_runtime = "${defaultRuntime}"\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/sbin/runc"\nruntime_root = "/run/runc"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\nruntime_root = "/run/crun"\n`);
  w('usr/sbin/runc', '#!/bin/sh\n');
  w('usr/bin/crun', '#!/bin/sh\n');
  fs.chmodSync(path.join(root, 'usr/sbin/runc'), 0o755);
  fs.chmodSync(path.join(root, 'usr/bin/crun'), 0o755);
  fs.mkdirSync(path.join(root, 'etc/crio/crio.conf.d'), { recursive: true });
  const node = fakeNode(2, 1);
  if (exited) for (const c of node.containers) c.state = 'CONTAINER_EXITED';
  w('proc/1/stat', '1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 1 1\n');
  for (const c of node.containers) {
    w(`proc/${c.pid}/stat`, `${c.pid} (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 1 1\n`);
    w(`run/runc/${c.id}/state.json`, JSON.stringify({ id: c.id, init_process_pid: c.pid, init_process_start: 77, config: { labels: ['io.container.manager=cri-o'] } }));
  }
  return { root, node };
}

/** async: the fake CRI server answers from this process's event loop */
function pods(root: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'pods', '--root', root, '--crio-version', '1.32.13', '--timeout', '1000', ...args], { encoding: 'utf8', timeout: 30_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, out, err }),
    );
  });
}

describe('crio-sentinel pods', () => {
  const fakes: FakeCri[] = [];
  const up = async (t: { root: string; node: ReturnType<typeof fakeNode> }): Promise<void> => {
    fs.mkdirSync(path.join(t.root, 'var/run/crio'), { recursive: true });
    fakes.push(await startFakeCri({ socketPath: path.join(t.root, 'var/run/crio/crio.sock'), ...t.node, specBytes: 200 }));
  };
  beforeAll(() => assertBuilt());
  afterAll(async () => {
    for (const f of fakes) await f.close();
  });

  it('exit 0 and a table when no container is at risk', async () => {
    const t = tree('ok', 'runc');
    await up(t);
    const r = await pods(t.root);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^POD\s+CONTAINER\s+ID\s+STATE\s+HANDLER\s+CREATED BY\s+DRIVEN NOW\s+AFTER NEXT START\s+RISK$/m);
    expect(r.out).toMatch(/^bench\/pod-0\s+c0\s+[0-9a-f]{13}\s+running\s+\(default\)\s+runc \/run\/runc\s+.*\s+ok$/m);
  });

  it('exit 1 when the files move running containers to crun (the JSON contract names them)', async () => {
    const t = tree('move', 'crun');
    await up(t);
    const r = await pods(t.root, '--output', 'json');
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out) as PodsReport;
    expect(j.exitStatus).toBe(1);
    expect(j.crio).toMatchObject({ runtimeName: 'cri-o', runtimeVersion: '1.32.13' });
    expect(j.model.counts.atRisk['will-change-runtime']).toBe(2);
    expect(j.model.podsAtRisk.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(['bench/pod-0', 'bench/pod-1']);
    expect(j.movingPods).toHaveLength(2);
    expect(j.findings.map((f) => [f.id, f.severity])).toEqual([['containers-will-change-runtime', 'warning']]);
    // no live /config on a gRPC-only fake: said, not hidden
    expect(j.crio.configError).toBeTruthy();
  });

  it('exit 2 for an orphan: CRI-O says exited, runc still runs it', async () => {
    const t = tree('orphan', 'runc', true);
    await up(t);
    const r = await pods(t.root);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toContain('CRITICAL container-orphaned-in-runtime');
  });

  it('exit 3 with one line when CRI-O does not answer', async () => {
    const t = tree('down', 'runc');
    const r = await pods(t.root);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/CRI-O does not answer on \/var\/run\/crio\/crio\.sock \(unreachable\)/);
  });

  it('exit 3 for a usage error, 0 for --help', async () => {
    expect((await pods(tmp, '--output', 'yaml')).code).toBe(3);
    const h = await pods(tmp, '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('exit status: 0 no container at risk, 1 warning, 2 critical, 3 could not run');
  });
});
