import { describe, expect, it } from 'vitest';
import { findCrioProcess, parseCrioArgs, parseEnviron, processInputs, type ProcessRecord } from '../../src/live/process.js';

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
