import { describe, expect, it } from 'vitest';
import type { ConfigReport, EventSnapshot, Finding, LiveCrio, NodeFacts } from '../../src/core/contracts.js';
import { compareWithLive } from '../../src/live/compare.js';
import { evaluateFindings } from '../../src/findings/engine.js';
import { createCorrelator } from '../../src/events/correlator.js';
import { createDefaultTimeline } from '../../src/events/default-timeline.js';

/** The daemon's evaluation without config findings: live + node + events (an empty correlator; the snapshot as given). */
function liveFindings(r: ConfigReport, live: LiveCrio, ev: EventSnapshot | null, node: NodeFacts): Finding[] {
  const timeline = createDefaultTimeline();
  const events = ev ? { correlator: createCorrelator({ timeline }), timeline, snapshot: ev, nowMs: Date.parse('2026-11-28T22:10:00.000Z') } : null;
  return evaluateFindings({ config: r, live, node, events });
}

const handler = (runtimePath: string, runtimeRoot: string, isNvidia = false) => ({
  runtimePath,
  runtimeRoot,
  runtimeType: 'oci',
  monitorPath: '/usr/libexec/crio/conmon',
  isNvidia,
  source: { file: '/etc/crio/crio.conf.d/10-crio.conf', line: 9 },
});

function report(defaultRuntime: string, withNvidia: boolean): ConfigReport {
  const runtimes: NonNullable<ConfigReport['effective']>['runtimes'] = {
    crun: handler('/usr/libexec/crio/crun', '/run/crun'),
    runc: handler('/usr/libexec/crio/runc', '/run/runc'),
  };
  if (withNvidia) runtimes.nvidia = handler('/usr/bin/nvidia-container-runtime', '/run/runc', true);
  return {
    crioVersion: '1.31.0',
    files: [],
    effective: { defaultRuntime: { name: defaultRuntime, source: { file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 2 } }, runtimes },
    evaluated: true,
    crioWouldStart: true,
    startError: null,
    lowLevelRuntime: null,
    findings: [],
  };
}

