/**
 * The CRI client's degradations, each named and bounded. The real CRI-O is tested in lab.test.ts;
 * here a FAKE gRPC server (bench/fake-cri.ts) injects what a real CRI-O cannot be made to produce on
 * demand (undecodable answers, a server that never answers, another runtime's name), and a real
 * HTTP/1 server stands for "a socket that is not CRI-O".
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCriClient, CriError, type CriClient } from '../../src/cri/client.js';
import { infoPid, nanosToIso, pollCri } from '../../src/cri/poll.js';
import { CRI_METHODS } from '../../src/cri/proto.js';
import { fakeNode, startFakeCri, type FakeCri } from '../../bench/fake-cri.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-cri-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(CriError);
    return (e as CriError).kind;
  }
}

describe('CRI client against a fake gRPC runtime', () => {
  const node = fakeNode(3, 2, 'nvidia');
  let fake: FakeCri;
  let client: CriClient;
  beforeAll(async () => {
    fake = await startFakeCri({ socketPath: path.join(tmp, 'fake.sock'), ...node, specBytes: 2000 });
    client = createCriClient({ socketPath: fake.socketPath, timeoutMs: 500 });
  });
  afterAll(async () => {
    client.close();
    await fake.close();
  });
  afterEach(() => {
    fake.mode = 'ok';
  });

  it('polls list + status into a snapshot', async () => {
    const s = await pollCri(client);
    expect(s.runtimeName).toBe('cri-o');
    expect(s.runtimeReady).toBe(true);
    expect(s.sandboxes).toHaveLength(3);
    expect(s.sandboxes[0]).toMatchObject({ namespace: 'bench', name: 'pod-0', runtimeHandler: 'nvidia', state: 'ready' });
    expect(s.containers).toHaveLength(6);
    expect(s.containers.every((c) => c.state === 'running' && c.pid !== null && c.statusError === null)).toBe(true);
    expect(fake.calls.ContainerStatus).toBe(6);
  });

  it('with a status cache, a steady poll asks no ContainerStatus; a new container is asked once', async () => {
    const cache = new Map();
    const before = fake.calls.ContainerStatus ?? 0;
    const a = await pollCri(client, { statusCache: cache });
    expect((fake.calls.ContainerStatus ?? 0) - before).toBe(6);
    const b = await pollCri(client, { statusCache: cache });
    expect((fake.calls.ContainerStatus ?? 0) - before).toBe(6);
    expect(b.containers.map((c) => c.pid)).toEqual(a.containers.map((c) => c.pid));
    cache.delete(a.containers[0]?.id);
    await pollCri(client, { statusCache: cache });
    expect((fake.calls.ContainerStatus ?? 0) - before).toBe(7);
  });

  it('an answer equal to the previous one is the same object; a changed one is decoded anew', async () => {
    const a = await client.listContainers();
    const b = await client.listContainers();
    expect(b).toBe(a);
    node.containers[0]!.state = 'CONTAINER_EXITED';
    try {
      const c = await client.listContainers();
      expect(c).not.toBe(a);
      expect(c[0]).toMatchObject({ state: 'CONTAINER_EXITED' });
      expect(a[0]).toMatchObject({ state: 'CONTAINER_RUNNING' }); // the old answer is left as it was
      // two polls of the same answer still give each its own container objects (the poll fills them in)
      const p1 = await pollCri(client);
      const p2 = await pollCri(client);
      expect(p2.containers).toEqual(p1.containers);
      expect(p2.containers[0]).not.toBe(p1.containers[0]);
      p1.containers[0]!.pid = -1;
      expect((await pollCri(client)).containers[0]!.pid).not.toBe(-1);
    } finally {
      node.containers[0]!.state = 'CONTAINER_RUNNING';
    }
  });

  it('an answer that does not decode is "garbage", and the next poll works again', async () => {
    fake.mode = 'garbage';
    expect(await kindOf(pollCri(client))).toBe('garbage');
    fake.mode = 'ok';
    expect((await pollCri(client)).containers).toHaveLength(6);
  });

  it('a server that never answers is a "timeout" within the deadline', async () => {
    fake.mode = 'hang';
    const t0 = Date.now();
    expect(await kindOf(client.version())).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a status call that hangs marks only that container, and the poll keeps its list entry', async () => {
    const c2 = createCriClient({ socketPath: fake.socketPath, timeoutMs: 300 });
    const s = await pollCri(
      {
        ...c2,
        containerStatus: (id, v) => (id === fakeNode(3, 2).containers[1]?.id ? new Promise(() => undefined) : c2.containerStatus(id, v)),
      },
      { deadlineMs: 2000 },
    );
    c2.close();
    expect(s.containers).toHaveLength(6);
    const hung = s.containers[1];
    expect(hung?.statusError).toContain('poll deadline');
    expect(s.containers.filter((c) => c.statusError === null && c.pid !== null)).toHaveLength(5);
  }, 15_000);

  it('another CRI runtime is "not-crio"', async () => {
    const other = await startFakeCri({ socketPath: path.join(tmp, 'containerd.sock'), runtimeName: 'containerd', runtimeVersion: '2.0.0' });
    const c = createCriClient({ socketPath: other.socketPath });
    const err = await pollCri(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriError);
    expect((err as CriError).kind).toBe('not-crio');
    expect((err as CriError).message).toContain('containerd');
    c.close();
    await other.close();
  });

  it('exposes no mutating RPC', () => {
    expect(Object.keys(CRI_METHODS).sort()).toEqual(['ContainerStatus', 'ListContainers', 'ListPodSandbox', 'PodSandboxStatus', 'Status', 'Version']);
    expect(Object.keys(client).sort()).toEqual(['close', 'containerStatus', 'listContainers', 'listPodSandbox', 'podSandboxStatus', 'status', 'version']);
  });
});

describe('CRI client against things that are not CRI-O', () => {
  it('no socket: "unreachable"', async () => {
    const c = createCriClient({ socketPath: path.join(tmp, 'missing.sock'), timeoutMs: 1000 });
    expect(await kindOf(c.version())).toBe('unreachable');
    c.close();
  });

  it('an HTTP/1 server on the socket: "not-crio", never a hang', async () => {
    const sock = path.join(tmp, 'http.sock');
    const srv = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => srv.listen(sock, r));
    const c = createCriClient({ socketPath: sock, timeoutMs: 1000 });
    const t0 = Date.now();
    const err = await c.version().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toBeInstanceOf(CriError);
    console.log(`HTTP/1 server: ${(err as CriError).kind}: ${(err as CriError).message}`);
    expect((err as CriError).kind).toBe('not-crio');
    c.close();
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it('a gRPC server without runtime.v1.RuntimeService: "not-crio"', async () => {
    const sock = path.join(tmp, 'other-grpc.sock');
    const srv = new grpc.Server();
    await new Promise<void>((r, j) => srv.bindAsync(`unix:${sock}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? j(e) : r())));
    const c = createCriClient({ socketPath: sock, timeoutMs: 1000 });
    expect(await kindOf(c.version())).toBe('not-crio');
    c.close();
    srv.forceShutdown();
  });
});

/**
 * Wire-level faults, injected with a bare node:http2 server on a unix socket (a real CRI-O never
 * sends these on demand): an HTTP/2 server that is not gRPC, a trailers-only error, an answer over
 * the cap, a compressed or cut message.
 */
