/**
 * `crio-sentinel fix`: the plan, --apply (atomic, backup outside the drop-in dir, refusal on change).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyPatch, main, type FixOutput } from '../../src/commands/fix.js';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { planFixes } from '../../src/config/fix.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import { needBinary } from '../helpers/binaries.js';
import { runCommand } from '../helpers/run-command.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODES = path.join(REPO, 'examples/nodes');
const D = '/etc/crio/crio.conf.d';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function copyNode(name: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-fix-'));
  tmp.push(root);
  fs.cpSync(path.join(NODES, name), root, { recursive: true });
  return root;
}

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-fix-'));
  tmp.push(root);
  for (const b of ['/usr/libexec/crio/crun', '/usr/libexec/crio/runc', '/usr/bin/nvidia-container-runtime']) {
    fs.mkdirSync(path.dirname(path.join(root, b)), { recursive: true });
    fs.writeFileSync(path.join(root, b), '#!/bin/sh\n', { mode: 0o755 });
  }
  for (const [p, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), c);
  }
  return root;
}

const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(main, argv);

const P10 = fs.readFileSync(path.join(NODES, 'packaged-crun/etc/crio/crio.conf.d/10-crio.conf'), 'utf8');
const NV = '[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\nruntime_type = "oci"\n';

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('fix', () => {
  it('prints the diff, RuntimeClass and drain+restart advice, and changes nothing without --apply', async () => {
    const root = copyNode('nvidia-default');
    const before = listAll(root);
    const file = path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf');
    const content = fs.readFileSync(file, 'utf8');
    const { code, out } = await run(['--root', root]);
    // critical findings remain unfixed (nothing applied): check's status, 2
    expect(code).toBe(2);
    expect(out).toContain('--- a/etc/crio/crio.conf.d/99-nvidia.conf\n+++ b/etc/crio/crio.conf.d/99-nvidia.conf\n@@ -2,7 +2,6 @@');
    expect(out).toContain('-    default_runtime = "nvidia"');
    expect(out).toContain('afterwards CRI-O\'s default runtime is "crun" (from file /etc/crio/crio.conf.d/10-crio.conf line 5');
    expect(out).toContain('apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: nvidia\nhandler: nvidia');
    expect(out).toContain('systemctl restart crio');
    expect(out).toContain('kubectl drain');
    expect(out).toContain('not its runtime layer');
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    expect(listAll(root)).toEqual(before);
  });

  it('the printed diff applies with the real patch tool and gives the same result as --apply', async () => {
    const patchBin = needBinary('patch', 'patch');
    if (!patchBin) return;
    const a = copyNode('nvidia-default');
    const b = copyNode('nvidia-default');
    const { out } = await run(['--root', a]);
    const diff = out.split('\n').filter((l) => !l.startsWith('#')).join('\n').split('apiVersion:')[0] as string;
    const p = spawnSync(patchBin, ['-p1', '-s', '-d', a], { input: diff, encoding: 'utf8' });
    expect(p.status, p.stderr + p.stdout).toBe(0);
    expect((await run(['--root', b, '--apply'])).code).toBe(0);
    const rel = 'etc/crio/crio.conf.d/99-nvidia.conf';
    expect(fs.readFileSync(path.join(a, rel), 'utf8')).toBe(fs.readFileSync(path.join(b, rel), 'utf8'));
  });

  it('--apply writes atomically, keeps the mode, backs up outside the drop-in dir, and the finding is gone', async () => {
    const root = copyNode('nvidia-default');
    const file = path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf');
    fs.chmodSync(file, 0o640);
    const original = fs.readFileSync(file, 'utf8');
    const { code, out } = await run(['--root', root, '--apply']);
    expect(code).toBe(0);
    expect(out).toMatch(/applied: \/etc\/crio\/crio\.conf\.d\/99-nvidia\.conf \(backup: \/var\/lib\/crio-sentinel\/backups\/etc_crio_crio\.conf\.d_99-nvidia\.conf\.crio-sentinel\.bak\.\d{8}T\d{6}Z\)/);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('default_runtime');
    expect(fs.readFileSync(file, 'utf8')).toContain('[crio.runtime.runtimes.nvidia]');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    // nothing new in the drop-in dir: no temp file, no backup
    expect(fs.readdirSync(path.join(root, 'etc/crio/crio.conf.d')).sort()).toEqual(['10-crio.conf', '99-nvidia.conf']);
    const backups = fs.readdirSync(path.join(root, 'var/lib/crio-sentinel/backups')).sort();
    // 99-nvidia.conf, and the wrapper's config.toml (the AppArmor fix on 1.30)
    expect(backups.map((b) => b.replace(/\.\d{8}T\d{6}Z$/, ''))).toEqual([
      'etc_crio_crio.conf.d_99-nvidia.conf.crio-sentinel.bak',
      'etc_nvidia-container-runtime_config.toml.crio-sentinel.bak',
    ]);
    expect(fs.readFileSync(path.join(root, 'var/lib/crio-sentinel/backups', backups[0]!), 'utf8')).toBe(original);
    const report = resolveConfig({ crioVersion: '1.30.0' } as ConfigInputs, createHostFileView(root));
    expect(report.effective?.defaultRuntime.name).toBe('crun');
    expect(report.findings.map((f) => f.id)).not.toContain('nvidia-default-runtime');
    expect(report.findings.map((f) => f.id)).not.toContain('low-level-runtime-mismatch');
    // running fix again finds nothing to change
    expect((await run(['--root', root])).code).toBe(0);
  });

  it('on CRI-O < 1.31 also routes the wrapper to CRI-O\'s own crun, away from AppArmor-confined /usr/sbin/runc', async () => {
    const root = copyNode('nvidia-default');
    const plan = planFixes({ crioVersion: '1.30.0' }, createHostFileView(root));
    const aa = plan.fixes.find((f) => f.findingId === 'apparmor-confined-runc')!;
    expect(aa.patches[0]!.diff).toContain('-runtimes = ["runc", "crun"]\n+runtimes = ["/usr/libexec/crio/crun", "runc", "crun"]');
    expect(plan.after?.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(plan.after?.lowLevelRuntime).toEqual({ wrapper: '/usr/bin/nvidia-container-runtime', binary: '/usr/libexec/crio/crun' });
    expect(plan.manual).toEqual([]);
    expect((await run(['--root', root, '--apply'])).code).toBe(0);
    const report = resolveConfig({ crioVersion: '1.30.0' } as ConfigInputs, createHostFileView(root));
    expect(report.findings.map((f) => f.id)).toEqual(['nvidia-handler-without-runtime-root']);
    // on >= 1.31 the AppArmor finding is a warning and the wrapper config is left alone
    const newer = planFixes({ crioVersion: '1.31.0' }, createHostFileView(copyNode('nvidia-default')));
    expect(newer.fixes.map((f) => f.findingId)).toEqual(['nvidia-default-runtime']);
  });

  it('refuses to write when the file changed since it was read', () => {
    const root = copyNode('nvidia-default');
    const plan = planFixes({ crioVersion: '1.30.0' }, createHostFileView(root));
    const patch = plan.fixes[0]!.patches[0]!;
    const file = path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf');
    fs.appendFileSync(file, '# edited meanwhile\n');
    expect(() => applyPatch(root, patch, '/var/lib/crio-sentinel/backups', new Date())).toThrow('refusing to write /etc/crio/crio.conf.d/99-nvidia.conf: it changed since it was read');
    expect(fs.readFileSync(file, 'utf8')).toContain('default_runtime = "nvidia"');
    expect(fs.existsSync(path.join(root, 'var/lib/crio-sentinel/backups'))).toBe(false);
  });

  it('refuses a --backup-dir inside the drop-in dir (CRI-O would parse the backups)', async () => {
    const root = copyNode('nvidia-default');
    await expect(main(['--root', root, '--apply', '--backup-dir', '/etc/crio/crio.conf.d/backups'])).rejects.toThrow('inside the drop-in directory');
  });

  it('removes default_runtime = "nvidia" from every file that sets it, and says which default applies after', () => {
    const root = tree({ '/etc/crio/crio.conf': '[crio.runtime]\ndefault_runtime = "nvidia"\n' + NV, [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: '[crio.runtime]\ndefault_runtime = "nvidia"\n' });
    const plan = planFixes({ crioVersion: '1.31.0' }, createHostFileView(root));
    const fix = plan.fixes.find((f) => f.findingId === 'nvidia-default-runtime')!;
    expect(fix.patches.map((p) => p.path)).toEqual([`${D}/99-nvidia.conf`]);
    expect(plan.after?.effective?.defaultRuntime).toEqual({ name: 'crun', source: { file: `${D}/10-crio.conf`, line: 5 } });
    // without the packaged file, the main file's line goes too and the built-in default applies
    const root2 = tree({ '/etc/crio/crio.conf': '[crio.runtime]\ndefault_runtime = "nvidia"\n' + NV, [`${D}/99-nvidia.conf`]: '[crio.runtime]\ndefault_runtime = "nvidia"\n' });
    const plan2 = planFixes({ crioVersion: '1.31.0' }, createHostFileView(root2));
    expect(plan2.fixes[0]!.patches.map((p) => p.path).sort()).toEqual(['/etc/crio/crio.conf', `${D}/99-nvidia.conf`]);
    expect(plan2.after?.effective?.defaultRuntime).toEqual({ name: 'crun', source: { builtin: true } });
  });

  it('fixes default-runtime-undefined by removing the bad line', () => {
    const root = tree({ [`${D}/10-crio.conf`]: P10, [`${D}/50-gpu.conf`]: '[crio.runtime]\ndefault_runtime = "gpu" # typo\n' });
    const plan = planFixes({ crioVersion: '1.31.0' }, createHostFileView(root));
    const fix = plan.fixes.find((f) => f.findingId === 'default-runtime-undefined')!;
    expect(fix.patches[0]!.diff).toContain('-default_runtime = "gpu" # typo');
    expect(plan.after?.crioWouldStart).toBe(true);
    expect(plan.manual).toEqual([]);
  });

  it('an override from a flag cannot be patched: the plan says where it comes from', () => {
    const root = tree({ [`${D}/10-crio.conf`]: P10 + NV });
    const plan = planFixes({ crioVersion: '1.31.0', defaultRuntime: 'nvidia' }, createHostFileView(root));
    const fix = plan.fixes.find((f) => f.findingId === 'nvidia-default-runtime')!;
    expect(fix.patches).toEqual([]);
    expect(fix.explanation.join(' ')).toContain('flag --default-runtime');
  });

  it('a default set inside an inline table is left for a manual edit', () => {
    const root = tree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: 'crio = { runtime = { default_runtime = "nvidia", runtimes = { nvidia = { runtime_path = "/usr/bin/nvidia-container-runtime" } } } }\n' });
    const plan = planFixes({ crioVersion: '1.31.0' }, createHostFileView(root));
    const fix = plan.fixes.find((f) => f.findingId === 'nvidia-default-runtime')!;
    expect(fix.patches).toEqual([]);
    expect(fix.explanation.join(' ')).toContain('edit it by hand');
  });

  it('nvidia-dropin-ignored: an optional new file in the real drop-in dir, never written by --apply', async () => {
    const root = copyNode('nvidia-wrong-dir');
    const { code, out } = await run(['--root', root, '--apply']);
    // the warning remains: the optional file is not written
    expect(code).toBe(1);
    expect(out).toContain('--- /dev/null\n+++ b/etc/crio/crio.conf.d/99-nvidia.toml');
    expect(out).not.toContain('+    default_runtime');
    expect(fs.existsSync(path.join(root, 'etc/crio/crio.conf.d/99-nvidia.toml'))).toBe(false);
  });
});

describe('fix exit status and --output json', () => {
  it('--output json without --apply: the plan, check\'s reports before and after, nothing written, exit 2 while a critical remains', async () => {
    const root = copyNode('nvidia-default');
    const before = listAll(root);
    const { code, out } = await run(['--root', root, '--output', 'json']);
    expect(code).toBe(2);
    const doc = JSON.parse(out) as FixOutput;
    expect(Object.keys(doc).sort()).toEqual(['after', 'applied', 'apply', 'before', 'error', 'exitStatus', 'fixes', 'manual', 'remaining']);
    expect(doc.fixes.map((f) => [f.findingId, f.optional])).toEqual([
      ['nvidia-default-runtime', false],
      ['apparmor-confined-runc', false],
    ]);
    const p = doc.fixes[0]!.patches[0]!;
    expect(p).toEqual({ path: '/etc/crio/crio.conf.d/99-nvidia.conf', kind: 'modify', diff: expect.stringContaining('-    default_runtime = "nvidia"'), sha256Before: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(doc.fixes[0]!.manifests[0]?.name).toMatch(/runtimeclass/i);
    expect(doc.before.effective?.defaultRuntime.name).toBe('nvidia');
    expect(doc.after?.effective?.defaultRuntime.name).toBe('crun');
    expect(doc).toMatchObject({ apply: false, applied: [], error: null, exitStatus: 2, manual: [] });
    expect(doc.remaining).toEqual(doc.before.findings);
    expect(listAll(root)).toEqual(before);
  });

  it('--apply --output json: the files written with their backups, what remains read back from disk, exit 0', async () => {
    const root = copyNode('nvidia-default');
    const { code, out } = await run(['--root', root, '--apply', '--output', 'json']);
    const doc = JSON.parse(out) as FixOutput;
    expect(code).toBe(0);
    expect(doc.exitStatus).toBe(0);
    expect(doc.applied.map((a) => a.path)).toEqual(['/etc/crio/crio.conf.d/99-nvidia.conf', '/etc/nvidia-container-runtime/config.toml']);
    expect(doc.applied.every((a) => a.backup?.startsWith('/var/lib/crio-sentinel/backups/'))).toBe(true);
    expect(doc.remaining.map((f) => f.id)).toEqual(['nvidia-handler-without-runtime-root']);
    expect(doc.remaining).toEqual(resolveConfig({ crioVersion: '1.30.0' } as ConfigInputs, createHostFileView(root)).findings);
  });

  it('a critical finding with no automatic fix keeps the exit status at 2 after --apply', async () => {
    // config present, but the default runtime's binary is not installed: nothing to patch
    const root = tree({ [`${D}/10-crio.conf`]: P10 });
    fs.rmSync(path.join(root, 'usr/libexec/crio/crun'));
    const text = await run(['--root', root, '--crio-version', '1.31.0', '--apply']);
    expect(text.code).toBe(2);
    expect(text.out).toContain('not fixed automatically (critical) default-runtime-binary-missing');
    const { code, out } = await run(['--root', root, '--crio-version', '1.31.0', '--apply', '--output', 'json']);
    const doc = JSON.parse(out) as FixOutput;
    expect(code).toBe(2);
    expect(doc.manual.map((f) => f.id)).toEqual(['default-runtime-binary-missing']);
    expect(doc.remaining.filter((f) => f.severity === 'critical').map((f) => f.id)).toEqual(['default-runtime-binary-missing']);
  });

  it('a write failure is exit 3: one line in text mode, the document with the error and what was written in JSON', async () => {
    const root = copyNode('nvidia-default');
    // the backup directory cannot be created: a file is in the way
    fs.mkdirSync(path.join(root, 'var/lib/crio-sentinel'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var/lib/crio-sentinel/backups'), 'not a directory');
    await expect(run(['--root', root, '--apply'])).rejects.toThrow(/^cannot write \/etc\/crio\/crio\.conf\.d\/99-nvidia\.conf: E[A-Z]+$/);
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      errors.push(String(c));
      return true;
    });
    try {
      const { code, out } = await run(['--root', root, '--apply', '--output', 'json']);
      const doc = JSON.parse(out) as FixOutput;
      expect(code).toBe(3);
      expect(doc).toMatchObject({ apply: true, applied: [], exitStatus: 3, error: expect.stringMatching(/^cannot write /) });
      expect(errors.join('')).toMatch(/^crio-sentinel fix: cannot write /);
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(path.join(root, 'etc/crio/crio.conf.d/99-nvidia.conf'), 'utf8')).toContain('default_runtime = "nvidia"');
  });

  it('a host without CRI-O is UNKNOWN (exit 3), as for check', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-fix-'));
    tmp.push(root);
    await expect(run(['--root', root])).rejects.toThrow(/^UNKNOWN: CRI-O is not installed here/);
  });
});
