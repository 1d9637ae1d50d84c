/**
 * A realistic DaemonStatus for tests: a GPU node whose CRI-O was switched to the NVIDIA wrapper
 * as default runtime by /etc/crio/crio.conf.d/99-nvidia.conf line 4, with three pods stuck in
 * Terminating, one exec permission-denied loop and the findings that go with it.
 *
 * `demoStatus(overrides)` merges `overrides` shallowly over the top level; use `withStuckPods`
 * and friends for the nested parts tests usually vary.
 */
import type { DaemonStatus, EventSnapshot, Finding } from '../../src/core/contracts.js';
import { mergeFindings } from '../../src/findings/catalogue.js';

export const DEMO_GENERATED_AT = '2026-11-28T10:00:00.000Z';
const T0 = Date.parse(DEMO_GENERATED_AT);
const ago = (seconds: number): string => new Date(T0 - seconds * 1000).toISOString();

export const DEMO_STUCK_PODS: EventSnapshot['stuckTerminating'] = [
  {
    namespace: 'ml-team',
    pod: 'trainer-7f9c6d5b8-x2kqp',
    podUID: '6f1c2a8e-3b7d-4c2e-9a51-0d8e7f6a1b23',
    containerIds: ['3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef01'],
    firstStopAt: ago(2412),
    resolved: false,
    stuckSeconds: 2412,
  },
  {
    namespace: 'ml-team',
    pod: 'notebook-0',
    podUID: '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d',
    containerIds: ['8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b'],
    firstStopAt: ago(1865),
    resolved: false,
    stuckSeconds: 1865,
  },
  {
    namespace: 'default',
    pod: 'backend-ccfff5ccc-ktngm',
    podUID: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e',
    containerIds: ['aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff22aa33bb44cc55dd66'],
    firstStopAt: ago(1320),
    resolved: false,
    stuckSeconds: 1320,
  },
];

const NVIDIA_EVIDENCE = 'file /etc/crio/crio.conf.d/99-nvidia.conf line 4: default_runtime = "nvidia"';

function stuckFinding(p: EventSnapshot['stuckTerminating'][number]): Finding {
  return {
    id: 'pod-stuck-terminating',
    severity: 'critical',
    summary: `Pod ${p.namespace}/${p.pod} has been stuck in Terminating for ${Math.floor(p.stuckSeconds / 60)} minutes`,
    evidence: [
      `CRI-O repeats "Stopping container" for ${p.containerIds[0]?.slice(0, 12)} since ${p.firstStopAt} with no exit`,
      `Killing container ${p.containerIds[0]?.slice(0, 12)} failed: /usr/bin/nvidia-container-runtime kill: unable to signal init: permission denied`,
    ],
    remediation: `${p.namespace}/${p.pod} cannot be stopped. Fix the correlated cause (runtime routing, AppArmor, missing handler); kubelet's retries then complete the deletion. A force delete removes only the API object and leaves the container running on the node.`,
    subject: { namespace: p.namespace ?? undefined, pod: p.pod ?? undefined, podUID: p.podUID ?? undefined },
  };
}

