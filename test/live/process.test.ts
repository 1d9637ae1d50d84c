import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { procSocketHolders } from '../../src/live/proc-sockets.js';
import { findCrioProcess, parseCrioArgs, parseEnviron, processInputs, unixSocketInodes, type ProcessRecord } from '../../src/live/process.js';

const rec = (pid: number, name: string, params: string): ProcessRecord => ({
  pid,
  name,
  started: '2026-11-28 21:52:12',
  command: `/usr/bin/${name}`,
  params,
  path: '/usr/bin',
});

describe('CRI-O process flags and environment', () => {
  it('parses the flags that feed the config engine in every spelling', () => {
    expect(parseCrioArgs(['--config', '/etc/x.conf', '-d=/etc/x.d', '--log-level', 'debug', '--default-runtime=nvidia', '--runtimes', 'a:/a', '--runtimes=b:/b'])).toEqual({
      config: '/etc/x.conf',
      configDir: '/etc/x.d',
      defaultRuntime: 'nvidia',
      runtimes: ['a:/a', 'b:/b'],
      subcommand: null,
    });
    expect(parseCrioArgs(['-c', '', '--config-dir', ''])).toMatchObject({ config: '', configDir: '' });
    expect(parseCrioArgs(['--log-level', 'debug', 'status', 'config']).subcommand).toBe('status');
  });

  it('keeps only CONTAINER_* variables of the environment', () => {
    const env = parseEnviron(Buffer.from('PATH=/bin\0CONTAINER_DEFAULT_RUNTIME=nvidia\0SECRET=x\0CONTAINER_CONFIG_DIR=/d\0'));
    expect(env).toEqual({ CONTAINER_DEFAULT_RUNTIME: 'nvidia', CONTAINER_CONFIG_DIR: '/d' });
  });

  it('picks the daemon, not a `crio status` client, and reads /proc only when asked', async () => {
    const list = [rec(900, 'crio', 'status config'), rec(412, 'crio', '--config-dir /etc/crio/crio.conf.d'), rec(10, 'bash', '')];
    const reads: string[] = [];
    const proc = await findCrioProcess({
      listProcesses: async () => list,
      readProcFile: (pid, name) => {
        reads.push(`${pid}/${name}`);
        if (name === 'cmdline') return Buffer.from('/usr/bin/crio\0--config\0/etc/crio/main.conf\0--default-runtime\0runc\0');
        return Buffer.from('CONTAINER_RUNTIMES=nvidia:/usr/bin/nvidia-container-runtime\0HOME=/root\0');
      },
      readProc: true,
    });
    expect(proc?.pid).toBe(412);
    expect(proc?.args).toEqual(['--config', '/etc/crio/main.conf', '--default-runtime', 'runc']);
    expect(proc?.startedAt).toMatch(/^2026-11-28T/);
    expect(processInputs(proc)).toEqual({
      config: '/etc/crio/main.conf',
      defaultRuntime: 'runc',
      env: { CONTAINER_RUNTIMES: 'nvidia:/usr/bin/nvidia-container-runtime' },
    });
    const noProc = await findCrioProcess({ listProcesses: async () => list, readProcFile: () => null, readProc: false });
    expect(noProc?.args).toEqual(['--config-dir', '/etc/crio/crio.conf.d']);
    expect(processInputs(noProc)).toEqual({ configDir: '/etc/crio/crio.conf.d' });
    expect(await findCrioProcess({ listProcesses: async () => [rec(1, 'systemd', '')], readProcFile: () => null, readProc: false })).toBeNull();
  });
});

describe('several CRI-O daemons: the one serving our socket', () => {
  const list = [rec(300, 'crio', '--config /lab/a/crio.conf'), rec(200, 'crio', '--config /lab/b/crio.conf'), rec(100, 'crio', 'version')];
  const base = { listProcesses: async () => list, readProcFile: () => null, readProc: false };

  it('takes the daemon that holds the socket, and says why', async () => {
    const told: unknown[] = [];
    const p = await findCrioProcess({ ...base, socketHolders: () => new Set([300]), onAmbiguous: (...a) => told.push(a) });
    expect(p?.pid).toBe(300);
    expect(processInputs(p)).toEqual({ config: '/lab/a/crio.conf' });
    expect(told).toEqual([[[200, 300], 300, 'holds the socket']]);
  });

  it('without socket facts it takes the lowest pid, and says that it guessed', async () => {
    const told: unknown[] = [];
    expect((await findCrioProcess({ ...base, socketHolders: () => null, onAmbiguous: (...a) => told.push(a) }))?.pid).toBe(200);
    expect((await findCrioProcess({ ...base, socketHolders: () => new Set([999]), onAmbiguous: (...a) => told.push(a) }))?.pid).toBe(200);
    expect(told).toEqual([
      [[200, 300], 200, 'lowest pid'],
      [[200, 300], 200, 'lowest pid'],
    ]);
  });

  it('one daemon: socket facts are not even asked for', async () => {
    let asked = false;
    const p = await findCrioProcess({ ...base, listProcesses: async () => [list[0]!], socketHolders: () => ((asked = true), null) });
    expect(p?.pid).toBe(300);
    expect(asked).toBe(false);
  });

  it('parses /proc/net/unix: the inode of the socket bound to the path, nothing else', () => {
    const text = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 41234 /run/crio/crio.sock',
      '0000000000000000: 00000003 00000000 00000000 0001 03 41240 /run/crio/crio.sock',
      '0000000000000000: 00000002 00000000 00010000 0001 01 5555 /run/crio/crio.sock.other',
      '0000000000000000: 00000003 00000000 00000000 0001 03 777',
      'garbage',
    ].join('\n');
    expect([...unixSocketInodes(text, '/run/crio/crio.sock')]).toEqual(['41234', '41240']);
    expect(unixSocketInodes(text, '/nope').size).toBe(0);
  });

  it('reads the real /proc: this process listening on a unix socket holds it, its parent does not', async () => {
    if (!fs.existsSync('/proc/self/net/unix')) return expect.fail('no /proc/self/net/unix on this machine');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-sock-'));
    const sock = path.join(dir, 'crio.sock');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      expect(procSocketHolders(sock, [process.pid, process.ppid])).toEqual(new Set([process.pid]));
      expect(procSocketHolders(path.join(dir, 'absent.sock'), [process.pid])).toBeNull();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
