/**
 * `crio-sentinel check` on the bundled example node trees and on bad input.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/commands/check.js';
import { runCommand } from '../helpers/run-command.js';
import type { ConfigReport } from '../../src/core/contracts.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODES = path.join(REPO, 'examples/nodes');

const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(main, argv);

async function json(node: string, extra: string[] = []): Promise<{ code: number; report: ConfigReport }> {
  const { code, out } = await run(['--root', path.join(NODES, node), '--output', 'json', ...extra]);
  return { code, report: JSON.parse(out) as ConfigReport };
}

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('check on the bundled example nodes', () => {
  it('packaged-crun: crun from 10-crio.conf line 5, no findings, exit 0', async () => {
    const { code, report } = await json('packaged-crun');
    expect(code).toBe(0);
    expect(report.crioVersion).toBe('1.31.0'); // from <root>/.crio-sentinel-version
    expect(report.effective?.defaultRuntime).toEqual({ name: 'crun', source: { file: '/etc/crio/crio.conf.d/10-crio.conf', line: 5 } });
    expect(Object.keys(report.effective!.runtimes)).toEqual(['crun', 'runc']);
    expect(report.findings).toEqual([]);
    expect(report.lowLevelRuntime).toBeNull();
  });

  it('nvidia-default (the demo node): nvidia default, crun -> runc mismatch, AppArmor-confined runc, exit 2', async () => {
    const { code, report } = await json('nvidia-default');
    expect(code).toBe(2);
    expect(report.crioVersion).toBe('1.30.0');
    expect(report.effective?.defaultRuntime).toEqual({ name: 'nvidia', source: { file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 5 } });
    expect(report.effective?.runtimes.nvidia).toMatchObject({ isNvidia: true, runtimeRoot: '/run/runc', source: { file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 9 } });
    expect(report.lowLevelRuntime).toEqual({ wrapper: '/usr/bin/nvidia-container-runtime', binary: '/usr/sbin/runc' });
    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([
      ['apparmor-confined-runc', 'critical'],
      ['low-level-runtime-mismatch', 'critical'],
      ['nvidia-default-runtime', 'warning'],
      ['nvidia-handler-without-runtime-root', 'info'],
    ]);
    const mismatch = report.findings.find((f) => f.id === 'low-level-runtime-mismatch')!;
    expect(mismatch.evidence.join('\n')).toContain('crun → runc');
    expect(mismatch.evidence.join('\n')).toContain('--root /run/runc');
    expect(report.findings.find((f) => f.id === 'apparmor-confined-runc')?.evidence[0]).toBe('AppArmor profile for /usr/sbin/runc: file /etc/apparmor.d/runc line 7');
    // with CRI-O >= 1.31 the AppArmor finding is only a warning
    const newer = await json('nvidia-default', ['--crio-version', '1.31.0']);
    expect(newer.report.findings.find((f) => f.id === 'apparmor-confined-runc')?.severity).toBe('warning');
  });

  it('nvidia-not-default: crun stays default, nvidia is a handler; wrapper routed to CRI-O crun; exit 0', async () => {
    const { code, report } = await json('nvidia-not-default');
    expect(code).toBe(0);
    expect(report.effective?.defaultRuntime.name).toBe('crun');
    expect(report.effective?.runtimes.nvidia?.source).toEqual({ file: '/etc/crio/crio.conf.d/99-nvidia.toml', line: 8 });
    expect(report.lowLevelRuntime).toEqual({ wrapper: '/usr/bin/nvidia-container-runtime', binary: '/usr/libexec/crio/crun' });
    expect(report.findings.map((f) => f.id)).toEqual(['nvidia-handler-without-runtime-root']);
  });

  it('nvidia-wrong-dir: the toolkit 1.19.0 drop-in in /etc/crio/conf.d is ignored; exit 1', async () => {
    const { code, report } = await json('nvidia-wrong-dir');
    expect(code).toBe(1);
    expect(report.effective?.defaultRuntime.name).toBe('crun');
    expect(report.files).toContainEqual(expect.objectContaining({ path: '/etc/crio/conf.d/99-nvidia.toml', status: 'ignored' }));
    const f = report.findings.find((x) => x.id === 'nvidia-dropin-ignored')!;
    expect(f.evidence).toContain('file /etc/crio/conf.d/99-nvidia.toml line 9: [crio.runtime.runtimes.nvidia]');
  });

  it('broken-dropin: the s3 syntax error names 50-gpu.conf line 2; CRI-O would not start; exit 2', async () => {
    const { code, report } = await json('broken-dropin');
    expect(code).toBe(2);
    expect(report.effective).toBeNull();
    expect(report.crioWouldStart).toBe(false);
    expect(report.startError).toMatch(/^get and merge config from context: update config from path: walk path: unable to decode configuration \/etc\/crio\/crio\.conf\.d\/50-gpu\.conf: toml: line 2, column \d+/);
    expect(report.files.map((f) => [f.path, f.status])).toEqual([
      ['/etc/crio/crio.conf', 'missing'],
      ['/etc/crio/crio.conf.d/10-crio.conf', 'applied'],
      ['/etc/crio/crio.conf.d/50-gpu.conf', 'error'],
    ]);
    expect(report.findings.map((f) => f.id)).toEqual(['config-parse-error']);
  });

  it('crio-1.24-runc-quirk: 1.24.6 loses the packaged runc table; exit 1', async () => {
    const { code, report } = await json('crio-1.24-runc-quirk');
    expect(code).toBe(1);
    expect(Object.keys(report.effective!.runtimes)).toEqual(['crun']);
    expect(report.findings.map((f) => f.id)).toEqual(['runc-handler-deleted']);
    expect(report.findings[0]?.evidence[0]).toContain('/etc/crio/crio.conf.d/10-crio.conf line 5');
    // the same tree on 1.26 keeps runc
    const later = await json('crio-1.24-runc-quirk', ['--crio-version', '1.26.0']);
    expect(Object.keys(later.report.effective!.runtimes)).toEqual(['crun', 'runc']);
    expect(later.code).toBe(0);
  });

  it('text output names version, files, default with provenance, wrapper and findings with fixes', async () => {
    const { code, out } = await run(['--root', path.join(NODES, 'nvidia-default')]);
    expect(code).toBe(2);
    expect(out).toContain('CRI-O 1.30.0');
    expect(out).toContain('  applied  /etc/crio/crio.conf.d/99-nvidia.conf');
    expect(out).toContain('Default runtime: nvidia  (from /etc/crio/crio.conf.d/99-nvidia.conf line 5)');
    expect(out).toContain('NVIDIA wrapper /usr/bin/nvidia-container-runtime runs: /usr/sbin/runc');
    expect(out).toMatch(/^CRITICAL low-level-runtime-mismatch: /m);
    expect(out).toMatch(/^ {2}fix {6}/m);
  });
});

describe('check options', () => {
  it('--env feeds CRI-O\'s environment; crio-sentinel\'s own environment is ignored', async () => {
    const node = path.join(NODES, 'nvidia-default');
    process.env.CONTAINER_DEFAULT_RUNTIME = 'runc';
    try {
      const plain = await run(['--root', node, '--output', 'json']);
      expect((JSON.parse(plain.out) as ConfigReport).effective?.defaultRuntime.name).toBe('nvidia');
    } finally {
      delete process.env.CONTAINER_DEFAULT_RUNTIME;
    }
    const withEnv = await run(['--root', node, '--output', 'json', '--env', 'CONTAINER_DEFAULT_RUNTIME=crun']);
    const r = JSON.parse(withEnv.out) as ConfigReport;
    expect(r.effective?.defaultRuntime).toEqual({ name: 'crun', source: { flag: 'CONTAINER_DEFAULT_RUNTIME' } });
    expect(r.findings.map((f) => f.id)).toContain('cli-override-lost-on-reload');
  });

  it('--config-dir, --default-runtime and --runtimes are CRI-O\'s flags', async () => {
    const node = path.join(NODES, 'packaged-crun');
    const r = JSON.parse((await run(['--root', node, '--output', 'json', '--default-runtime', 'gpu', '--runtimes', 'gpu:/usr/libexec/crio/crun:/run/crun'])).out) as ConfigReport;
    expect(r.effective?.defaultRuntime).toEqual({ name: 'gpu', source: { flag: '--default-runtime' } });
    expect(r.effective?.runtimes.gpu?.source).toEqual({ flag: '--runtimes' });
    const none = JSON.parse((await run(['--root', node, '--output', 'json', '--config-dir', ''])).out) as ConfigReport;
    expect(none.effective?.defaultRuntime).toEqual({ name: 'crun', source: { builtin: true } });
  });

  it('a root with a crio binary but no config file gets a note and the built-in defaults', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-empty-'));
    tmp.push(root);
    fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/bin/crio'), '#!/bin/sh\n', { mode: 0o755 });
    const { code, out } = await run(['--root', root, '--crio-version', '1.31.0']);
    expect(out).toContain('note: no CRI-O config file found');
    // CRI-O is installed: its built-in default crun is missing, so it would not start
    expect(code).toBe(2);
    expect((await run(['--root', path.join(NODES, 'packaged-crun')])).out).not.toContain('note: no CRI-O config file found');
  });

  it('a host without CRI-O (no main file, no drop-in dir, no /etc/crio, no crio binary) is UNKNOWN (exit 3), a broken CRI-O node is not', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-none-'));
    tmp.push(root);
    await expect(run(['--root', root, '--crio-version', '1.31.0'])).rejects.toThrow(
      /^UNKNOWN: CRI-O is not installed here: no \/etc\/crio\/crio\.conf, no \/etc\/crio\/crio\.conf\.d, no \/etc\/crio, no crio in \/usr\/local\/sbin:/,
    );
    await expect(run(['--root', root, '--output', 'json'])).rejects.toThrow(/^UNKNOWN/);
    await expect(run(['--root', root, '--config', '', '--config-dir', ''])).rejects.toThrow('CRI-O is not installed here: no /etc/crio, no crio in');
    // any one of them makes it a CRI-O node whose findings stand
    fs.mkdirSync(path.join(root, 'etc/crio'), { recursive: true });
    expect((await run(['--root', root, '--crio-version', '1.31.0'])).code).toBe(2);
    fs.writeFileSync(path.join(root, 'etc/crio/crio.conf'), '[crio.runtime\n');
    const broken = await run(['--root', root, '--crio-version', '1.31.0', '--output', 'json']);
    expect(broken.code).toBe(2);
    expect((JSON.parse(broken.out) as ConfigReport).findings.map((f) => f.id)).toEqual(['config-parse-error']);
    fs.rmSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/local/bin/crio'), '');
    expect((await run(['--root', root, '--crio-version', '1.31.0'])).code).toBe(2);
    // --config pointing elsewhere is what is looked for
    fs.rmSync(path.join(root, 'usr'), { recursive: true });
    await expect(run(['--root', root, '--config', '/opt/crio.conf'])).rejects.toThrow('not installed here: no /opt/crio.conf, no /etc/crio/crio.conf.d, no /etc/crio,');
  });

  it('usage errors throw one-line errors (the CLI prints them and exits 3)', async () => {
    await expect(main(['--bogus'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    await expect(main(['--output', 'yaml'])).rejects.toThrow('--output must be text or json, not "yaml"');
    await expect(main(['--root', '/nonexistent/x'])).rejects.toThrow('--root /nonexistent/x: not a directory');
    await expect(main(['--crio-version', 'banana'])).rejects.toThrow('is not a version');
    expect((await run(['--help'])).out).toContain('usage: crio-sentinel check');
  });
});

const CLI = path.join(REPO, 'dist/src/cli.js');
describe.skipIf(!fs.existsSync(CLI))('check through the built CLI', () => {
  it('bad input (FIFO, garbage, 5 MiB) gives findings and no stack trace; unknown flags exit 3 with one line', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-check-'));
    tmp.push(root);
    const d = path.join(root, 'etc/crio/crio.conf.d');
    fs.mkdirSync(d, { recursive: true });
    expect(spawnSync('mkfifo', [path.join(d, '05-pipe.conf')]).status).toBe(0);
    fs.writeFileSync(path.join(d, '10-garbage'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 27]));
    fs.writeFileSync(path.join(d, '20-huge.conf'), Buffer.alloc(5 * 1024 * 1024, 0x61));
    const r = spawnSync(process.execPath, [CLI, 'check', '--root', root, '--crio-version', '1.31.0'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('a FIFO (named pipe)');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    const bad = spawnSync(process.execPath, [CLI, 'check', '--nope'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(3);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a host without CRI-O exits 3 with one UNKNOWN line on stderr and nothing on stdout', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-none-'));
    tmp.push(root);
    for (const output of ['text', 'json']) {
      const r = spawnSync(process.execPath, [CLI, 'check', '--root', root, '--output', output], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^crio-sentinel check: UNKNOWN: CRI-O is not installed here: .*\n$/);
    }
  });
});