export function demoFindings(stuck: EventSnapshot['stuckTerminating'] = DEMO_STUCK_PODS): Finding[] {
  return mergeFindings(
    [
      {
        id: 'nvidia-default-runtime',
        severity: 'warning',
        summary: 'CRI-O runs every pod without a RuntimeClass through the NVIDIA wrapper',
        evidence: [NVIDIA_EVIDENCE, 'runtime_path = "/usr/bin/nvidia-container-runtime" (/etc/crio/crio.conf.d/99-nvidia.conf line 7)'],
        remediation:
          'Do not make nvidia CRI-O\'s default runtime. Remove `default_runtime` from the nvidia drop-in and keep its `[crio.runtime.runtimes.nvidia]` table. Create a RuntimeClass with `handler: nvidia` and set `runtimeClassName: nvidia` on GPU pods, or use CDI through the GPU Operator. Drain the node before restarting CRI-O.',
        subject: { file: '/etc/crio/crio.conf.d/99-nvidia.conf' },
      },
      {
        id: 'nvidia-handler-without-runtime-root',
        severity: 'info',
        summary: 'The nvidia handler has no runtime_root and uses CRI-O\'s default /run/runc',
        evidence: ['/etc/crio/crio.conf.d/99-nvidia.conf: [crio.runtime.runtimes.nvidia] sets no runtime_root'],
        remediation: 'The nvidia handler uses CRI-O\'s default root (/run/runc on CRI-O 1.30). Set runtime_root to match the runtime the wrapper actually uses.',
      },
    ],
    [
      {
        id: 'stop-failures-under-nvidia-default',
        severity: 'critical',
        summary: 'Container stops fail through /usr/bin/nvidia-container-runtime (37 failures on 3 containers)',
        evidence: [
          'journal crio.service 09:20:13: Killing container 3f9a1c2b7d4e failed: `/usr/bin/nvidia-container-runtime --root /run/runc kill 3f9a1c2b7d4e KILL` failed: unable to signal init: permission denied',
          'kubelet: failed to "KillContainer" for "trainer" with KillContainerError: rpc error: code = DeadlineExceeded',
        ],
        remediation:
          'Stops are failing through the NVIDIA runtime. Immediate relief: remove `default_runtime = "nvidia"` from the drop-in and restart CRI-O (the report confirms this restores normal stops). Then apply the RuntimeClass setup.',
      },
      ...stuck.filter((p) => !p.resolved).map(stuckFinding),
      {
        id: 'exec-permission-denied-loop',
        severity: 'warning',
        summary: 'Exec probes of ml-team/notebook-0 container jupyter fail with permission denied (14 times)',
        evidence: ['kubelet: Probe errored: rpc error: code = Unknown desc = command error: exec failed: permission denied (14 times since 09:31:02)'],
        remediation:
          'Exec into ml-team/notebook-0/jupyter fails with permission denied on every probe. Check whether the pod now runs under a different runtime (default switch, AppArmor denials); otherwise check the binary\'s mode and noexec mounts.',
        subject: { namespace: 'ml-team', pod: 'notebook-0', containerId: '8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b' },
      },
    ],
  );
}

export function demoEvents(stuck: EventSnapshot['stuckTerminating'] = DEMO_STUCK_PODS): EventSnapshot {
  return {
    entries: 18234,
    killFailures: stuck.map((p, i) => ({
      containerId: p.containerIds[0] ?? `c${i}`,
      count: 12 + i,
      reason: 'permission_denied',
      runtimePath: '/usr/bin/nvidia-container-runtime',
      namespace: p.namespace ?? undefined,
      pod: p.pod ?? undefined,
    })),
    stopRpcFailures: 42,
    execPermissionDenied: [
      {
        containerId: '8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b',
        count: 14,
        loop: true,
        active: true,
        namespace: 'ml-team',
        pod: 'notebook-0',
        container: 'jupyter',
      },
    ],
    stuckTerminating: stuck,
    defaultRuntimeTimeline: [
      { at: ago(86_400), defaultRuntime: 'runc', source: 'journal: CRI-O startup' },
      { at: ago(2700), defaultRuntime: 'nvidia', source: 'journal: Set config default_runtime to nvidia' },
    ],
    crio: {
      version: '1.30.4',
      lastStartAt: ago(2700),
      configuredDefault: 'nvidia',
      runtimeLayerDefault: 'nvidia',
      handlers: ['crun', 'nvidia', 'runc'],
    },
    totals: {
      killFailures: { total: stuck.length, shown: stuck.length, truncated: false, failures: stuck.reduce((n, _p, i) => n + 12 + i, 0) },
      execPermissionDenied: { total: 1, shown: 1, truncated: false, failures: 14, loops: 1, activeLoops: 1 },
      stuckTerminating: { total: stuck.length, shown: stuck.length, truncated: false, stuck: stuck.filter((p) => !p.resolved).length },
    },
  };
}

