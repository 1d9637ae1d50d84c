/**
 * The cri-poll benchmark's BASELINE: the same read-only CriClient over @grpc/grpc-js (the reference
 * gRPC library, and the product's transport before src/cri/client.ts spoke HTTP/2 itself), so that
 * one run measures the cold poll through both side by side. Bench-only: no error classification,
 * no caps beyond grpc-js's own; the product never imports it.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { CriClient, Obj } from '../src/cri/client.js';
import { CRI_METHODS, CRI_PROTO, type CriMethod } from '../src/cri/proto.js';

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, arrays: true, objects: true };

export function createGrpcJsCriClient(socketPath: string, timeoutMs = 10_000): CriClient {
  const root = protobuf.parse(CRI_PROTO, { keepCase: false }).root;
  const client = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 << 20 });
  const call = (method: CriMethod, request: Obj): Promise<Obj> => {
    const [reqName, resName] = CRI_METHODS[method];
    const Req = root.lookupType(`runtime.v1.${reqName}`);
    const Res = root.lookupType(`runtime.v1.${resName}`);
    return new Promise((resolve, reject) =>
      client.makeUnaryRequest<Obj, Obj>(
        `/runtime.v1.RuntimeService/${method}`,
        (v) => Buffer.from(Req.encode(Req.fromObject(v)).finish()),
        (b) => Res.toObject(Res.decode(b), TO_OBJECT) as Obj,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err || !value ? reject(err ?? new Error('empty answer')) : resolve(value)),
      ),
    );
  };
  const infoOf = (r: Obj) => ({ status: (r.status as Obj | null) ?? null, info: (r.info as Record<string, string>) ?? {} });
  return {
    async version() {
      const r = await call('Version', { version: 'v1' });
      return { version: String(r.version), runtimeName: String(r.runtimeName), runtimeVersion: String(r.runtimeVersion), runtimeApiVersion: String(r.runtimeApiVersion) };
    },
    status: (verbose = false) => call('Status', { verbose }),
    listPodSandbox: async () => ((await call('ListPodSandbox', {})).items as Obj[]) ?? [],
    listContainers: async () => ((await call('ListContainers', {})).containers as Obj[]) ?? [],
    podSandboxStatus: async (id, verbose = true) => infoOf(await call('PodSandboxStatus', { podSandboxId: id, verbose })),
    containerStatus: async (id, verbose = true) => infoOf(await call('ContainerStatus', { containerId: id, verbose })),
    close: () => client.close(),
  };
}
