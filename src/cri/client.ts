/**
 * Read-only CRI client: gRPC (runtime.v1.RuntimeService) over CRI-O's unix socket.
 *
 * - Only the six read RPCs of src/cri/proto.ts exist on this object: Version, Status,
 *   ListPodSandbox, ListContainers, PodSandboxStatus, ContainerStatus. There is no generic "call"
 *   and no mutating method, so the daemon cannot stop, kill or exec anything through it.
 * - Every call has a deadline; answers are capped (grpc.max_receive_message_length).
 * - Every failure is a CriError with a bounded `kind` (a metric label): unreachable, timeout,
 *   not-crio (the socket answers but is not a CRI runtime: an HTTP server, another gRPC service),
 *   garbage (an answer that does not decode), too-large, rpc-error.
 * - After an unreachable or timeout error the channel is dropped and rebuilt at the next call, so a
 *   CRI-O that comes back is seen at the next poll (grpc-js's reconnect backoff would delay it).
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { CriErrorKind } from '../containers/types.js';
import { CRI_METHODS, CRI_PROTO, type CriMethod } from './proto.js';

export class CriError extends Error {
  constructor(
    readonly kind: CriErrorKind,
    message: string,
    readonly method: CriMethod | null = null,
  ) {
    super(message);
    this.name = 'CriError';
  }
}

export interface CriClientOptions {
  /** socket path on THIS machine (already mapped under --root) */
  socketPath: string;
  /** deadline of each call, ms (default 2000) */
  timeoutMs?: number;
  /** largest answer accepted, bytes (default 16 MiB: ListContainers of ~10 000 containers) */
  maxReceiveBytes?: number;
}

/** Plain objects as protobufjs' toObject renders them (enums as names, int64 as strings). */
export type Obj = Record<string, unknown>;

export interface CriClient {
  version(): Promise<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  status(verbose?: boolean): Promise<Obj>;
  listPodSandbox(): Promise<Obj[]>;
  listContainers(): Promise<Obj[]>;
  podSandboxStatus(id: string, verbose?: boolean): Promise<{ status: Obj | null; info: Record<string, string> }>;
  containerStatus(id: string, verbose?: boolean): Promise<{ status: Obj | null; info: Record<string, string> }>;
  close(): void;
}

export const DEFAULT_CRI_TIMEOUT_MS = 2000;
export const DEFAULT_CRI_MAX_RECEIVE_BYTES = 16 << 20;

let root: protobuf.Root | null = null;
function types(): protobuf.Root {
  root ??= protobuf.parse(CRI_PROTO, { keepCase: false }).root;
  return root;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, arrays: true, objects: true };

/** Map a gRPC status to a bounded kind. */
function classify(err: grpc.ServiceError, method: CriMethod, socketPath: string): CriError {
  const details = err.details || err.message || '';
  const where = `${method} on ${socketPath}`;
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new CriError('timeout', `${where}: no answer before the deadline`, method);
    case grpc.status.UNIMPLEMENTED:
      return new CriError('not-crio', `${where}: the socket answers gRPC but has no runtime.v1.RuntimeService (${details})`, method);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new CriError('too-large', `${where}: ${details}`, method);
    case grpc.status.INTERNAL:
      if (/pars|decod|deserial/i.test(details)) return new CriError('garbage', `${where}: the answer does not decode as ${CRI_METHODS[method][1]} (${details})`, method);
      if (/content-type|HTTP status|protocol/i.test(details)) return new CriError('not-crio', `${where}: not a gRPC answer (${details})`, method);
      return new CriError('rpc-error', `${where}: ${details}`, method);
    case grpc.status.UNKNOWN:
    case grpc.status.UNAVAILABLE:
      // an HTTP/1 server, or an HTTP/2 server that is not gRPC, ends in one of these two
      if (/HTTP status code|content-type|Protocol error|HTTP\/1|bad HTTP|Received RST_STREAM|GOAWAY/i.test(details)) {
        return new CriError('not-crio', `${where}: the socket does not speak gRPC (${details})`, method);
      }
      if (err.code === grpc.status.UNAVAILABLE) return new CriError('unreachable', `${where}: ${details || 'unavailable'}`, method);
      return new CriError('rpc-error', `${where}: ${details}`, method);
    default:
      return new CriError('rpc-error', `${where}: ${grpc.status[err.code] ?? err.code}: ${details}`, method);
  }
}

export function createCriClient(opts: CriClientOptions): CriClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CRI_TIMEOUT_MS;
  const maxReceive = opts.maxReceiveBytes ?? DEFAULT_CRI_MAX_RECEIVE_BYTES;
  const T = types();
  let client: grpc.Client | null = null;
  let closed = false;

  const channel = (): grpc.Client => {
    client ??= new grpc.Client(`unix:${opts.socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': maxReceive,
      'grpc.max_send_message_length': 1 << 20,
      'grpc.enable_retries': 0,
      // a bounded reconnect: the channel is dropped on errors anyway
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    return client;
  };
  const drop = (): void => {
    client?.close();
    client = null;
  };

  const call = (method: CriMethod, request: Obj): Promise<Obj> => {
    if (closed) return Promise.reject(new CriError('unreachable', 'CRI client closed', method));
    const [reqName, resName] = CRI_METHODS[method];
    const Req = T.lookupType(`runtime.v1.${reqName}`);
    const Res = T.lookupType(`runtime.v1.${resName}`);
    const serialize = (v: Obj): Buffer => Buffer.from(Req.encode(Req.fromObject(v)).finish());
    const deserialize = (b: Buffer): Obj => Res.toObject(Res.decode(b), TO_OBJECT) as Obj;
    return new Promise<Obj>((resolve, reject) => {
      const c = channel();
      c.makeUnaryRequest<Obj, Obj>(
        `/runtime.v1.RuntimeService/${method}`,
        serialize,
        deserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          if (err) {
            const e = classify(err, method, opts.socketPath);
            if (e.kind === 'unreachable' || e.kind === 'timeout' || e.kind === 'not-crio') drop();
            reject(e);
          } else if (!value) {
            reject(new CriError('garbage', `${method} on ${opts.socketPath}: empty answer`, method));
          } else resolve(value);
        },
      );
    });
  };

  const strMap = (v: unknown): Record<string, string> => {
    const out: Record<string, string> = {};
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
    return out;
  };

  return {
    async version() {
      const r = await call('Version', { version: 'v1' });
      return {
        version: String(r.version ?? ''),
        runtimeName: String(r.runtimeName ?? ''),
        runtimeVersion: String(r.runtimeVersion ?? ''),
        runtimeApiVersion: String(r.runtimeApiVersion ?? ''),
      };
    },
    status: (verbose = false) => call('Status', { verbose }),
    async listPodSandbox() {
      const r = await call('ListPodSandbox', {});
      return Array.isArray(r.items) ? (r.items as Obj[]) : [];
    },
    async listContainers() {
      const r = await call('ListContainers', {});
      return Array.isArray(r.containers) ? (r.containers as Obj[]) : [];
    },
    async podSandboxStatus(id, verbose = true) {
      const r = await call('PodSandboxStatus', { podSandboxId: id, verbose });
      return { status: (r.status as Obj | null) ?? null, info: strMap(r.info) };
    },
    async containerStatus(id, verbose = true) {
      const r = await call('ContainerStatus', { containerId: id, verbose });
      return { status: (r.status as Obj | null) ?? null, info: strMap(r.info) };
    },
    close() {
      closed = true;
      drop();
    },
  };
}
