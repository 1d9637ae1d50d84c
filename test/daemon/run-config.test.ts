/**
 * The REAL daemon (node dist/src/cli.js run) against temporary node trees: drop-ins written,
 * rewritten atomically, renamed, deleted; a drop-in dir created after start; a fake CRI-O on a
 * real unix socket (api up, pending change, api down); SIGHUP; SIGTERM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, sample, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';
import { startFakeCrio, type FakeCrio } from '../helpers/fake-crio.js';

let root: string;
let state: string;
let daemon: DaemonProcess | null = null;
let fake: FakeCrio | null = null;

function put(hostPath: string, content: string, mode = 0o644): void {
  const p = path.join(root, hostPath);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content, { mode });
}

/** the 10-crio.conf CRI-O's packages ship (the bundled packaged-crun node's copy) */
const PACKAGED = fs.readFileSync(path.join(REPO, 'examples/nodes/packaged-crun/etc/crio/crio.conf.d/10-crio.conf'), 'utf8');

const NVIDIA_DEFAULT = `[crio]
[crio.runtime]
default_runtime = "nvidia"

[crio.runtime.runtimes.nvidia]
runtime_path = "/usr/bin/nvidia-container-runtime"
runtime_root = "/run/crun"
runtime_type = "oci"
monitor_path = "/usr/libexec/crio/conmon"
`;

const NVIDIA_HANDLER_ONLY = NVIDIA_DEFAULT.replace('default_runtime = "nvidia"\n', '');

function nodeTree(opts: { dropinDir: boolean }): void {
  for (const bin of ['/usr/libexec/crio/crun', '/usr/libexec/crio/runc', '/usr/libexec/crio/conmon', '/usr/bin/nvidia-container-runtime']) {
    put(bin, '#!/bin/sh\nexit 0\n', 0o755);
  }
  put('/etc/nvidia-container-runtime/config.toml', '[nvidia-container-runtime]\nruntimes = ["/usr/libexec/crio/crun"]\n');
  if (opts.dropinDir) put('/etc/crio/crio.conf.d/10-crio.conf', PACKAGED);
  else put('/etc/crio/crio.conf', PACKAGED);
  fs.mkdirSync(path.join(root, 'var/run/crio'), { recursive: true });
}

const active = (m: string, id: string): number | null => {
  for (const sev of ['critical', 'warning', 'info']) {
    const v = sample(m, 'crio_sentinel_finding_active', { id, severity: sev });
    if (v !== null) return v;
  }
  return null;
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-run-'));
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-state-'));
});
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  await fake?.close();
  fake = null;
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(state, { recursive: true, force: true });
});

const baseArgs = (): string[] => ['--root', root, '--state-dir', state, '--crio-version', '1.31.0', '--no-journal', '--crio-poll-interval', '500ms', '--log-level', 'debug'];

