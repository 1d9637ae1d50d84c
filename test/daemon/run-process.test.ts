/**
 * The running CRI-O's own flags feed the config engine: a CRI-O started with another
 * --config-dir is resolved (and watched) from that directory; a CONTAINER_DEFAULT_RUNTIME in its
 * environment counts as set. In-process daemon, fake process table, real files and watcher.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { silentLogger } from '../../src/daemon/log.js';
import type { ProcessRecord } from '../../src/live/process.js';
import { waitFor } from '../helpers/daemon-process.js';

let root: string;
let daemon: Daemon | null = null;

const put = (p: string, c: string, mode = 0o644): void => {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.writeFileSync(path.join(root, p), c, { mode });
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-proc-'));
  put('/usr/bin/crun', '#!/bin/sh\n', 0o755);
  put('/usr/bin/runc', '#!/bin/sh\n', 0o755);
  put('/etc/crio/crio.conf.d/10-crio.conf', '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n');
  put('/opt/crio/conf.d/10-runc.conf', '[crio.runtime]\ndefault_runtime = "runc"\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n');
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  fs.rmSync(root, { recursive: true, force: true });
});

describe('CRI-O process flags feed the engine', () => {
  it('resolves and watches the drop-in dir the running CRI-O was started with', async () => {
    const crio: ProcessRecord = { pid: 4242, name: 'crio', started: '2026-11-28 21:00:00', command: '/usr/bin/crio', params: '--config-dir /opt/crio/conf.d', path: '/usr/bin' };
    daemon = createDaemon({
      flags: parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--no-journal', '--crio-version', '1.31.0'], {}, 'n'),
      clock: Date.now,
      log: silentLogger,
      listProcesses: async () => [crio, { ...crio, pid: 5000, params: 'status config' }],
      readProcFile: () => {
        throw new Error('must not read /proc under a non-/ root');
      },
    });
    await daemon.start();
    let st = daemon.status();
    expect(st.live.process).toMatchObject({ pid: 4242, args: ['--config-dir', '/opt/crio/conf.d'], env: {} });
    expect(st.live.process?.startedAt).toMatch(/^2026-11-28T/);
    expect(st.config.report?.effective?.defaultRuntime).toEqual({ name: 'runc', source: { file: '/opt/crio/conf.d/10-runc.conf', line: 2 } });
    // the watcher follows the process's directory
    put('/opt/crio/conf.d/20-crun.conf', '[crio.runtime]\ndefault_runtime = "crun"\n');
    await waitFor('the change in the process\'s drop-in dir', async () => daemon!.status().config.report?.effective?.defaultRuntime.name === 'crun');
    st = daemon.status();
    expect(st.config.report?.effective?.defaultRuntime.source).toEqual({ file: '/opt/crio/conf.d/20-crun.conf', line: 2 });
  });

  it('the daemon\'s own --config-dir wins over the process flags', async () => {
    const crio: ProcessRecord = { pid: 7, name: 'crio', started: '', command: 'crio', params: '-d /opt/crio/conf.d', path: '' };
    daemon = createDaemon({
      flags: parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--no-journal', '--config-dir', '/etc/crio/crio.conf.d'], {}, 'n'),
      clock: Date.now,
      log: silentLogger,
      listProcesses: async () => [crio],
    });
    await daemon.start();
    expect(daemon.status().config.report?.effective?.defaultRuntime.name).toBe('crun');
  });
});
