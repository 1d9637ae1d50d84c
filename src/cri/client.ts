/**
 * Read-only CRI client: gRPC (runtime.v1.RuntimeService) over CRI-O's unix socket, spoken directly
 * on Node's own HTTP/2 (node:http2) with protobufjs messages.
 *
 * - Only the six read RPCs of src/cri/proto.ts exist on this object: Version, Status,
 *   ListPodSandbox, ListContainers, PodSandboxStatus, ContainerStatus. There is no generic "call"
 *   and no mutating method, so the daemon cannot stop, kill or exec anything through it.
 * - Every call has a deadline (also sent to the server as `grpc-timeout`); answers are capped
 *   (maxReceiveBytes: a larger answer is cancelled, not buffered).
 * - Every failure is a CriError with a bounded `kind` (a metric label): unreachable, timeout,
 *   not-crio (the socket answers but is not a CRI runtime: an HTTP/1 server, an HTTP/2 server that
 *   is not gRPC, another gRPC service), garbage (an answer that does not decode), too-large,
 *   rpc-error.
 * - After an unreachable, timeout or not-crio error the session is dropped and opened again at the
 *   next call, so a CRI-O that comes back is seen at the next poll.
 *
 * Why not @grpc/grpc-js: a cold poll of 200 containers (~205 unary calls) cost 58.7-72.9 ms CPU
 * through it and costs 24.6-30.9 ms here (bench cri-poll, docs/containers.md; the issue's limit is
 * 50 ms). Only what a read-only unary client needs of the gRPC wire protocol is implemented: one
 * length-prefixed, uncompressed message each way (a compressed answer is refused as garbage: we
 * never offer an encoding), the status in the trailers or in a trailers-only answer.
 */
import http2 from 'node:http2';
import net from 'node:net';
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

/**
 * Plain objects as protobufjs' toObject renders them (enums as names, int64 as strings). Answers are
 * READ-ONLY: an answer byte-for-byte equal to the method's previous one is returned as the same
 * object (see `lastAnswers`), so a caller that changed it would change the next poll's answer too.
 */
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

/** gRPC status codes this client tells apart (grpc/doc/statuscodes.md); the rest are named in messages. */
const GRPC_CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;

/** Reads whose last answer is remembered (asked every poll with the same request; ContainerStatus is cached by the poll). */
const REMEMBERED: ReadonlySet<CriMethod> = new Set(['Version', 'Status', 'ListPodSandbox', 'ListContainers']);

/** Kinds after which the session is dropped and opened again at the next call. */
const DROP_SESSION: ReadonlySet<CriErrorKind> = new Set(['unreachable', 'timeout', 'not-crio']);

/** A gRPC status other than OK, as a bounded kind. */
function statusError(code: number, message: string, where: string, method: CriMethod): CriError {
  switch (code) {
    case DEADLINE_EXCEEDED:
      return new CriError('timeout', `${where}: the runtime reports its deadline passed (${message})`, method);
    case UNIMPLEMENTED:
      return new CriError('not-crio', `${where}: the socket answers gRPC but has no runtime.v1.RuntimeService (${message})`, method);
    case RESOURCE_EXHAUSTED:
      return new CriError('too-large', `${where}: ${message}`, method);
    default:
      return new CriError('rpc-error', `${where}: ${GRPC_CODE_NAMES[code] ?? `status ${code}`}: ${message}`, method);
  }
}

/** A socket-level or HTTP/2-level failure, as a bounded kind. */
function transportError(err: unknown, where: string, method: CriMethod): CriError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const text = e instanceof Error ? e.message : String(err);
  if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK', 'ENOTDIR', 'ECONNRESET', 'EPIPE'].includes(code)) {
    return new CriError('unreachable', `${where}: ${text}`, method);
  }
  // ERR_HTTP2_ERROR "Protocol error", ERR_HTTP2_SESSION_ERROR, a GOAWAY, a stream reset: the peer
  // does not speak HTTP/2 (an HTTP/1 server answers the preface with "HTTP/1.1 400") or not gRPC
  return new CriError('not-crio', `${where}: the socket does not speak gRPC over HTTP/2 (${code ? `${code}: ` : ''}${text})`, method);
}

