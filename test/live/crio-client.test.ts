import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCrioClient } from '../../src/live/crio-client.js';
import { summarizeCrioToml as summarizeLiveConfig } from '../../src/config/index.js';
import { startFakeCrio, type FakeCrio } from '../helpers/fake-crio.js';

let dir: string;
let fake: FakeCrio | null = null;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-client-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CRI-O socket client against a fake CRI-O on a real unix socket', () => {
  it('reads GET /config as TOML and GET /info as JSON, sending Host: crio', async () => {
    const sock = path.join(dir, 'crio.sock');
    fake = await startFakeCrio(sock, { defaultRuntime: 'runc' });
    const client = createCrioClient({ socketPath: sock });
    const live = summarizeLiveConfig(await client.getConfig());
    expect(live.defaultRuntime).toBe('runc');
    expect(live.runtimes.crun).toEqual({ runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '/run/crun', runtimeType: 'oci' });
    const info = await client.getInfo();
    expect(info.storage_driver).toBe('overlay');
    expect(info.cgroup_driver).toBe('systemd');
    expect(fake.requests).toContain('GET /config crio');
    fake.setDefaultRuntime('nvidia');
    fake.setRuntimes({ nvidia: { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc' } });
    const again = summarizeLiveConfig(await client.getConfig());
    expect(again.defaultRuntime).toBe('nvidia');
    expect(Object.keys(again.runtimes)).toEqual(['nvidia']);
  });

  it('reports HTTP errors, a missing socket and a dead CRI-O as errors naming the endpoint', async () => {
    const sock = path.join(dir, 'crio.sock');
    fake = await startFakeCrio(sock);
    const client = createCrioClient({ socketPath: sock });
    fake.state.forceStatus = 500;
    await expect(client.getConfig()).rejects.toThrow(/GET \/config: HTTP 500/);
    fake.state.forceStatus = null;
    await fake.down();
    await expect(client.getConfig()).rejects.toThrow(/ENOENT/);
    await fake.up();
    expect(summarizeLiveConfig(await client.getConfig()).defaultRuntime).toBe('crun');
  });

  it('times out on a socket that never answers and caps the response size', async () => {
    const sock = path.join(dir, 'silent.sock');
    const conns: net.Socket[] = [];
    const silent = net.createServer((c) => conns.push(c));
    await new Promise<void>((r) => silent.listen(sock, () => r()));
    try {
      await expect(createCrioClient({ socketPath: sock, timeoutMs: 200 }).getInfo()).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
    const sock2 = path.join(dir, 'crio.sock');
    fake = await startFakeCrio(sock2);
    await expect(createCrioClient({ socketPath: sock2, maxBytes: 100 }).getConfig()).rejects.toThrow(/larger than 100 bytes/);
  });

  it('names the line of a live TOML that does not parse', () => {
    expect(() => summarizeLiveConfig('[crio]\n  default_runtime = \n')).toThrow(/line 2/);
  });
});