describe('CRI client against an HTTP/2 server injecting wire faults', () => {
  type Answer = (stream: http2.ServerHttp2Stream) => void;
  let answer: Answer = () => undefined;
  let srv: http2.Http2Server;
  const sock = path.join(tmp, 'h2.sock');
  const grpcMessage = (bytes: Buffer, flag = 0, claimed = bytes.length): Buffer => {
    const b = Buffer.alloc(5 + bytes.length);
    b[0] = flag;
    b.writeUInt32BE(claimed, 1);
    bytes.copy(b, 5);
    return b;
  };
  const grpcOk = (body: Buffer): Answer => (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  };
  beforeAll(async () => {
    srv = http2.createServer();
    srv.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.resume();
      stream.on('end', () => answer(stream));
    });
    await new Promise<void>((r) => srv.listen(sock, r));
  });
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));
  const versionKind = async (a: Answer, maxReceiveBytes?: number): Promise<[string, string]> => {
    answer = a;
    const c = createCriClient({ socketPath: sock, timeoutMs: 1000, maxReceiveBytes });
    try {
      await c.version();
      return ['ok', ''];
    } catch (e) {
      expect(e).toBeInstanceOf(CriError);
      return [(e as CriError).kind, (e as CriError).message];
    } finally {
      c.close();
    }
  };

  it('a valid answer decodes (the frame and trailers the client expects)', async () => {
    // VersionResponse{version:"0.1.0", runtime_name:"cri-o"}: fields 1 and 2, length-delimited
    const msg = Buffer.from([0x0a, 5, ...Buffer.from('0.1.0'), 0x12, 5, ...Buffer.from('cri-o')]);
    expect(await versionKind(grpcOk(grpcMessage(msg)))).toEqual(['ok', '']);
  });

  it('an HTTP/2 server that is not gRPC (404, text/plain): "not-crio"', async () => {
    const [kind, message] = await versionKind((st) => {
      st.respond({ ':status': 404, 'content-type': 'text/plain' });
      st.end('no such thing');
    });
    expect(kind).toBe('not-crio');
    expect(message).toMatch(/HTTP status 404/);
  });

  it('a trailers-only NOT_FOUND: "rpc-error" with the percent-decoded message', async () => {
    const [kind, message] = await versionKind((st) => {
      st.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'could%20not%20find%20pod' }, { endStream: true });
    });
    expect(kind).toBe('rpc-error');
    expect(message).toMatch(/NOT_FOUND: could not find pod/);
  });

  it('an answer over maxReceiveBytes is cancelled: "too-large"', async () => {
    expect((await versionKind(grpcOk(grpcMessage(Buffer.alloc(64 * 1024, 0x0a))), 4096))[0]).toBe('too-large');
  });

  it('a compressed message (never offered) and a cut one: "garbage"', async () => {
    expect((await versionKind(grpcOk(grpcMessage(Buffer.from([0x0a, 0]), 1))))[0]).toBe('garbage');
    expect((await versionKind(grpcOk(grpcMessage(Buffer.from([0x0a, 0]), 0, 100))))[0]).toBe('garbage');
  });

  it('a gRPC OK without a body: "garbage", not an empty answer taken for one', async () => {
    expect((await versionKind(grpcOk(Buffer.alloc(0))))[0]).toBe('garbage');
  });
});

describe('pure helpers', () => {
  it('reads the pid from CRI-O 1.32 verbose info without parsing the spec', () => {
    expect(infoPid({ info: '{"sandboxID":"ab","pid":12617,"runtimeSpec":{"process":{"pid":1}},"privileged":false}' })).toBe(12617);
    expect(infoPid({ info: '{"runtimeSpec":{"x":1},"pid":42}' })).toBe(42);
    expect(infoPid({ pid: '7' })).toBe(7);
    expect(infoPid({ info: 'not json' })).toBeNull();
    expect(infoPid({ info: '{"pid":0}' })).toBeNull();
    expect(infoPid({})).toBeNull();
  });
  it('converts int64 nanoseconds', () => {
    expect(nanosToIso('1796233547607553797')).toBe('2026-12-02T17:45:47.607Z');
    expect(nanosToIso('0')).toBeNull();
    expect(nanosToIso('garbage')).toBeNull();
  });
});
