/**
 * The daemon's CRI source in-process, over a FAKE gRPC CRI (bench/fake-cri.ts) for what the real
 * CRI-O cannot be made to do on demand (hang on every call) and runtime roots under --root:
 * /api/v1/status `containers` and `sources.cri`, the container metrics, and a CRI-O that stops
 * answering: /metrics and /readyz still answer within 1 s, the CRI source shows down within a poll.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/core/contracts.js';
import { createDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { silentLogger } from '../../src/daemon/log.js';
import { fakeNode, startFakeCri, type FakeCri } from '../../bench/fake-cri.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-cri-daemon-'));
const node = fakeNode(2, 1);
const orphanId = 'f'.repeat(64);
let fake: FakeCri;
let daemon: Daemon;
let url: string;

function write(rel: string, text: string): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}
const stat = (pid: number, start: number): string => `${pid} (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 1 1\n`;
const state = (id: string, pid: number, labels: string[]): string =>
  JSON.stringify({ id, init_process_pid: pid, init_process_start: 100 + pid, created: '2026-12-02T00:00:00Z', config: { labels } });

beforeAll(async () => {
  write('etc/crio/crio.conf', '[crio.runtime]\ndefault_runtime = "runc"\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/sbin/runc"\nruntime_root = "/run/runc"\n');
  fs.mkdirSync(path.join(root, 'etc/crio/crio.conf.d'), { recursive: true });
  write('proc/1/stat', stat(1, 101));
  for (const c of node.containers) {
    write(`proc/${c.pid}/stat`, stat(c.pid, 100 + c.pid));
    write(`run/runc/${c.id}/state.json`, state(c.id, c.pid, ['io.container.manager=cri-o', `io.kubernetes.cri-o.SandboxID=${c.podSandboxId}`]));
  }
  // a container a runtime still runs that CRI-O does not list
  write('proc/4242/stat', stat(4242, 4342));
  write(`run/runc/${orphanId}/state.json`, state(orphanId, 4242, ['io.container.manager=cri-o', 'io.kubernetes.pod.namespace=ml', 'io.kubernetes.pod.name=ghost']));
  write('run/runc/junk', 'not a container');
  fs.mkdirSync(path.join(root, 'var/run/crio'), { recursive: true });
  fake = await startFakeCri({ socketPath: path.join(root, 'var/run/crio/crio.sock'), ...node, specBytes: 500 });
  const flags = parseRunFlags(
    ['--root', root, '--web.listen-address', '127.0.0.1:0', '--crio-version', '1.32.13', '--no-journal', '--crio-poll-interval', '1s', '--state-dir', path.join(root, 'state')],
    {},
    'test-node',
  );
  daemon = createDaemon({ flags, clock: Date.now, log: silentLogger, listProcesses: null });
  url = (await daemon.start()).url;
});
afterAll(async () => {
  await daemon?.stop();
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function status(): Promise<DaemonStatus> {
  return (await (await fetch(new URL('/api/v1/status', url))).json()) as DaemonStatus;
}
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('daemon CRI source', () => {
  it('/api/v1/status: the containers section, the CRI source, the unknown-to-crio finding', async () => {
    const st = await until(status, (s) => s.sources.cri?.up === true && s.containers?.model !== null);
    expect(st.sources.cri).toMatchObject({ up: true, mode: 'poll', lastError: null });
    const m = st.containers?.model;
    expect(m?.counts.byState).toMatchObject({ running: 2, 'not-in-cri': 1 });
    expect(m?.counts.atRisk['unknown-to-crio']).toBe(1);
    expect(m?.podsAtRisk[0]).toMatchObject({ namespace: 'ml', name: 'ghost', risks: ['unknown-to-crio'] });
    expect(st.containers?.runtimeState.roots.find((r) => r.root === '/run/runc')).toMatchObject({ holdings: 3, skipped: { 'not-a-directory': 1 } });
    const f = st.findings.find((x) => x.id === 'container-unknown-to-crio');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence[0]).toContain('ml/ghost');
  });

  it('/metrics: container gauges with bounded labels and no container IDs', async () => {
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(text).toMatch(/^crio_sentinel_cri_up 1$/m);
    expect(text).toMatch(/^crio_sentinel_containers\{state="running"\} 2$/m);
    expect(text).toMatch(/^crio_sentinel_containers_at_risk\{risk="unknown-to-crio"\} 1$/m);
    expect(text).toMatch(/^crio_sentinel_pods_at_risk 1$/m);
    expect(text).toMatch(/^crio_sentinel_runtime_state_skipped\{reason="not-a-directory"\} 1$/m);
    for (const c of node.containers) expect(text).not.toContain(c.id.slice(0, 12));
    expect(text).not.toContain(orphanId.slice(0, 12));
  });

  it('a CRI-O that stops answering: /metrics and /readyz answer within 1 s, the source shows down within a poll', async () => {
    fake.mode = 'hang';
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) {
      for (const p of ['/metrics', '/readyz']) {
        const s = Date.now();
        const r = await fetch(new URL(p, url));
        await r.text();
        expect(Date.now() - s, p).toBeLessThan(1000);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const st = await until(status, (s) => s.sources.cri?.up === false);
    // one poll period (1 s) plus the 2 s deadline of the Version call
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(st.sources.cri).toMatchObject({ up: false, lastErrorKind: 'timeout' });
    expect(st.sources.cri?.failures.timeout).toBeGreaterThanOrEqual(1);
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(text).toMatch(/^crio_sentinel_cri_up 0$/m);
    expect(text).toMatch(/^crio_sentinel_cri_poll_failures_total\{kind="timeout"\} [1-9]/m);
    fake.mode = 'ok';
    const back = await until(status, (s) => s.sources.cri?.up === true);
    expect(back.sources.cri?.up).toBe(true);
  }, 60_000);
});