export function demoStatus(overrides: Partial<DaemonStatus> = {}): DaemonStatus {
  const runtimes = {
    runc: {
      runtimePath: '/usr/libexec/crio/runc',
      runtimeType: 'oci',
      runtimeRoot: '/run/runc',
      monitorPath: '/usr/libexec/crio/conmon',
      isNvidia: false,
      source: { file: '/etc/crio/crio.conf', line: 12 },
    },
    crun: {
      runtimePath: '/usr/libexec/crio/crun',
      runtimeType: 'oci',
      runtimeRoot: '/run/crun',
      monitorPath: '/usr/libexec/crio/conmon',
      isNvidia: false,
      source: { file: '/etc/crio/crio.conf.d/10-crun.conf', line: 3 },
    },
    nvidia: {
      runtimePath: '/usr/bin/nvidia-container-runtime',
      runtimeType: 'oci',
      runtimeRoot: '/run/runc',
      monitorPath: '/usr/libexec/crio/conmon',
      isNvidia: true,
      source: { file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 6 },
    },
  };
  const base: DaemonStatus = {
    version: '0.1.0',
    node: { name: 'gpu-node-07', kernel: '6.8.0-49-generic', os: 'Ubuntu 24.04.1 LTS', nvidiaGpus: 4, gpuModels: ['NVIDIA GeForce RTX 4090'] },
    generatedAt: DEMO_GENERATED_AT,
    crioVersion: '1.30.4',
    config: {
      report: {
        crioVersion: '1.30.4',
        files: [
          { path: '/etc/crio/crio.conf', status: 'applied' },
          { path: '/etc/crio/crio.conf.d/10-crun.conf', status: 'applied' },
          { path: '/etc/crio/crio.conf.d/99-nvidia.conf', status: 'applied' },
        ],
        effective: {
          defaultRuntime: { name: 'nvidia', source: { file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 4 } },
          runtimes,
        },
        evaluated: true,
        crioWouldStart: true,
        startError: null,
        lowLevelRuntime: { wrapper: '/usr/bin/nvidia-container-runtime', binary: '/usr/sbin/runc' },
        findings: [],
      },
      lastReloadAt: ago(30),
      reloads: { success: 3, failure: 0 },
      lastError: null,
    },
    live: {
      source: 'api',
      defaultRuntime: 'nvidia',
      runtimes: {
        runc: { runtimePath: runtimes.runc.runtimePath, runtimeRoot: runtimes.runc.runtimeRoot, runtimeType: 'oci' },
        crun: { runtimePath: runtimes.crun.runtimePath, runtimeRoot: runtimes.crun.runtimeRoot, runtimeType: 'oci' },
        nvidia: { runtimePath: runtimes.nvidia.runtimePath, runtimeRoot: runtimes.nvidia.runtimeRoot, runtimeType: 'oci' },
      },
      info: { storage_driver: 'overlay', cgroup_driver: 'systemd' },
      process: { pid: 1234, startedAt: ago(2700), args: ['/usr/bin/crio'], env: {} },
      lastError: null,
    },
    drift: false,
    events: demoEvents(),
    findings: demoFindings(),
    sources: {
      journal: { up: true, mode: 'follow', restarts: 1, lastEntryAtUs: (T0 - 2000) * 1000, lastError: null },
      crioApi: { up: true, lastError: null },
      nodeFacts: { up: true, lastError: null },
    },
    ready: { ok: true, reason: 'configuration evaluated; journal source up' },
  };
  return { ...base, ...overrides };
}

/** The demo status with a different set of stuck pods (events and findings follow). */
export function withStuckPods(stuck: EventSnapshot['stuckTerminating'], overrides: Partial<DaemonStatus> = {}): DaemonStatus {
  return demoStatus({ events: demoEvents(stuck), findings: demoFindings(stuck), ...overrides });
}