describe('crio-sentinel run: live config watching and the running CRI-O', () => {
  it('follows a drop-in written, rewritten atomically, renamed and deleted, against a fake CRI-O', async () => {
    nodeTree({ dropinDir: true });
    fake = await startFakeCrio(path.join(root, 'var/run/crio/crio.sock'), {
      defaultRuntime: 'crun',
      runtimes: {
        crun: { runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '/run/crun' },
        runc: { runtimePath: '/usr/libexec/crio/runc', runtimeRoot: '/run/runc' },
      },
    });
    daemon = await startDaemon(baseArgs());
    expect(daemon.stdout()).toMatch(/^crio-sentinel: listening on http:\/\/127\.0\.0\.1:\d+\/$/m);

    let m = await waitFor('crio_api_up 1', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_crio_api_up') === 1 ? t : null;
    });
    expect(sample(m, 'crio_sentinel_default_runtime_is_nvidia')).toBe(0);
    expect(sample(m, 'crio_sentinel_config_drift')).toBe(0);
    expect(active(m, 'pending-runtime-change')).toBe(0);
    expect(sample(m, 'crio_sentinel_default_runtime_info', { runtime: 'crun', source_file: '/etc/crio/crio.conf.d/10-crio.conf' })).toBe(1);
    expect((await daemon.get('/readyz')).status).toBe(200);
    expect(fake.requests.some((r) => r === 'GET /config crio')).toBe(true);

    // nvidia-ctk --set-as-default: a drop-in makes nvidia the default; CRI-O still runs crun
    put('/etc/crio/crio.conf.d/99-nvidia.conf', NVIDIA_DEFAULT);
    m = await waitFor('default_runtime_is_nvidia 1', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_default_runtime_is_nvidia') === 1 ? t : null;
    });
    expect(sample(m, 'crio_sentinel_default_runtime_info', { runtime: 'nvidia', source_file: '/etc/crio/crio.conf.d/99-nvidia.conf' })).toBe(1);
    expect(sample(m, 'crio_sentinel_config_drift')).toBe(1);
    expect(active(m, 'pending-runtime-change')).toBe(1);
    expect(active(m, 'nvidia-default-runtime')).toBe(1);
    const st = await daemon.status();
    const pending = (st.findings as { id: string; evidence: string[]; remediation: string }[]).find((f) => f.id === 'pending-runtime-change');
    expect(pending?.evidence.join('\n')).toMatch(/files resolve to "nvidia", CRI-O runs "crun"/);
    expect(st.live.source).toBe('api');
    expect(st.live.defaultRuntime).toBe('crun');
    expect(st.drift).toBe(true);

    // an editor's atomic save: write a temp file, rename it over the drop-in (default no longer set)
    const tmp = path.join(root, 'etc/crio/crio.conf.d/.99-nvidia.conf.tmp');
    fs.writeFileSync(tmp, NVIDIA_HANDLER_ONLY);
    fs.renameSync(tmp, path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf'));
    m = await waitFor('default back to crun after the atomic save', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_default_runtime_is_nvidia') === 0 ? t : null;
    });
    expect(sample(m, 'crio_sentinel_runtime_handler_info', { handler: 'nvidia', nvidia: 'true' })).toBe(1);
    // the handler set still differs from the running CRI-O
    expect(sample(m, 'crio_sentinel_config_drift')).toBe(1);

    // renamed to a name CRI-O still reads, then deleted
    fs.renameSync(path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf'), path.join(root, 'etc/crio/crio.conf.d/50-nvidia.conf'));
    await waitFor('handler provenance follows the rename', async () => {
      const st2 = await daemon!.status();
      const src = st2.config.report?.effective?.runtimes?.nvidia?.source;
      return src?.file === '/etc/crio/crio.conf.d/50-nvidia.conf';
    });
    fs.rmSync(path.join(root, 'etc/crio/crio.conf.d/50-nvidia.conf'));
    m = await waitFor('nvidia handler gone after delete', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_runtime_handler_info', { handler: 'nvidia', nvidia: 'true' }) === null ? t : null;
    });
    expect(sample(m, 'crio_sentinel_config_drift')).toBe(0);
    expect(sample(m, 'crio_sentinel_config_reloads_total', { result: 'success' })).toBeGreaterThanOrEqual(5);
    expect(sample(m, 'crio_sentinel_config_reloads_total', { result: 'failure' })).toBe(0);

    // CRI-O goes down: api down, the info finding shows, the daemon stays up
    await fake.down();
    m = await waitFor('crio_api_up 0', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_crio_api_up') === 0 ? t : null;
    });
    expect(active(m, 'crio-live-config-unavailable')).toBe(1);
    expect((await daemon.get('/healthz')).status).toBe(200);
    expect((await daemon.status()).sources.crioApi.lastError).toMatch(/crio\.sock/);

    // SIGTERM: stops well within 2 s
    const r = await daemon.stop('SIGTERM');
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(2000);
    expect(daemon.stderr()).toMatch(/msg=stopped/);
  });

  it('picks up a drop-in directory created after start, and SIGHUP re-reads the configuration', async () => {
    nodeTree({ dropinDir: false });
    daemon = await startDaemon(baseArgs());
    let m = await daemon.metrics();
    expect(sample(m, 'crio_sentinel_default_runtime_info', { runtime: 'crun', source_file: '/etc/crio/crio.conf' })).toBe(1);
    expect(sample(m, 'crio_sentinel_crio_api_up')).toBe(0);

    put('/etc/crio/crio.conf.d/99-nvidia.conf', NVIDIA_DEFAULT);
    m = await waitFor('nvidia default from the new directory', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_default_runtime_is_nvidia') === 1 ? t : null;
    });
    const before = sample(m, 'crio_sentinel_config_reloads_total', { result: 'success' }) ?? 0;

    // SIGHUP re-reads: a change made while the watcher cannot see it (same content) still counts a reload
    daemon.child.kill('SIGHUP');
    await waitFor('a reload after SIGHUP', async () => {
      const t = await daemon!.metrics();
      return (sample(t, 'crio_sentinel_config_reloads_total', { result: 'success' }) ?? 0) > before;
    });
    expect(daemon.stderr()).toMatch(/msg="reload requested"/);
    expect(daemon.alive()).toBe(true);

    // a broken drop-in: CRI-O would not start; the daemon reports it and keeps running
    put('/etc/crio/crio.conf.d/50-broken.conf', '[crio.runtime\n');
    m = await waitFor('crio_would_start 0', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_crio_would_start') === 0 ? t : null;
    });
    expect(active(m, 'config-parse-error')).toBe(1);
    const r = await daemon.stop('SIGINT');
    expect(r.code).toBe(0);
  });

  it('--node-facts=mounted reads the OS from the mounted node and GPUs from the PCI bus', async () => {
    nodeTree({ dropinDir: true });
    put('/etc/os-release', 'NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n');
    daemon = await startDaemon([...baseArgs(), '--node-facts=mounted']);
    const m = await waitFor('node facts from the mounted node', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_node_info', { os: 'Ubuntu 24.04.1 LTS', kernel: os.release() }) === 1 ? t : null;
    });
    // the NVIDIA display controllers on this machine's PCI bus (none on a CI machine)
    const pci = '/sys/bus/pci/devices';
    const read = (p: string): string => fs.readFileSync(p, 'utf8').trim();
    const expected = fs.readdirSync(pci).filter((d) => read(`${pci}/${d}/vendor`) === '0x10de' && read(`${pci}/${d}/class`).startsWith('0x03')).length;
    expect(sample(m, 'crio_sentinel_nvidia_gpus')).toBe(expected);
  });

  it('rejects a bad flag with one line and exit status 3', async () => {
    const { spawnSync } = await import('node:child_process');
    const { CLI } = await import('../helpers/daemon-process.js');
    const r = spawnSync(process.execPath, [CLI, 'run', '--stuck-threshold', 'soon'], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--stuck-threshold: invalid duration "soon"/);
    const r2 = spawnSync(process.execPath, [CLI, 'run', '--no-such-flag'], { encoding: 'utf8' });
    expect(r2.status).toBe(3);
    expect(r2.stderr).toMatch(/no-such-flag/);
  });

  it('exits with status 3 and one line when the listen address is taken (sources released)', async () => {
    const net = await import('node:net');
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/daemon-process.js');
    nodeTree({ dropinDir: true });
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as import('node:net').AddressInfo).port;
    try {
      const child = spawn(process.execPath, [CLI, 'run', '--root', root, '--state-dir', state, '--no-journal', '--web.listen-address', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('exit', (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      expect(code).toBe(3);
      const userLines = err.split('\n').filter((l) => l.startsWith('crio-sentinel run:'));
      expect(userLines).toEqual([`crio-sentinel run: --web.listen-address 127.0.0.1:${port}: cannot listen: address already in use`]);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
  });
});