function apiLive(defaultRuntime: string, withNvidia: boolean): LiveCrio {
  const runtimes: NonNullable<LiveCrio['runtimes']> = {
    crun: { runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '/run/crun', runtimeType: 'oci' },
    runc: { runtimePath: '/usr/libexec/crio/runc', runtimeRoot: '/run/runc', runtimeType: 'oci' },
  };
  if (withNvidia) runtimes.nvidia = { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc', runtimeType: 'oci' };
  return { source: 'api', defaultRuntime, runtimes, info: {}, process: null, lastError: null };
}

function events(over: Partial<EventSnapshot['crio']>, extra: Partial<EventSnapshot> = {}): EventSnapshot {
  return {
    entries: 10,
    killFailures: [],
    stopRpcFailures: 0,
    execPermissionDenied: [],
    stuckTerminating: [],
    defaultRuntimeTimeline: [],
    crio: { version: '1.31.0', lastStartAt: null, configuredDefault: null, runtimeLayerDefault: null, handlers: null, ...over },
    totals: {
      killFailures: { total: 0, shown: 0, truncated: false, failures: 0 },
      execPermissionDenied: { total: 0, shown: 0, truncated: false, failures: 0, loops: 0, activeLoops: 0 },
      stuckTerminating: { total: 0, shown: 0, truncated: false, stuck: 0 },
    },
    ...extra,
  };
}

const gpuNode: NodeFacts = { name: 'n', kernel: null, os: null, nvidiaGpus: 8, gpuModels: ['H100'] };
const ids = (fs: { id: string }[]): string[] => fs.map((f) => f.id).sort();

describe('live findings', () => {
  it('no drift when the files match the running CRI-O', () => {
    const f = liveFindings(report('crun', false), apiLive('crun', false), null, gpuNode);
    expect(f).toEqual([]);
    expect(compareWithLive(report('crun', false), apiLive('crun', false), null).drift).toBe(false);
  });

  it('pending-runtime-change when a drop-in makes nvidia the default but CRI-O still runs crun', () => {
    const f = liveFindings(report('nvidia', true), apiLive('crun', false), null, gpuNode);
    expect(ids(f)).toEqual(['pending-runtime-change']);
    expect(f[0]?.severity).toBe('warning');
    expect(f[0]?.evidence.join('\n')).toMatch(/files resolve to "nvidia", CRI-O runs "crun"/);
    expect(f[0]?.evidence.join('\n')).toMatch(/handlers only in the files: nvidia/);
    expect(f[0]?.remediation).toMatch(/switch to "nvidia"/);
  });

  it('stays pending after a SIGHUP: /config shows nvidia but the runtime layer (last start) keeps crun', () => {
    const ev = events({ lastStartAt: '2026-11-28T21:00:00.000Z', configuredDefault: 'nvidia', runtimeLayerDefault: 'crun', handlers: ['crun', 'runc'] });
    const f = liveFindings(report('nvidia', true), apiLive('nvidia', true), ev, gpuNode);
    expect(ids(f)).toEqual(['pending-runtime-change']);
    expect(f[0]?.evidence.join('\n')).toMatch(/GET \/config already shows default_runtime "nvidia"/);
    // after the restart with the new files, nothing is pending any more
    const after = events({ lastStartAt: '2026-11-28T22:00:00.000Z', configuredDefault: 'nvidia', runtimeLayerDefault: 'nvidia', handlers: ['crun', 'nvidia', 'runc'] });
    expect(liveFindings(report('nvidia', true), apiLive('nvidia', true), after, gpuNode)).toEqual([]);
  });

  it('compares configured handler fields, not only names', () => {
    const live = apiLive('crun', false);
    live.runtimes!.runc = { runtimePath: '/usr/sbin/runc', runtimeRoot: '/run/runc', runtimeType: 'oci' };
    const cmp = compareWithLive(report('crun', false), live, null);
    expect(cmp.drift).toBe(true);
    expect(cmp.differences).toEqual(['handler runc runtime_path: files "/usr/libexec/crio/runc", CRI-O "/usr/sbin/runc"']);
  });

  it('default-changed-under-running-pods when the default changed at a start and pods are stuck', () => {
    const ev = events(
      { lastStartAt: '2026-11-28T21:55:00.000Z', configuredDefault: 'nvidia', runtimeLayerDefault: 'nvidia', handlers: ['crun', 'nvidia', 'runc'] },
      {
        defaultRuntimeTimeline: [
          { at: '2026-11-28T21:52:12.000Z', defaultRuntime: 'runc', source: 'startup' },
          { at: '2026-11-28T21:55:00.000Z', defaultRuntime: 'nvidia', source: 'startup' },
        ],
        stuckTerminating: [
          { namespace: 'default', pod: 'gpu-job', podUID: null, containerIds: ['56264251ca7a'], firstStopAt: '2026-11-28T21:56:00.000Z', resolved: false, stuckSeconds: 300 },
        ],
      },
    );
    const f = liveFindings(report('nvidia', true), apiLive('nvidia', true), ev, gpuNode);
    expect(ids(f)).toEqual(['default-changed-under-running-pods']);
    expect(f[0]?.severity).toBe('critical');
    expect(f[0]?.summary).toMatch(/from "runc" to "nvidia"/);
    expect(f[0]?.evidence.join('\n')).toMatch(/default\/gpu-job stuck Terminating for 300 s/);
    // the same change without symptoms is not raised
    const calm = { ...ev, stuckTerminating: [] };
    expect(liveFindings(report('nvidia', true), apiLive('nvidia', true), calm, gpuNode)).toEqual([]);
  });

  it('crio-live-config-unavailable when the socket is not readable; nvidia-default-without-gpu on a GPU-less node', () => {
    const live: LiveCrio = { source: 'none', defaultRuntime: null, runtimes: null, info: null, process: null, lastError: 'GET /config: ENOENT' };
    const noGpu: NodeFacts = { ...gpuNode, nvidiaGpus: 0, gpuModels: [] };
    const f = liveFindings(report('nvidia', true), live, null, noGpu);
    expect(ids(f)).toEqual(['crio-live-config-unavailable', 'nvidia-default-without-gpu']);
    expect(f.find((x) => x.id === 'crio-live-config-unavailable')?.evidence[0]).toMatch(/ENOENT/);
    // unknown GPU count (facts degraded) raises nothing
    expect(ids(liveFindings(report('nvidia', true), live, null, { ...noGpu, nvidiaGpus: null }))).toEqual(['crio-live-config-unavailable']);
  });
});

describe('live findings: handlers CRI-O drops', () => {
  it('a handler the engine reports as dropped (binary missing) is not drift', () => {
    const r = report('crun', true);
    r.findings.push({
      id: 'runtime-binary-missing',
      severity: 'warning',
      summary: 'Runtime handler "nvidia" is invalid (runtime_path /usr/bin/nvidia-container-runtime missing): CRI-O drops it',
      evidence: ['low-level runtime crun'],
      remediation: 'x',
      subject: { handler: 'nvidia' },
    });
    expect(compareWithLive(r, apiLive('crun', false), null).drift).toBe(false);
    // without that finding, the extra handler is drift
    expect(compareWithLive(report('crun', true), apiLive('crun', false), null).differences).toEqual(['handlers only in the files: nvidia']);
  });
});
