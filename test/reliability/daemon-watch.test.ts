/**
 * Issue #11 item 1 against the REAL daemon (node dist/src/cli.js run): the drop-in directory
 * deleted and recreated (or renamed away and recreated) must keep being watched, and SIGHUP must
 * restore watching.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';

let tmp: string;
let root: string;
let daemon: DaemonProcess | null = null;
const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
const PACKAGED = fs.readFileSync(path.join(NODE, 'etc/crio/crio.conf.d/10-crio.conf'), 'utf8');

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-rel-watch-'));
  root = path.join(tmp, 'r');
  fs.cpSync(NODE, root, { recursive: true });
});
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const start = async (): Promise<DaemonProcess> =>
  startDaemon(['--root', root, '--config', '', '--config-dir', '/etc/crio/crio.conf.d', '--no-journal', '--node-facts', 'off', '--state-dir', path.join(tmp, 'state'), '--crio-poll-interval', '1h']);

const defaultRuntime = async (d: DaemonProcess): Promise<string | null> => ((await d.status()).config.report?.effective?.defaultRuntime?.name as string | undefined) ?? null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitDefault = (d: DaemonProcess, want: string, ms = 4000) =>
  waitFor(
    `default runtime ${want}`,
    async () => {
      const got = await defaultRuntime(d);
      if (got !== want) throw new Error(`default runtime is ${got}`);
      return true;
    },
    ms,
  );

describe('config watching never goes stale (issue #11 item 1)', () => {
  it('the repro: rm -rf the drop-in dir, mkdir, cp 10-crio.conf; then a new drop-in is seen', async () => {
    daemon = await start();
    expect(await defaultRuntime(daemon)).toBe('nvidia');
    const D = path.join(root, 'etc/crio/crio.conf.d');
    fs.rmSync(D, { recursive: true, force: true });
    fs.mkdirSync(D);
    fs.writeFileSync(path.join(D, '10-crio.conf'), PACKAGED);
    await waitDefault(daemon, 'crun');
    await sleep(2000);
    fs.writeFileSync(path.join(D, 'zz.conf'), '[crio.runtime]\ndefault_runtime = "runc"\n');
    await waitDefault(daemon, 'runc');
  });

  it('the drop-in dir renamed away and recreated within a second keeps being watched', async () => {
    daemon = await start();
    const D = path.join(root, 'etc/crio/crio.conf.d');
    for (let round = 0; round < 3; round++) {
      fs.renameSync(D, path.join(tmp, `old-${round}`));
      await sleep(300);
      fs.mkdirSync(D);
      fs.writeFileSync(path.join(D, '10-crio.conf'), PACKAGED);
      await waitDefault(daemon, 'crun');
      fs.writeFileSync(path.join(D, '50-runc.conf'), '[crio.runtime]\ndefault_runtime = "runc"\n');
      await waitDefault(daemon, 'runc');
      fs.rmSync(path.join(D, '50-runc.conf'));
      await waitDefault(daemon, 'crun');
    }
  });

  it('SIGHUP re-creates the watcher and the daemon follows later changes', async () => {
    daemon = await start();
    const D = path.join(root, 'etc/crio/crio.conf.d');
    fs.rmSync(D, { recursive: true, force: true });
    fs.mkdirSync(D);
    fs.writeFileSync(path.join(D, '10-crio.conf'), PACKAGED);
    await waitDefault(daemon, 'crun');
    daemon.child.kill('SIGHUP');
    await waitFor('reload logged', async () => /config watch (re)?started|reload requested/.test(daemon!.stderr()));
    await sleep(500);
    fs.writeFileSync(path.join(D, '60-runc.conf'), '[crio.runtime]\ndefault_runtime = "runc"\n');
    await waitDefault(daemon, 'runc');
    expect(daemon.alive()).toBe(true);
  });
});
