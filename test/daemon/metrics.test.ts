import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/core/contracts.js';
import { createMetrics, METRIC_LIMITS, unitLabel } from '../../src/daemon/metrics.js';
import { CATALOGUE } from '../../src/findings/catalogue.js';
import { needBinary } from '../helpers/binaries.js';
import { documentedMetrics } from '../helpers/metrics-doc.js';
import { DEMO_STUCK_PODS, demoStatus, withStuckPods } from '../helpers/status-fixture.js';

/** The documented metric contract (the README's Metrics table): name -> [type, labels]. */
const CONTRACT: Record<string, ['gauge' | 'counter', string[]]> = {
  crio_sentinel_build_info: ['gauge', ['version', 'nodejs_version']],
  crio_sentinel_node_info: ['gauge', ['node', 'kernel', 'os']],
  crio_sentinel_default_runtime_info: ['gauge', ['runtime', 'runtime_path', 'source_file']],
  crio_sentinel_default_runtime_is_nvidia: ['gauge', []],
  crio_sentinel_runtime_handler_info: ['gauge', ['handler', 'runtime_path', 'runtime_type', 'runtime_root', 'nvidia']],
  crio_sentinel_crio_would_start: ['gauge', []],
  crio_sentinel_config_drift: ['gauge', []],
  crio_sentinel_config_reloads_total: ['counter', ['result']],
  crio_sentinel_config_last_reload_timestamp_seconds: ['gauge', []],
  crio_sentinel_finding_active: ['gauge', ['id', 'severity']],
  crio_sentinel_finding_severity: ['gauge', ['id']],
  crio_sentinel_findings_active: ['gauge', ['severity']],
  crio_sentinel_container_kill_failures_total: ['counter', ['reason', 'runtime', 'default_runtime']],
  crio_sentinel_stop_rpc_failures_total: ['counter', ['rpc', 'default_runtime']],
  crio_sentinel_exec_permission_denied_total: ['counter', ['default_runtime']],
  crio_sentinel_exec_loops: ['gauge', []],
  crio_sentinel_exec_loops_active: ['gauge', []],
  crio_sentinel_pods_stuck_terminating: ['gauge', []],
  crio_sentinel_pod_stuck_terminating_seconds: ['gauge', ['namespace', 'pod']],
  crio_sentinel_apparmor_denials_total: ['counter', ['operation', 'comm']],
  crio_sentinel_journal_up: ['gauge', []],
  crio_sentinel_journal_entries_total: ['counter', ['unit']],
  crio_sentinel_journal_skipped_total: ['counter', ['reason']],
  crio_sentinel_journal_restarts_total: ['counter', []],
  crio_sentinel_journal_state_restore_failures_total: ['counter', ['reason']],
  crio_sentinel_journal_last_entry_timestamp_seconds: ['gauge', []],
  crio_sentinel_crio_api_up: ['gauge', []],
  crio_sentinel_cri_up: ['gauge', []],
  crio_sentinel_cri_poll_failures_total: ['counter', ['kind']],
  crio_sentinel_cri_last_success_timestamp_seconds: ['gauge', []],
  crio_sentinel_containers: ['gauge', ['state']],
  crio_sentinel_containers_at_risk: ['gauge', ['risk']],
  crio_sentinel_pods_at_risk: ['gauge', []],
  crio_sentinel_runtime_state_skipped: ['gauge', ['reason']],
  crio_sentinel_nvidia_gpus: ['gauge', []],
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the text exposition format, enough for our own output. */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: m[3] === 'NaN' || m[3] === 'Nan' ? Number.NaN : Number(m[3]) });
  }
  return { types, samples };
}

