/**
 * `cri-poll`: CPU of one CRI poll (Version, Status, ListPodSandbox, ListContainers and
 * ContainerStatus(verbose) of 200 containers, plus building the container model) in the daemon's
 * process. The CRI runtime is the FAKE gRPC server of bench/fake-cri.ts (CRI-O 1.32's answer shapes,
 * a ~10 KB runtime spec per ContainerStatus) running in a CHILD process, so that only the client's
 * CPU is counted. Baseline in the same run, interleaved: the same cold poll through @grpc/grpc-js
 * (bench/grpc-js-cri-client.ts), the reference gRPC library. Limit: the poll <= 50 ms CPU (issue #9).
 * `value` is the COLD poll (every container asked for its status); details.steadyPollMs is the
 * daemon's usual poll, which asks only about new or changed containers (src/cri/poll.ts
 * statusCache); details.versionCallsMs is 200 sequential Version calls (the bare round trip).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient } from '../src/cri/client.js';
import { pollCri } from '../src/cri/poll.js';
import { buildContainerModel } from '../src/containers/model.js';
import type { BenchResult } from './daemon.js';
import { fakeNode, startFakeCri } from './fake-cri.js';
import { createGrpcJsCriClient } from './grpc-js-cri-client.js';
import { median, round } from './measure.js';

export const CRI_POLL_CONTAINERS = 200;
const LIMIT_MS = 50;

/** Child mode: `node dist/bench/cri.js --serve SOCKET` runs the fake CRI until killed. */
async function serve(socket: string): Promise<void> {
  await startFakeCri({ socketPath: socket, ...fakeNode(CRI_POLL_CONTAINERS / 2, 2) });
  process.send?.('ready');
}

/** The fake CRI (CRI_POLL_CONTAINERS running containers) in a child process, serving on `socket`. */
export async function startFakeCriChild(socket: string): Promise<ChildProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', socket], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (c) => reject(new Error(`fake CRI exited with ${c}`)));
  });
  return child;
}

function cpuMs(f: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  return f().then(() => {
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  });
}

export async function runCriPoll(ctx: { quick: boolean; log: (m: string) => void }): Promise<BenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cri-'));
  const socket = path.join(dir, 'crio.sock');
  let child: ChildProcess | null = null;
  try {
    child = await startFakeCriChild(socket);
    const client = createCriClient({ socketPath: socket, timeoutMs: 10_000 });
    const grpcJs = createGrpcJsCriClient(socket);
    // warm-up: connection, protobuf types, JIT
    for (let i = 0; i < 3; i++) {
      await pollCri(client);
      await pollCri(grpcJs);
    }
    const reps = ctx.quick ? 5 : 15;
    const polls: number[] = [];
    const grpcJsPolls: number[] = [];
    const steady: number[] = [];
    const versions: number[] = [];
    const cache = new Map();
    const coldPoll = async (c: typeof client): Promise<void> => {
      const s = await pollCri(c);
      buildContainerModel({ nowMs: Date.now(), cri: s, runtime: null, report: null, live: null, events: null, wrapperBinary: null });
      if (s.containers.length !== CRI_POLL_CONTAINERS || s.containers.some((x) => x.pid === null)) throw new Error(`poll saw ${s.containers.length} containers or missed a pid`);
    };
    await pollCri(client, { statusCache: cache });
    for (let i = 0; i < reps; i++) {
      polls.push(await cpuMs(() => coldPoll(client)));
      grpcJsPolls.push(await cpuMs(() => coldPoll(grpcJs)));
      steady.push(
        await cpuMs(async () => {
          const s = await pollCri(client, { statusCache: cache });
          buildContainerModel({ nowMs: Date.now(), cri: s, runtime: null, report: null, live: null, events: null, wrapperBinary: null });
        }),
      );
      versions.push(
        await cpuMs(async () => {
          for (let k = 0; k < CRI_POLL_CONTAINERS; k++) await client.version();
        }),
      );
    }
    client.close();
    grpcJs.close();
    const value = round(median(polls), 2);
    const baseline = round(median(grpcJsPolls), 2);
    const steadyMs = round(median(steady), 2);
    const versionMs = round(median(versions), 2);
    ctx.log(`cri-poll: ${value} ms CPU per cold poll of ${CRI_POLL_CONTAINERS} containers (grpc-js: ${baseline} ms), ${steadyMs} ms per steady (cached) poll, ${versionMs} ms for ${CRI_POLL_CONTAINERS} sequential Version calls`);
    return {
      metric: `CPU of one cold CRI poll of ${CRI_POLL_CONTAINERS} containers (list + verbose status + model), client side, vs the same poll over @grpc/grpc-js; fake gRPC CRI in a child process`,
      unit: 'ms',
      value,
      baseline,
      ratio: baseline > 0 ? round(value / baseline, 2) : null,
      limit: LIMIT_MS,
      pass: value <= LIMIT_MS,
      runs: polls.map((x) => round(x, 2)),
      details: { baseline: 'the same cold poll over @grpc/grpc-js (bench/grpc-js-cri-client.ts)', baselineRuns: grpcJsPolls.map((x) => round(x, 2)), steadyPollMs: steadyMs, steadyRuns: steady.map((x) => round(x, 2)), versionCallsMs: versionMs, versionCallsRuns: versions.map((x) => round(x, 2)), containers: CRI_POLL_CONTAINERS, fake: 'bench/fake-cri.ts (CRI-O 1.32 answer shapes, ~10 KB runtime spec per status)' },
    };
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve' && process.argv[3]) void serve(process.argv[3]);
