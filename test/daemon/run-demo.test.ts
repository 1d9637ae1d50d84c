/**
 * `crio-sentinel run --demo` as shipped: the real CLI from dist/, the bundled example node and the
 * bundled incident journal replayed in real time. The incident must show on the API, the metrics
 * and the page (stuck threshold shortened so the test takes seconds, not a minute).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sample, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';

let daemon: DaemonProcess | null = null;
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
});

describe('crio-sentinel run --demo', () => {
  it('prints the URL and shows the bundled incident on the API, the metrics and the page', async () => {
    daemon = await startDaemon(['--demo', '--stuck-threshold', '2s']);
    expect(daemon.stdout()).toMatch(/^crio-sentinel demo: open http:\/\/127\.0\.0\.1:\d+\/$/m);
    const m = await waitFor(
      'a stuck pod and stop failures on /metrics',
      async () => {
        const t = await daemon!.metrics();
        return (sample(t, 'crio_sentinel_pods_stuck_terminating') ?? 0) >= 1 &&
          sample(t, 'crio_sentinel_finding_active', { id: 'stop-failures-under-nvidia-default', severity: 'critical' }) === 1
          ? t
          : null;
      },
      45_000,
      250,
    );
    expect(sample(m, 'crio_sentinel_default_runtime_is_nvidia')).toBe(1);
    expect(sample(m, 'crio_sentinel_journal_up')).toBe(1);
    expect(sample(m, 'crio_sentinel_nvidia_gpus')).toBe(8);
    const st = await daemon.status();
    expect(st.ready.ok).toBe(true);
    expect(st.node.name).toBe('demo-gpu-node');
    expect(st.sources.journal.mode).toBe('file');
    const stuck = (st.events.stuckTerminating as { pod: string; resolved: boolean }[]).filter((p) => !p.resolved);
    expect(stuck.length).toBeGreaterThanOrEqual(1);
    const page = await daemon.get('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain(stuck[0]!.pod);
    expect(page.text).toMatch(/stop-failures-under-nvidia-default|Container stops fail through the NVIDIA runtime/);
    const r = await daemon.stop('SIGINT');
    expect(r.code).toBe(0);
  });
});
