/**
 * The metric semantics the alert lifecycle depends on (issue #10 item 3):
 * - exec_loops_active counts the loops going on now (the correlator's total), so
 *   CrioSentinelExecPermissionDeniedLoop resolves when a loop ends (exec_loops counts loops ever seen);
 * - findings_active{severity} counts what the status page counts (the raised severity);
 * - the stop/kill/exec counters exist at 0 on a healthy node.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonStatus, Finding } from '../../src/core/contracts.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { demoStatus } from '../helpers/status-fixture.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(status: () => DaemonStatus): Promise<Sample[]> {
  const m = createMetrics({ status, processMetrics: false });
  const out: Sample[] = [];
  for (const line of (await m.registry.metrics()).split('\n')) {
    const x = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!x) continue;
    const labels: Record<string, string> = {};
    for (const l of (x[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: x[1]!, labels, value: Number(x[3]) });
  }
  return out;
}
const pick = (s: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
const value = (s: Sample[], name: string, labels: Record<string, string> = {}): number | undefined => pick(s, name, labels)[0]?.value;

/** the page's count: status-page.ts renders `st.findings.filter((f) => f.severity === sev).length` per heading */
const pageCount = (st: DaemonStatus, sev: Finding['severity']): number => st.findings.filter((f) => f.severity === sev).length;

describe('metrics the alert lifecycle depends on', () => {
  it('exec_loops_active counts the loops going on now: the loop ends, the gauge drops to 0 while exec_loops still remembers it', async () => {
    const looping = demoStatus();
    expect(looping.events!.totals.execPermissionDenied).toMatchObject({ loops: 1, activeLoops: 1 });
    let s = await scrape(() => looping);
    expect(value(s, 'crio_sentinel_exec_loops_active')).toBe(1);
    expect(value(s, 'crio_sentinel_exec_loops')).toBe(1);

    // the quiet period passed: the correlator says the loop is no longer active; it was seen, though
    const ended = demoStatus({ findings: demoStatus().findings.filter((f) => f.id !== 'exec-permission-denied-loop') });
    ended.events!.execPermissionDenied = ended.events!.execPermissionDenied.map((e) => ({ ...e, active: false }));
    ended.events!.totals.execPermissionDenied.activeLoops = 0;
    s = await scrape(() => ended);
    expect(value(s, 'crio_sentinel_exec_loops_active')).toBe(0);
    expect(value(s, 'crio_sentinel_exec_loops')).toBe(1);
  });

  it('exec_loops_active is the correlator total, not the bounded list or the findings capped at 20 subjects', async () => {
    const st = demoStatus();
    st.events!.totals.execPermissionDenied = { ...st.events!.totals.execPermissionDenied, total: 250, shown: 200, truncated: true, loops: 240, activeLoops: 230 };
    expect(st.findings.filter((f) => f.id === 'exec-permission-denied-loop').length).toBeLessThan(230);
    expect(value(await scrape(() => st), 'crio_sentinel_exec_loops_active')).toBe(230);
  });

  it('findings_active{severity} counts what the status page counts, by the raised severity', async () => {
    const st = demoStatus();
    // the fixture has nvidia-default-runtime raised from its catalogue default (warning) to critical
    expect(st.findings.find((f) => f.id === 'nvidia-default-runtime')?.severity).toBe('critical');
    const s = await scrape(() => st);
    for (const sev of ['critical', 'warning', 'info'] as const) {
      expect(value(s, 'crio_sentinel_findings_active', { severity: sev }), sev).toBe(pageCount(st, sev));
    }
    expect(pageCount(st, 'critical')).toBeGreaterThan(pick(s, 'crio_sentinel_finding_active', { severity: 'critical' }).filter((x) => x.value === 1).length);
    // no findings: three series at 0, not "no data"
    const none = await scrape(() => demoStatus({ findings: [] }));
    expect(pick(none, 'crio_sentinel_findings_active').map((x) => [x.labels.severity, x.value])).toEqual([
      ['critical', 0],
      ['warning', 0],
      ['info', 0],
    ]);
  });

  it('the stop, kill and exec counters exist at 0 for the default runtime in force before any failure', async () => {
    const s = await scrape(() => demoStatus());
    const rpcs = pick(s, 'crio_sentinel_stop_rpc_failures_total');
    expect(rpcs.map((x) => x.labels.rpc).sort()).toEqual(['KillContainer', 'KillPodSandbox', 'StopContainer', 'StopPodSandbox']);
    expect(rpcs.every((x) => x.value === 0 && x.labels.default_runtime === 'nvidia')).toBe(true);
    expect(pick(s, 'crio_sentinel_exec_permission_denied_total')).toEqual([
      { name: 'crio_sentinel_exec_permission_denied_total', labels: { default_runtime: 'nvidia' }, value: 0 },
    ]);
    const kills = pick(s, 'crio_sentinel_container_kill_failures_total');
    expect(kills.map((x) => x.labels.reason).sort()).toEqual(['deadline_exceeded', 'handler_missing', 'no_such_process', 'other', 'permission_denied', 'state_missing']);
    expect(kills.every((x) => x.value === 0 && x.labels.runtime === 'nvidia-container-runtime' && x.labels.default_runtime === 'nvidia')).toBe(true);
    // free-text labels: no invented series
    expect(pick(s, 'crio_sentinel_apparmor_denials_total')).toEqual([]);
  });

  it('a real failure increments the initialised series (the same labels), and the runtime layer wins over the files', async () => {
    const st = demoStatus();
    st.events!.crio.runtimeLayerDefault = 'runc';
    const m = createMetrics({ status: () => st, processMetrics: false });
    m.events.stopRpcFailure('StopContainer', 'runc');
    const text = await m.registry.metrics();
    expect(text).toContain('crio_sentinel_stop_rpc_failures_total{rpc="StopContainer",default_runtime="runc"} 1');
    expect(text).toContain('crio_sentinel_stop_rpc_failures_total{rpc="KillContainer",default_runtime="runc"} 0');
    expect(text).toContain('crio_sentinel_container_kill_failures_total{reason="permission_denied",runtime="runc",default_runtime="runc"} 0');
    expect(text).not.toContain('default_runtime="nvidia"');
  });

  it('nothing known yet (no configuration, no journal): no invented label values', async () => {
    const s = await scrape(() => demoStatus({ events: null, config: { report: null, lastReloadAt: null, reloads: { success: 0, failure: 0 }, lastError: null } }));
    expect(pick(s, 'crio_sentinel_stop_rpc_failures_total')).toEqual([]);
    expect(pick(s, 'crio_sentinel_container_kill_failures_total')).toEqual([]);
    expect(value(s, 'crio_sentinel_exec_loops_active')).toBe(0);
  });
});
