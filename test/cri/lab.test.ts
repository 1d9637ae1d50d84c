/**
 * The CRI client, the runtime-roots reader and the container model against the REAL CRI-O 1.32 of
 * the lab (../shared/crio-lab): real pods, real runc state.json, a real drop-in, a real restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { readWrapperConfig, resolveWrapperBinary } from '../../src/config/nvidia.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { summarizeCrioToml } from '../../src/config/summarize.js';
import type { LiveCrio } from '../../src/core/contracts.js';
import { movingPodsOf } from '../../src/containers/model.js';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { modelOf, pollCriSafely, readRuntimeStateSafely } from '../../src/cri/collect.js';
import { pollCri } from '../../src/cri/poll.js';
import { createCrioClient } from '../../src/live/crio-client.js';
import { createBoundedLister } from '../../src/live/runtime-state.js';
import { detectContainers } from '../../src/findings/detectors/containers.js';
import { labUnavailable, labUp, type Lab } from './lab.js';

const skip = labUnavailable();

describe.skipIf(skip !== null)('real CRI-O 1.32: CRI client, runtime roots, container model', () => {
  let lab: Lab;
  let client: CriClient;
  let p1: { podId: string; containerId: string };
  const view = createHostFileView('/');
  const lister = createBoundedLister('/');

  const live = async (): Promise<LiveCrio> => {
    const sum = summarizeCrioToml(await createCrioClient({ socketPath: lab.socket }).getConfig());
    return { source: 'api', defaultRuntime: sum.defaultRuntime, runtimes: sum.runtimes, info: null, process: null, lastError: null };
  };
  const files = () => resolveConfig({ config: lab.config, configDir: lab.configDir, crioVersion: '1.32.13' }, view);
  const model = async () => {
    const report = files();
    const l = await live();
    const wrapper = resolveWrapperBinary(view, readWrapperConfig(view));
    const cri = await pollCriSafely(client);
    const rt = readRuntimeStateSafely(view, report, l, wrapper, lister);
    return modelOf(Date.now(), cri.snapshot, rt.snapshot, report, l, null, wrapper);
  };

  beforeAll(() => {
    lab = labUp('cs-cri-lab');
    p1 = lab.pod('p1');
    client = createCriClient({ socketPath: lab.socket, timeoutMs: 5000 });
  }, 300_000);
  afterAll(() => {
    client?.close();
    lab?.down();
  }, 300_000);

  it('lists the real pod and container, with the pid CRI-O reports', async () => {
    const s = await pollCri(client);
    expect(s.runtimeName).toBe('cri-o');
    expect(s.runtimeVersion).toBe('1.32.13');
    expect(s.runtimeReady).toBe(true);
    expect(s.sandboxes.find((x) => x.id === p1.podId)).toMatchObject({ namespace: 'lab', name: 'p1', runtimeHandler: '', state: 'ready' });
    const c = s.containers.find((x) => x.id === p1.containerId);
    expect(c).toMatchObject({ podSandboxId: p1.podId, name: 'main', state: 'running', statusError: null });
    expect(c?.pid).toBeGreaterThan(1);
    const sb = await client.podSandboxStatus(p1.podId);
    expect(sb.status?.metadata).toMatchObject({ name: 'p1', namespace: 'lab' });
    const cs = await client.containerStatus(p1.containerId);
    // CRI-O 1.32: one "info" key holding a JSON object
    expect(Object.keys(cs.info)).toEqual(['info']);
    expect(JSON.parse(cs.info.info ?? '{}')).toMatchObject({ sandboxID: p1.podId, pid: c?.pid });
  });

  it("reads runc's real state.json: the same pid, alive, CRI-O's annotations", async () => {
    const s = await pollCri(client);
    const pid = s.containers.find((x) => x.id === p1.containerId)?.pid;
    const rt = readRuntimeStateSafely(view, files(), await live(), null, lister).snapshot;
    const h = rt?.holdings.find((x) => x.id === p1.containerId);
    expect(rt?.procAvailable).toBe(true);
    expect(h).toMatchObject({ root: '/run/runc', family: 'runc', pid, alive: true, manager: 'cri-o', sandboxId: p1.podId, pod: { namespace: 'lab', name: 'p1' } });
    expect(h?.bundle).toContain(lab.dir);
  });

  it('no risk while files and CRI-O agree', async () => {
    const m = await model();
    const v = m.containers.find((x) => x.id === p1.containerId);
    expect(v).toMatchObject({ state: 'running', handler: '', createdBy: { root: '/run/runc', family: 'runc', alive: true }, risks: [] });
    expect(v?.drivenNow).toMatchObject({ handler: 'runc', binary: '/usr/sbin/runc', root: '/run/runc' });
    expect(v?.drivenAfterRestart).toMatchObject({ handler: 'runc', root: '/run/runc' });
  });

  it('a drop-in making crun the default, not restarted: p1 will change runtime, named before any symptom', async () => {
    fs.writeFileSync(path.join(lab.configDir, '99-crun-default.conf'), '[crio.runtime]\ndefault_runtime = "crun"\n');
    const m = await model();
    const v = m.containers.find((x) => x.id === p1.containerId);
    expect(v?.risks).toEqual(['will-change-runtime']);
    expect(v?.drivenAfterRestart).toMatchObject({ handler: 'crun', binary: '/usr/bin/crun', family: 'crun', root: '/run/crun' });
    expect(movingPodsOf(m).pods).toContain('lab/p1 (at risk)');
    const d = detectContainers({ containers: m }).find((x) => x.id === 'containers-will-change-runtime');
    expect(d?.evidence.join('\n')).toContain(`lab/p1 main ${p1.containerId.slice(0, 13)}`);
  });

  it('after the restart CRI-O asks crun, which does not find p1: CRI-O reports it exited, runc still runs it (orphan)', async () => {
    lab.restart();
    const m = await model();
    expect(m.defaultNow.handler).toBe('crun');
    const v = m.containers.find((x) => x.id === p1.containerId);
    // observed on CRI-O 1.32.13: "Failed to update container state for <id>: stdout: , stderr: " at
    // startup, then the container is listed CONTAINER_EXITED while its process lives on under runc
    expect(v?.state).toBe('exited');
    expect(v?.createdBy).toMatchObject({ root: '/run/runc', family: 'runc', alive: true });
    expect(v?.risks).toEqual(['orphaned-in-runtime']);
    expect(m.counts.atRisk['orphaned-in-runtime']).toBeGreaterThanOrEqual(1);
    const d = detectContainers({ containers: m }).find((x) => x.id === 'container-orphaned-in-runtime');
    expect(d?.evidence.join('\n')).toContain('lab/p1 main');
  }, 300_000);
});
