/**
 * A FAKE CRI runtime service (gRPC runtime.v1 over a real unix socket) for the CRI poll benchmark and
 * for fault injection the real CRI-O cannot be made to produce on demand: answers that do not decode
 * ("garbage"), a server that never answers ("hang"), another runtime's name. Tests of the real
 * behaviour use the real CRI-O of the lab (test/cri/client.test.ts); this fake only stands in where
 * a real one cannot.
 *
 * Its answers have CRI-O 1.32's shapes as observed in the lab: ContainerStatus(verbose).info holds
 * ONE key "info" with {"sandboxID","pid","runtimeSpec",...} as JSON (a ~10 KB spec by default).
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CRI_METHODS, CRI_PROTO, type CriMethod } from '../src/cri/proto.js';

export type FakeCriMode = 'ok' | 'garbage' | 'hang' | 'error';

export interface FakeCriContainer {
  id: string;
  podSandboxId: string;
  name: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  pid: number;
}

export interface FakeCriSandbox {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  runtimeHandler: string;
  ready: boolean;
}

export interface FakeCriOptions {
  socketPath: string;
  runtimeName?: string;
  runtimeVersion?: string;
  sandboxes?: FakeCriSandbox[];
  containers?: FakeCriContainer[];
  /** bytes of runtime spec JSON per ContainerStatus answer (default ~10 KB, as CRI-O's) */
  specBytes?: number;
}

export interface FakeCri {
  socketPath: string;
  mode: FakeCriMode;
  /** calls answered, by method */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** n hex ids derived from a seed (stable). */
export function fakeId(seed: string, i: number): string {
  let h = 2166136261;
  const out: string[] = [];
  for (let k = 0; k < 8; k++) {
    for (const ch of `${seed}:${i}:${k}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  return out.join('');
}

/** A node with `pods` pods of `perPod` running containers each. */
export function fakeNode(pods: number, perPod: number, handler = ''): { sandboxes: FakeCriSandbox[]; containers: FakeCriContainer[] } {
  const sandboxes: FakeCriSandbox[] = [];
  const containers: FakeCriContainer[] = [];
  for (let p = 0; p < pods; p++) {
    const id = fakeId('sb', p);
    sandboxes.push({ id, name: `pod-${p}`, namespace: 'bench', uid: `uid-${p}`, runtimeHandler: handler, ready: true });
    for (let c = 0; c < perPod; c++) {
      containers.push({ id: fakeId(`c${p}`, c), podSandboxId: id, name: `c${c}`, state: 'CONTAINER_RUNNING', pid: 10000 + p * perPod + c });
    }
  }
  return { sandboxes, containers };
}

const JUNK = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]);

export async function startFakeCri(opts: FakeCriOptions): Promise<FakeCri> {
  const root = protobuf.parse(CRI_PROTO).root;
  const server = new grpc.Server();
  const nanos = String(BigInt(Date.now()) * 1_000_000n);
  const spec = JSON.stringify({ ociVersion: '1.2.0', annotations: { pad: 'x'.repeat(Math.max(0, opts.specBytes ?? 10_000)) } });
  const fake: FakeCri = {
    socketPath: opts.socketPath,
    mode: 'ok',
    calls: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        fs.rmSync(opts.socketPath, { force: true });
        resolve();
      }),
  };
  const sandboxes = opts.sandboxes ?? [];
  const containers = opts.containers ?? [];

  const answer = (method: CriMethod, req: Record<string, unknown>): Record<string, unknown> => {
    switch (method) {
      case 'Version':
        return { version: '0.1.0', runtimeName: opts.runtimeName ?? 'cri-o', runtimeVersion: opts.runtimeVersion ?? '1.32.13', runtimeApiVersion: 'v1' };
      case 'Status':
        return { status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } };
      case 'ListPodSandbox':
        return {
          items: sandboxes.map((s) => ({
            id: s.id,
            metadata: { name: s.name, uid: s.uid, namespace: s.namespace, attempt: 0 },
            state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
            createdAt: nanos,
            runtimeHandler: s.runtimeHandler,
          })),
        };
      case 'PodSandboxStatus': {
        const s = sandboxes.find((x) => x.id === req.podSandboxId);
        if (!s) throw Object.assign(new Error(`could not find pod "${String(req.podSandboxId)}"`), { code: grpc.status.NOT_FOUND });
        return { status: { id: s.id, metadata: { name: s.name, uid: s.uid, namespace: s.namespace }, state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', runtimeHandler: s.runtimeHandler }, info: {} };
      }
      case 'ListContainers':
        return {
          containers: containers.map((c) => ({ id: c.id, podSandboxId: c.podSandboxId, metadata: { name: c.name, attempt: 0 }, state: c.state, createdAt: nanos })),
        };
      case 'ContainerStatus': {
        const c = containers.find((x) => x.id === req.containerId);
        if (!c) throw Object.assign(new Error(`could not find container "${String(req.containerId)}"`), { code: grpc.status.NOT_FOUND });
        return {
          status: { id: c.id, metadata: { name: c.name, attempt: 0 }, state: c.state, createdAt: nanos, startedAt: nanos },
          info: req.verbose ? { info: `{"sandboxID":"${c.podSandboxId}","pid":${c.pid},"runtimeSpec":${spec},"privileged":false}` } : {},
        };
      }
    }
  };

  const service: Record<string, grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, [reqName, resName]] of Object.entries(CRI_METHODS) as [CriMethod, readonly [string, string]][]) {
    const Req = root.lookupType(`runtime.v1.${reqName}`);
    const Res = root.lookupType(`runtime.v1.${resName}`);
    service[method] = {
      path: `/runtime.v1.RuntimeService/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Record<string, unknown>) => Buffer.from(Req.encode(Req.fromObject(v)).finish()),
      requestDeserialize: (b: Buffer) => Req.toObject(Req.decode(b), { longs: String, enums: String, defaults: true }),
      responseSerialize: (v: Record<string, unknown>) => (fake.mode === 'garbage' ? JUNK : Buffer.from(Res.encode(Res.fromObject(v)).finish())),
      responseDeserialize: (b: Buffer) => Res.toObject(Res.decode(b)),
    };
    impl[method] = (call: grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>, cb: grpc.sendUnaryData<Record<string, unknown>>) => {
      fake.calls[method] = (fake.calls[method] ?? 0) + 1;
      if (fake.mode === 'hang') return; // never answers
      if (fake.mode === 'error') {
        cb({ code: grpc.status.INTERNAL, details: 'injected failure' });
        return;
      }
      try {
        cb(null, answer(method, call.request));
      } catch (e) {
        const err = e as Error & { code?: number };
        cb({ code: err.code ?? grpc.status.INTERNAL, details: err.message });
      }
    };
  }
  server.addService(service as grpc.ServiceDefinition, impl);
  fs.rmSync(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${opts.socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return fake;
}
