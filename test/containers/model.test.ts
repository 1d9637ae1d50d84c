/**
 * The per-container model, pure: every risk class from hand-built inputs (the lab tests check the
 * same classes against the real CRI-O in test/cri/lab.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ConfigReport, EventSnapshot, LiveCrio } from '../../src/core/contracts.js';
import { buildContainerModel, movingPodsOf, podsThatWillMove } from '../../src/containers/model.js';
import { runtimeRootsToRead } from '../../src/containers/roots.js';
import type { CriSnapshot, RuntimeHolding, RuntimeStateSnapshot } from '../../src/containers/types.js';
import { detectContainers, MAX_CONTAINERS_NAMED } from '../../src/findings/detectors/containers.js';

const id = (n: number): string => n.toString(16).padStart(64, '0');
type H = Record<string, { runtimePath: string; runtimeRoot: string }>;

function report(defaultName: string, runtimes: H): ConfigReport {
  const rt: NonNullable<ConfigReport['effective']>['runtimes'] = {};
  for (const [k, v] of Object.entries(runtimes)) rt[k] = { ...v, runtimeType: 'oci', monitorPath: '/usr/bin/conmon', isNvidia: k.startsWith('nvidia'), source: { builtin: true } };
  return {
    crioVersion: '1.32.13',
    files: [],
    effective: { defaultRuntime: { name: defaultName, source: { builtin: true } }, runtimes: rt },
    evaluated: true,
    crioWouldStart: true,
    startError: null,
    lowLevelRuntime: null,
    findings: [],
  };
}
function live(defaultName: string, runtimes: H): LiveCrio {
  const rt: NonNullable<LiveCrio['runtimes']> = {};
  for (const [k, v] of Object.entries(runtimes)) rt[k] = { ...v, runtimeType: 'oci' };
  return { source: 'api', defaultRuntime: defaultName, runtimes: rt, info: null, process: null, lastError: null };
}
const RUNC = { runtimePath: '/usr/sbin/runc', runtimeRoot: '/run/runc' };
const CRUN = { runtimePath: '/usr/bin/crun', runtimeRoot: '/run/crun' };
const NVIDIA = { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '' };

function cri(containers: { n: number; state?: 'running' | 'exited' | 'unknown'; handler?: string }[]): CriSnapshot {
  return {
    polledAt: '2026-12-02T00:00:00Z',
    runtimeName: 'cri-o',
    runtimeVersion: '1.32.13',
    runtimeApiVersion: 'v1',
    runtimeReady: true,
    sandboxes: containers.map((c) => ({ id: id(1000 + c.n), namespace: 'ns', name: `pod${c.n}`, uid: `u${c.n}`, state: 'ready', runtimeHandler: c.handler ?? '', createdAt: null })),
    containers: containers.map((c) => ({ id: id(c.n), podSandboxId: id(1000 + c.n), name: 'main', attempt: 0, state: c.state ?? 'running', createdAt: null, pid: 100 + c.n, reason: null, exitCode: null, statusError: null })),
    statusSkipped: 0,
  };
}
function held(hs: Partial<RuntimeHolding>[]): RuntimeStateSnapshot {
  return {
    readAt: '2026-12-02T00:00:00Z',
    procAvailable: true,
    roots: [],
    holdings: hs.map((h) => ({ id: '', root: '/run/runc', family: 'runc', pid: 1, startTime: 1, bundle: null, created: null, manager: 'cri-o', sandboxId: null, pod: null, alive: true, ...h })),
  };
}
const base = { nowMs: Date.parse('2026-12-02T00:00:00Z'), events: null, wrapperBinary: '/usr/sbin/runc' };

describe('container model risk classes', () => {
  it('no risk when files, CRI-O and the holder agree', () => {
    const m = buildContainerModel({ ...base, cri: cri([{ n: 1 }]), runtime: held([{ id: id(1) }]), report: report('runc', { runc: RUNC }), live: live('runc', { runc: RUNC }) });
    expect(m.counts.atRiskTotal).toBe(0);
    expect(m.containers[0]).toMatchObject({ handler: '', createdBy: { root: '/run/runc', family: 'runc' }, drivenNow: { handler: 'runc', root: '/run/runc' }, risks: [] });
    expect(detectContainers({ containers: m })).toEqual([]);
  });

  it('(i) the files make the default an NVIDIA wrapper whose default root differs: will change; its pod moves', () => {
    const files = report('nvidia', { runc: RUNC, nvidia: { ...NVIDIA, runtimeRoot: '/run/crun' } });
    const m = buildContainerModel({ ...base, cri: cri([{ n: 1 }, { n: 2, handler: 'runc' }]), runtime: held([{ id: id(1) }, { id: id(2) }]), report: files, live: live('runc', { runc: RUNC }) });
    const v = m.containers.find((c) => c.id === id(1));
    expect(v?.risks).toEqual(['will-change-runtime']);
    expect(v?.drivenAfterRestart).toMatchObject({ handler: 'nvidia', binary: '/usr/sbin/runc', family: 'runc', root: '/run/crun' });
    // the runc-handler pod does not move
    expect(m.containers.find((c) => c.id === id(2))?.risks).toEqual([]);
    expect(podsThatWillMove(m).map((p) => [p.name, p.atRisk])).toEqual([['pod1', true]]);
    expect(movingPodsOf(m)).toEqual({ pods: ['ns/pod1 (at risk)'], total: 1 });
  });

  it('(i) a move to the wrapper forwarding to the same runtime and root: the pod moves, no risk', () => {
    const files = report('nvidia', { runc: RUNC, nvidia: { ...NVIDIA, runtimeRoot: '/run/runc' } });
    const m = buildContainerModel({ ...base, cri: cri([{ n: 1 }]), runtime: held([{ id: id(1) }]), report: files, live: live('runc', { runc: RUNC }) });
    expect(m.counts.atRiskTotal).toBe(0);
    expect(podsThatWillMove(m)).toMatchObject([{ name: 'pod1', from: 'runc', to: 'nvidia', atRisk: false }]);
  });

  it('(i) a handler removed from the files while a pod uses it', () => {
    const m = buildContainerModel({ ...base, cri: cri([{ n: 1, handler: 'crun' }]), runtime: held([{ id: id(1), root: '/run/crun', family: 'crun' }]), report: report('runc', { runc: RUNC }), live: live('runc', { runc: RUNC, crun: CRUN }) });
    expect(m.containers[0]?.risks).toEqual(['will-change-runtime']);
    expect(m.containers[0]?.why[0]).toContain('"crun" does not exist');
    expect(m.containers[0]?.drivenAfterRestart?.known).toBe(false);
  });

  it('(ii) the runtime layer drives it with another family in the same root; the journal default beats GET /config after a SIGHUP', () => {
    const events = { crio: { runtimeLayerDefault: 'crunroot', configuredDefault: 'runc', version: '1.32.13', lastStartAt: null, handlers: null } } as unknown as EventSnapshot;
    const rt = { runc: RUNC, crunroot: { runtimePath: '/usr/bin/crun', runtimeRoot: '/run/runc' } };
    const m = buildContainerModel({ ...base, events, cri: cri([{ n: 1 }]), runtime: held([{ id: id(1) }]), report: report('runc', rt), live: live('runc', rt) });
    expect(m.defaultNow).toEqual({ handler: 'crunroot', source: 'journal-start' });
    const v = m.containers[0];
    expect(v?.risks).toEqual(['driven-by-other-runtime']);
    expect(v?.why[0]).toContain('(crun), but runc created it');
  });

  it('(ii) already broken the same way after the restart: not also (i)', () => {
    const m = buildContainerModel({ ...base, cri: cri([{ n: 1 }]), runtime: held([{ id: id(1) }]), report: report('crun', { runc: RUNC, crun: CRUN }), live: live('crun', { runc: RUNC, crun: CRUN }) });
    expect(m.containers[0]?.risks).toEqual(['driven-by-other-runtime']);
  });

  it('(iii) exited in CRI-O, alive in the runtime: orphan; dead or unknown liveness: not', () => {
    const m = buildContainerModel({
      ...base,
      cri: cri([{ n: 1, state: 'exited' }, { n: 2, state: 'exited' }, { n: 3, state: 'unknown' }]),
      runtime: held([{ id: id(1) }, { id: id(2), alive: false }, { id: id(3), alive: null }]),
      report: report('runc', { runc: RUNC }),
      live: live('runc', { runc: RUNC }),
    });
    expect(m.containers.map((c) => c.risks)).toEqual([['orphaned-in-runtime'], [], []]);
    const d = detectContainers({ containers: m });
    expect(d.map((x) => x.id)).toEqual(['container-orphaned-in-runtime']);
    expect(d[0]?.subject).toMatchObject({ containerId: id(1), namespace: 'ns', pod: 'pod1' });
  });

  it("(iv) held and alive, not listed: unknown to CRI-O; another manager's or another CRI-O's: ignored", () => {
    const m = buildContainerModel({
      ...base,
      cri: cri([{ n: 1 }]),
      runtime: held([
        { id: id(1), bundle: `/run/containers/storage/overlay-containers/${id(1)}/userdata` },
        { id: id(7), pod: { namespace: 'ml', name: 'ghost', uid: null }, bundle: `/run/containers/storage/overlay-containers/${id(7)}/userdata` },
        { id: id(8), manager: 'libpod', sandboxId: null },
        { id: id(9), bundle: `/tmp/other-crio/runroot/vfs-containers/${id(9)}/userdata` },
      ]),
      report: report('runc', { runc: RUNC }),
      live: live('runc', { runc: RUNC }),
    });
    expect(m.counts.byState['not-in-cri']).toBe(1);
    expect(m.podsAtRisk).toMatchObject([{ namespace: 'ml', name: 'ghost', risks: ['unknown-to-crio'] }]);
    expect(m.notes.join('\n')).toContain('another CRI-O instance');
  });

  it('without a CRI snapshot nothing is judged unknown-to-crio, and the model says why', () => {
    const m = buildContainerModel({ ...base, cri: null, runtime: held([{ id: id(7) }]), report: report('runc', { runc: RUNC }), live: null });
    expect(m.counts.atRiskTotal).toBe(0);
    expect(m.notes.join('\n')).toContain('CRI-O did not answer');
  });

  it('bounds: pods listed, containers named in evidence; counts stay complete', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ n: i + 1 }));
    const m = buildContainerModel({ ...base, cri: cri(many), runtime: held(many.map((c) => ({ id: id(c.n) }))), report: report('crun', { runc: RUNC, crun: CRUN }), live: live('runc', { runc: RUNC, crun: CRUN }), limits: { pods: 10 } });
    expect(m.counts.atRisk['will-change-runtime']).toBe(80);
    expect(m.podsAtRisk).toHaveLength(10);
    expect(m.podsAtRiskTotal).toBe(80);
    expect(m.truncated).toBe(true);
    const d = detectContainers({ containers: m })[0];
    expect(d?.summary).toContain('80 running container(s)');
    expect(d?.evidence.length).toBeLessThanOrEqual(MAX_CONTAINERS_NAMED + 1);
    expect(d?.params?.truncated).toBe('true');
  });

  it('reads every root a handler names, empty runtime_root = the engine\'s effective root, plus the runc/crun defaults', () => {
    const roots = runtimeRootsToRead(report('nvidia', { nvidia: { ...NVIDIA, runtimeRoot: '/run/crun' }, runc: RUNC }), live('runc', { runc: RUNC, nvidia: NVIDIA, x: { runtimePath: '/opt/kata', runtimeRoot: '/run/kata' } }), '/usr/sbin/runc');
    expect(roots.map((r) => r.root).sort()).toEqual(['/run/crun', '/run/kata', '/run/runc']);
    expect(roots.find((r) => r.root === '/run/crun')?.usedBy).toContain('nvidia (running)');
  });
});