async function scrape(status: () => DaemonStatus, prepare?: (m: ReturnType<typeof createMetrics>) => void) {
  const m = createMetrics({ status });
  prepare?.(m);
  const text = await m.registry.metrics();
  return { m, text, ...parse(text) };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('createMetrics', () => {
  it('exports every documented metric with its type and labels', async () => {
    const { types, samples, m } = await scrape(() => demoStatus());
    // counters only get labelled series once incremented; feed one of each
    m.events.killFailure('permission_denied', '/usr/bin/nvidia-container-runtime', 'nvidia');
    m.events.stopRpcFailure('KillContainer', 'nvidia');
    m.events.execPermissionDenied('nvidia');
    m.events.apparmorDenial('signal', 'runc');
    const again = parse(await m.registry.metrics());
    for (const [name, [type, labels]] of Object.entries(CONTRACT)) {
      expect(again.types.get(name), name).toBe(type);
      const s = find(again.samples, name);
      expect(s.length, `${name} has samples`).toBeGreaterThan(0);
      for (const x of s) expect(Object.keys(x.labels).sort(), name).toEqual([...labels].sort());
    }
    expect(types.get('crio_sentinel_process_cpu_seconds_total')).toBe('counter');
    expect(find(samples, 'crio_sentinel_process_resident_memory_bytes').length).toBe(1);
  });

  it('matches the README metrics table: every documented metric is exported with its type and labels, and every exported one is documented', async () => {
    const rows = documentedMetrics().filter((r) => !r.name.endsWith('*'));
    expect(rows.length).toBe(Object.keys(CONTRACT).length);
    for (const r of rows) {
      expect(CONTRACT[r.name], r.name).toBeDefined();
      expect([r.type, r.labels], r.name).toEqual([CONTRACT[r.name]![0], [...CONTRACT[r.name]![1]].sort()]);
    }
    const { types } = await scrape(() => demoStatus());
    const own = [...types.keys()].filter((n) => !/^crio_sentinel_(process|nodejs)_/.test(n));
    expect(own.sort()).toEqual(Object.keys(CONTRACT).sort());
  });

  it('passes the real promtool check metrics with nothing reported', async () => {
    const promtool = needBinary('promtool', 'prometheus');
    if (!promtool) return;
    const { m } = await scrape(() => demoStatus());
    m.events.killFailure('permission_denied', '/usr/bin/nvidia-container-runtime', 'nvidia');
    m.events.stopRpcFailure('StopContainer', 'nvidia');
    m.events.execPermissionDenied('nvidia');
    m.events.apparmorDenial('signal', 'runc');
    m.journal.entry('crio.service');
    m.journal.skip('truncated');
    m.config.reload('success');
    const text = await m.registry.metrics();
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    // a status with nothing known yet must be just as clean
    const empty = createMetrics({
      status: () => demoStatus({ events: null, findings: [], config: { report: null, lastReloadAt: null, reloads: { success: 0, failure: 0 }, lastError: null }, node: { name: 'n', kernel: null, os: null, nvidiaGpus: null, gpuModels: [] } }),
    });
    const r2 = spawnSync(promtool, ['check', 'metrics'], { input: await empty.registry.metrics(), encoding: 'utf8' });
    expect(r2.stdout + r2.stderr).toBe('');
  });

  it('renders the configuration state from the status', async () => {
    const { samples } = await scrape(() => demoStatus());
    expect(find(samples, 'crio_sentinel_default_runtime_info')).toEqual([
      {
        name: 'crio_sentinel_default_runtime_info',
        labels: { runtime: 'nvidia', runtime_path: '/usr/bin/nvidia-container-runtime', source_file: '/etc/crio/crio.conf.d/99-nvidia.conf' },
        value: 1,
      },
    ]);
    expect(find(samples, 'crio_sentinel_default_runtime_is_nvidia')[0]?.value).toBe(1);
    expect(find(samples, 'crio_sentinel_runtime_handler_info').map((s) => [s.labels.handler, s.labels.nvidia])).toEqual([
      ['crun', 'false'],
      ['nvidia', 'true'],
      ['runc', 'false'],
    ]);
    expect(find(samples, 'crio_sentinel_crio_would_start')[0]?.value).toBe(1);
    expect(find(samples, 'crio_sentinel_config_drift')[0]?.value).toBe(0);
    expect(find(samples, 'crio_sentinel_node_info')[0]?.labels).toEqual({ node: 'gpu-node-07', kernel: '6.8.0-49-generic', os: 'Ubuntu 24.04.1 LTS' });
    expect(find(samples, 'crio_sentinel_nvidia_gpus')[0]?.value).toBe(4);
    expect(find(samples, 'crio_sentinel_config_last_reload_timestamp_seconds')[0]?.value).toBe(Date.parse('2026-11-28T09:59:30Z') / 1000);
    expect(find(samples, 'crio_sentinel_journal_restarts_total')[0]?.value).toBe(1);
    expect(find(samples, 'crio_sentinel_journal_up')[0]?.value).toBe(1);
    expect(find(samples, 'crio_sentinel_crio_api_up')[0]?.value).toBe(1);
    expect(find(samples, 'crio_sentinel_exec_loops')[0]?.value).toBe(1);
  });

  it('labels the source of a default set by flag or builtin', async () => {
    const flagged = demoStatus();
    flagged.config.report!.effective!.defaultRuntime = { name: 'crun', source: { flag: '--default-runtime' } };
    let { samples } = await scrape(() => flagged);
    expect(find(samples, 'crio_sentinel_default_runtime_info')[0]?.labels.source_file).toBe('flag:--default-runtime');
    expect(find(samples, 'crio_sentinel_default_runtime_is_nvidia')[0]?.value).toBe(0);
    const builtin = demoStatus();
    builtin.config.report!.effective!.defaultRuntime = { name: 'runc', source: { builtin: true } };
    ({ samples } = await scrape(() => builtin));
    expect(find(samples, 'crio_sentinel_default_runtime_info')[0]?.labels).toMatchObject({ runtime: 'runc', source_file: 'builtin', runtime_path: '/usr/libexec/crio/runc' });
  });

  it('exports finding_active 0/1 for every catalogue id with a stable severity label', async () => {
    const { samples } = await scrape(() => demoStatus());
    const active = find(samples, 'crio_sentinel_finding_active');
    expect(active.map((s) => s.labels.id).sort()).toEqual(CATALOGUE.map((e) => e.id).sort());
    for (const e of CATALOGUE) expect(find(active, 'crio_sentinel_finding_active', { id: e.id })[0]?.labels.severity).toBe(e.severity);
    const on = active.filter((s) => s.value === 1).map((s) => s.labels.id).sort();
    expect(on).toEqual(['exec-permission-denied-loop', 'nvidia-default-runtime', 'nvidia-handler-without-runtime-root', 'pod-stuck-terminating', 'stop-failures-under-nvidia-default']);
    // nvidia-default-runtime is raised to critical by mergeFindings; the label stays "warning", the level says 3
    expect(find(samples, 'crio_sentinel_finding_active', { id: 'nvidia-default-runtime' })[0]?.labels.severity).toBe('warning');
    expect(find(samples, 'crio_sentinel_finding_severity', { id: 'nvidia-default-runtime' })[0]?.value).toBe(3);
    expect(find(samples, 'crio_sentinel_finding_severity', { id: 'exec-permission-denied-loop' })[0]?.value).toBe(2);
    expect(find(samples, 'crio_sentinel_finding_severity', { id: 'reload-failed' })[0]?.value).toBe(0);
    const none = await scrape(() => demoStatus({ findings: [] }));
    expect(find(none.samples, 'crio_sentinel_finding_active').every((s) => s.value === 0)).toBe(true);
    expect(find(none.samples, 'crio_sentinel_finding_active').length).toBe(CATALOGUE.length);
  });

  it('keeps one stuck-pod series per stuck pod and removes it when the pod resolves', async () => {
    let status = demoStatus();
    const m = createMetrics({ status: () => status });
    let s = parse(await m.registry.metrics()).samples;
    expect(find(s, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(3);
    expect(find(s, 'crio_sentinel_pod_stuck_terminating_seconds').map((x) => [x.labels.namespace, x.labels.pod, x.value])).toEqual([
      ['ml-team', 'trainer-7f9c6d5b8-x2kqp', 2412],
      ['ml-team', 'notebook-0', 1865],
      ['default', 'backend-ccfff5ccc-ktngm', 1320],
    ]);
    status = withStuckPods(DEMO_STUCK_PODS.map((p) => (p.pod === 'notebook-0' ? { ...p, resolved: true } : p)));
    s = parse(await m.registry.metrics()).samples;
    expect(find(s, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(2);
    expect(find(s, 'crio_sentinel_pod_stuck_terminating_seconds').map((x) => x.labels.pod)).toEqual(['trainer-7f9c6d5b8-x2kqp', 'backend-ccfff5ccc-ktngm']);
    status = withStuckPods([]);
    s = parse(await m.registry.metrics()).samples;
    expect(find(s, 'crio_sentinel_pod_stuck_terminating_seconds')).toEqual([]);
    expect(find(s, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(0);
    expect(find(s, 'crio_sentinel_finding_active', { id: 'pod-stuck-terminating' })[0]?.value).toBe(0);
  });

  it('never uses a container ID as a label: unnamed stuck pods share one unknown series', async () => {
    const unnamed = [0, 1].map((i) => ({
      namespace: null,
      pod: null,
      podUID: null,
      containerIds: [`${i}f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef01`],
      firstStopAt: '2026-11-28T09:00:00Z',
      resolved: false,
      stuckSeconds: 100 + i,
    }));
    const { text, samples } = await scrape(() => withStuckPods(unnamed));
    expect(find(samples, 'crio_sentinel_pod_stuck_terminating_seconds')).toEqual([
      { name: 'crio_sentinel_pod_stuck_terminating_seconds', labels: { namespace: 'unknown', pod: 'unknown' }, value: 101 },
    ]);
    expect(find(samples, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(2);
    expect(text).not.toContain('f9a1c2b7d4e5');
  });

  it('caps the stuck-pod series, longest stuck first', async () => {
    const many = Array.from({ length: METRIC_LIMITS.stuckPods + 50 }, (_, i) => ({
      namespace: 'ns',
      pod: `p-${i}`,
      podUID: null,
      containerIds: [],
      firstStopAt: '2026-11-28T09:00:00Z',
      resolved: false,
      stuckSeconds: i,
    }));
    const { samples } = await scrape(() => withStuckPods(many));
    const series = find(samples, 'crio_sentinel_pod_stuck_terminating_seconds');
    expect(series.length).toBe(METRIC_LIMITS.stuckPods);
    expect(series[0]?.labels.pod).toBe(`p-${many.length - 1}`);
    expect(find(samples, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(many.length);
  });

  it('counts events through the sinks with bounded labels', async () => {
    const { m } = await scrape(() => demoStatus());
    m.events.killFailure('permission_denied', '/usr/bin/nvidia-container-runtime', 'nvidia');
    m.events.killFailure('permission_denied', '/usr/bin/nvidia-container-runtime', 'nvidia');
    for (let i = 0; i < 100; i++) m.events.apparmorDenial('signal', `comm-${i}`);
    for (let i = 0; i < 100; i++) m.events.killFailure(`reason-${i}`, `/x/rt-${i}`, 'nvidia');
    m.journal.entry('crio.service');
    m.journal.entry('kubelet.service');
    m.journal.entry('crio-conmon-3f9a1c2b.scope');
    m.journal.entry('kernel');
    m.journal.entry('sshd.service');
    m.journal.skip('oversize');
    m.journal.skip('made-up');
    m.config.reload('failure');
    const s = parse(await m.registry.metrics()).samples;
    expect(find(s, 'crio_sentinel_container_kill_failures_total', { reason: 'permission_denied', runtime: 'nvidia-container-runtime', default_runtime: 'nvidia' })[0]?.value).toBe(2);
    expect(find(s, 'crio_sentinel_apparmor_denials_total').length).toBe(METRIC_LIMITS.labelValues + 1);
    expect(find(s, 'crio_sentinel_apparmor_denials_total', { comm: 'other' })[0]?.value).toBe(100 - METRIC_LIMITS.labelValues);
    expect(find(s, 'crio_sentinel_container_kill_failures_total').length).toBeLessThanOrEqual((METRIC_LIMITS.labelValues + 1) * 2);
    for (const u of ['crio', 'kubelet', 'conmon', 'kernel', 'other']) expect(find(s, 'crio_sentinel_journal_entries_total', { unit: u })[0]?.value, u).toBe(1);
    expect(find(s, 'crio_sentinel_journal_skipped_total', { reason: 'oversize' })[0]?.value).toBe(1);
    expect(find(s, 'crio_sentinel_journal_skipped_total', { reason: 'other' })[0]?.value).toBe(1);
    expect(find(s, 'crio_sentinel_journal_skipped_total', { reason: 'truncated' })[0]?.value).toBe(0);
    expect(find(s, 'crio_sentinel_config_reloads_total', { result: 'failure' })[0]?.value).toBe(1);
    expect(find(s, 'crio_sentinel_config_reloads_total', { result: 'success' })[0]?.value).toBe(0);
  });

  it('reads the status once per scrape and handles unknown values', async () => {
    let calls = 0;
    const m = createMetrics({
      status: () => {
        calls++;
        return demoStatus({ node: { name: 'n', kernel: null, os: null, nvidiaGpus: null, gpuModels: [] }, events: null });
      },
      processMetrics: false,
    });
    const s = parse(await m.registry.metrics()).samples;
    expect(calls).toBe(1);
    expect(Number.isNaN(find(s, 'crio_sentinel_nvidia_gpus')[0]?.value)).toBe(true);
    expect(find(s, 'crio_sentinel_pods_stuck_terminating')[0]?.value).toBe(0);
    expect(find(s, 'crio_sentinel_process_cpu_seconds_total')).toEqual([]);
    await m.registry.metrics();
    expect(calls).toBe(2);
  });

  it('maps journal units to the bounded unit label', () => {
    expect(unitLabel('crio.service')).toBe('crio');
    expect(unitLabel('crio-conmon-abc.scope')).toBe('conmon');
    expect(unitLabel('kubelet.service')).toBe('kubelet');
    expect(unitLabel(null)).toBe('other');
    expect(unitLabel('containerd.service')).toBe('other');
  });
});