function grpcMessage(v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface MethodTypes {
  path: string;
  encode(v: Obj): Uint8Array;
  decode(b: Uint8Array): Obj;
  response: string;
}

function methodTypes(method: CriMethod): MethodTypes {
  const [reqName, resName] = CRI_METHODS[method];
  const Req = types().lookupType(`runtime.v1.${reqName}`);
  const Res = types().lookupType(`runtime.v1.${resName}`);
  return {
    path: `/runtime.v1.RuntimeService/${method}`,
    encode: (v) => Req.encode(Req.fromObject(v)).finish(),
    decode: (b) => Res.toObject(Res.decode(b), TO_OBJECT) as Obj,
    response: resName,
  };
}

/** One length-prefixed gRPC message: flag 0 (not compressed), 4-byte big-endian length, the bytes. */
function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** The one message of a unary answer, or why it is not one. */
function unframe(body: Buffer): Uint8Array | string {
  if (body.length < 5) return `${body.length} bytes, shorter than a gRPC message header`;
  if (body[0] !== 0) return 'a compressed message (no encoding was offered)';
  const len = body.readUInt32BE(1);
  if (len !== body.length - 5) return `a message header saying ${len} bytes for ${body.length - 5} received`;
  return body.subarray(5);
}

export function createCriClient(opts: CriClientOptions): CriClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CRI_TIMEOUT_MS;
  const maxReceive = opts.maxReceiveBytes ?? DEFAULT_CRI_MAX_RECEIVE_BYTES;
  const methods = new Map<CriMethod, MethodTypes>();
  /**
   * The last answer of each argument-less read (Version, Status, the two lists): at idle the daemon's
   * steady poll gets the same bytes every 15 s, and decoding 200 containers into objects (int64 to
   * strings, defaults filled) was the largest part of its CPU. Equal bytes give the same object.
   */
  const lastAnswers = new Map<CriMethod, { request: Buffer; answer: Buffer; value: Obj }>();
  let session: http2.ClientHttp2Session | null = null;
  /** why each session failed (ENOENT at connect, a protocol error): its streams only say "cancelled" */
  const sessionErrors = new WeakMap<http2.Http2Session, unknown>();
  let closed = false;

  const open = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect('http://localhost', {
      createConnection: () => net.connect(opts.socketPath),
      settings: { enablePush: false, initialWindowSize: 1 << 20 },
    });
    // a session's error ends its streams, which report it (below)
    s.on('error', (e) => sessionErrors.set(s, e));
    s.on('close', () => {
      if (session === s) session = null;
    });
    s.on('connect', () => s.setLocalWindowSize(4 << 20));
    // an idle session never holds the process open; a call in flight has its deadline timer
    s.unref();
    session = s;
    return s;
  };
  const drop = (): void => {
    session?.destroy();
    session = null;
  };

  const call = (method: CriMethod, request: Obj): Promise<Obj> => {
    if (closed) return Promise.reject(new CriError('unreachable', 'CRI client closed', method));
    let t = methods.get(method);
    if (!t) methods.set(method, (t = methodTypes(method)));
    const types = t;
    const where = `${method} on ${opts.socketPath}`;
    const requestBytes = Buffer.from(types.encode(request));
    return new Promise<Obj>((resolve, reject) => {
      let settled = false;
      let stream: http2.ClientHttp2Stream | null = null;
      const fail = (e: CriError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        if (DROP_SESSION.has(e.kind)) drop();
        reject(e);
      };
      const timer = setTimeout(() => fail(new CriError('timeout', `${where}: no answer before the deadline`, method)), timeoutMs);
      try {
        stream = open().request(
          {
            [http2.constants.HTTP2_HEADER_METHOD]: 'POST',
            [http2.constants.HTTP2_HEADER_PATH]: types.path,
            // exactly this: the real CRI-O 1.32.13 drops the connection, without an answer, when a
            // request says "application/grpc+proto" (observed in the lab; docs/containers.md)
            'content-type': 'application/grpc',
            te: 'trailers',
            'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
          },
          { endStream: false },
        );
      } catch (e) {
        fail(transportError(e, where, method));
        return;
      }
      const own = stream.session;
      /** the session's error when there is one: a stream of a failed session only says "cancelled" */
      const cause = (e: unknown): unknown => (own && sessionErrors.get(own)) ?? (e as { cause?: unknown })?.cause ?? e;
      let headers: http2.IncomingHttpHeaders | null = null;
      let trailers: http2.IncomingHttpHeaders | null = null;
      const chunks: Buffer[] = [];
      let received = 0;
      stream.on('response', (h) => {
        headers = h;
        const status = Number(h[http2.constants.HTTP2_HEADER_STATUS]);
        const type = String(h['content-type'] ?? '');
        if (status !== 200) fail(new CriError('not-crio', `${where}: not a gRPC answer (HTTP status ${String(status)})`, method));
        else if (!type.startsWith('application/grpc')) fail(new CriError('not-crio', `${where}: not a gRPC answer (content-type "${type}")`, method));
      });
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxReceive + 5) fail(new CriError('too-large', `${where}: the answer is larger than ${maxReceive} bytes`, method));
        else chunks.push(chunk);
      });
      stream.on('trailers', (h) => {
        trailers = h;
      });
      stream.on('error', (e) => fail(transportError(cause(e), where, method)));
      stream.on('close', () => {
        if (settled) return;
        // a trailers-only answer (an error without a body) carries its status in the headers
        const st = trailers ?? headers;
        if (!headers && own && sessionErrors.has(own)) {
          fail(transportError(cause(null), where, method));
          return;
        }
        if (!headers || st?.['grpc-status'] === undefined) {
          fail(new CriError('not-crio', `${where}: the stream ended without a gRPC status (HTTP/2 code ${stream?.rstCode ?? '?'})`, method));
          return;
        }
        const code = Number(st['grpc-status']);
        if (code !== 0) {
          fail(statusError(code, grpcMessage(st['grpc-message']), where, method));
          return;
        }
        const msg = unframe(Buffer.concat(chunks, received));
        if (typeof msg === 'string') {
          fail(new CriError('garbage', `${where}: the answer is not one gRPC message: ${msg}`, method));
          return;
        }
        const last = lastAnswers.get(method);
        if (last && last.request.equals(requestBytes) && last.answer.equals(msg)) {
          settled = true;
          clearTimeout(timer);
          resolve(last.value);
          return;
        }
        let value: Obj;
        try {
          value = types.decode(msg);
          if (REMEMBERED.has(method)) lastAnswers.set(method, { request: requestBytes, answer: Buffer.from(msg), value });
        } catch (e) {
          fail(new CriError('garbage', `${where}: the answer does not decode as ${types.response} (${e instanceof Error ? e.message : String(e)})`, method));
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(value);
      });
      stream.end(frame(requestBytes));
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
