/**
 * Regression tests for the config engine's defects of issue #11 (items 2, 3, 9 and 16): each one
 * failed before its fix. Item 4 (linear evaluation) is in linear.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main as checkMain } from '../../src/commands/check.js';
import { main as fixMain } from '../../src/commands/fix.js';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { readVersionHint } from '../../src/config/host-version.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import { runCommand } from '../helpers/run-command.js';
import { NV, NVIDIA_CTK_DEFAULT, P10, check, cleanupTrees, dr, ids, makeTree, summary } from './fixtures.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const D = '/etc/crio/crio.conf.d';
const V = { crioVersion: '1.32.13' };

const tmp: string[] = [];
afterEach(() => {
  cleanupTrees();
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-hostile-'));
  tmp.push(d);
  return d;
}
function copyNode(name: string): string {
  const root = path.join(tmpdir(), 'r');
  fs.cpSync(path.join(REPO, 'examples/nodes', name), root, { recursive: true });
  return root;
}

describe('#11.2 <root>/.crio-sentinel-version is read through the bounded, non-blocking file view', () => {
  it('a FIFO is no hint, and check --root does not hang on it', async () => {
    const root = copyNode('nvidia-default');
    fs.rmSync(path.join(root, '.crio-sentinel-version'));
    expect(spawnSync('mkfifo', [path.join(root, '.crio-sentinel-version')]).status).toBe(0);
    expect(readVersionHint(root)).toBeNull();
    const { code, out } = await runCommand(checkMain, ['--root', root, '--output', 'json']);
    expect(JSON.parse(out).effective.defaultRuntime.name).toBe('nvidia');
    expect([1, 2]).toContain(code); // unknown version: newest rules
  }, 10_000);

  it('a symlink to /dev/zero is resolved inside the root (not followed to the host) and never read', () => {
    const root = copyNode('nvidia-default');
    fs.rmSync(path.join(root, '.crio-sentinel-version'));
    fs.symlinkSync('/dev/zero', path.join(root, '.crio-sentinel-version'));
    expect(readVersionHint(root)).toBeNull();
    // even a device inside the root is refused, and an oversized file is no hint
    fs.mkdirSync(path.join(root, 'dev'));
    if (spawnSync('mknod', [path.join(root, 'dev/zero'), 'c', '1', '5']).status === 0) expect(readVersionHint(root)).toBeNull();
    fs.rmSync(path.join(root, '.crio-sentinel-version'));
    fs.writeFileSync(path.join(root, '.crio-sentinel-version'), '1.28.3\n' + 'x'.repeat(100_000));
    expect(readVersionHint(root)).toBeNull();
    fs.writeFileSync(path.join(root, '.crio-sentinel-version'), '1.28.3\n');
    expect(readVersionHint(root)).toBe('1.28.3');
  });
});

describe('#11.3 the drop-in walk never stops silently', () => {
  it('10 000 comment-only drop-ins + the nvidia one: nvidia, as CRI-O (was crun: the walk stopped at 10 000)', () => {
    const files: Record<string, string> = { [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: NVIDIA_CTK_DEFAULT };
    for (let i = 0; i < 10_000; i++) files[`${D}/50-c${String(i).padStart(5, '0')}.conf`] = '# nothing\n';
    const r = check(makeTree(files), V);
    expect(summary(r).default).toBe('nvidia');
    expect(r.files.filter((f) => f.status === 'applied')).toHaveLength(10_002);
  }, 120_000);

  it('beyond the entry bound the configuration is "not evaluated": no default, no verdict, check exits 3', async () => {
    const files: Record<string, string> = { [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: NVIDIA_CTK_DEFAULT };
    for (let i = 0; i < 50; i++) files[`${D}/50-c${i}.conf`] = '# nothing\n';
    const t = makeTree(files);
    const r = resolveConfig(V as ConfigInputs, createHostFileView(t.root), { maxWalkEntries: 20 });
    expect(r.effective).toBeNull();
    expect(ids(r)).toEqual(['config-not-evaluated']);
    expect(r.startError).toMatch(/^not evaluated: more than 20 entries under \/etc\/crio\/crio\.conf\.d/);
    // check exits 3 (UNKNOWN) whenever a bound stops the evaluation: here a 5 MiB drop-in (CRI-O reads any size)
    const big = copyNode('nvidia-default');
    fs.writeFileSync(path.join(big, 'etc/crio/crio.conf.d/50-big.conf'), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const { code, out } = await runCommand(checkMain, ['--root', big]);
    expect(code).toBe(3);
    expect(out).toContain('not evaluated');
    expect(out).not.toMatch(/Default runtime: crun/);
  }, 60_000);

  it('a directory of more names than the bound is refused while reading it, without keeping them', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10 });
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(t.root, D, `x${i}.conf`), '');
    expect(() => createHostFileView(t.root).readdirRaw(D, 10)).toThrowError(expect.objectContaining({ code: 'E2BIG' }));
    expect(createHostFileView(t.root).readdirRaw(D, 31)).toHaveLength(31);
  });
});

describe('#11.9 divergences from CRI-O 1.32.13', () => {
  it('a drop-in starting with a UTF-8 BOM is accepted (BurntSushi skips it); a second BOM is an error', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: Buffer.concat([bom, Buffer.from(dr('nvidia') + NV)]) }), V);
    expect(r.crioWouldStart).toBe(true);
    expect(summary(r).default).toBe('nvidia');
    expect(r.effective?.defaultRuntime.source).toEqual({ file: `${D}/99-nvidia.conf`, line: 2 });
    const twice = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: Buffer.concat([bom, bom, Buffer.from(dr('runc'))]) }), V);
    expect(twice.crioWouldStart).toBe(false);
  });

  it('a UTF-16 byte-order mark is skipped too (the lab crio accepts FF FE before ASCII TOML)', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(dr('runc'))]) }), V);
    expect(r.crioWouldStart).toBe(true);
    expect(summary(r).default).toBe('runc');
  });

  it('a crio.conf.d that is a symlink loop: CRI-O fails (walk path: open …: too many levels of symbolic links)', () => {
    const t = makeTree({ '/etc/crio/crio.conf': dr('crun') + '[crio.runtime.runtimes.crun]\n', [D]: { symlink: D } });
    const r = check(t, { ...V, config: '/etc/crio/crio.conf' });
    expect(r.crioWouldStart).toBe(false);
    expect(r.startError).toContain('too many levels of symbolic links');
    expect(ids(r)).toContain('config-parse-error');
  });

  it('runtimes named constructor, hasOwnProperty, __proto__, toString are names like any other', () => {
    const names = ['constructor', 'hasOwnProperty', '__proto__', 'toString', 'valueOf'];
    const text = names.map((n) => `[crio.runtime.runtimes.${n}]\nruntime_path = "/usr/bin/runc"\n`).join('') + '[crio.runtime]\ndefault_runtime = "constructor"\n';
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: text, '/usr/bin/runc': { mode: 0o755, content: '#!/bin/sh\n' } }), V);
    expect(r.startError).toBeNull();
    expect(summary(r).default).toBe('constructor');
    expect(Object.keys(r.effective?.runtimes ?? {}).sort()).toEqual(['__proto__', 'constructor', 'crun', 'hasOwnProperty', 'runc', 'toString', 'valueOf'].sort());
    expect(JSON.parse(JSON.stringify(r)).effective.runtimes.__proto__.runtimePath).toBe('/usr/bin/runc');
    expect(ids(r)).not.toContain('config-parse-error');
  });

  it('campaign finds: a non-table where CRI-O expects a map is skipped; an empty workload fails validation', () => {
    for (const text of ['[[crio.runtime.runtimes]]\nx = 1\n', '[crio.runtime]\nruntimes = []\n', '[crio.runtime]\nworkloads = "x"\n']) {
      const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: text }), V);
      expect(r.startError, text).toBeNull();
      expect(summary(r).default).toBe('crun');
    }
    const w = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: '[crio.runtime.workloads.gpu]\n' }), V);
    expect(w.startError).toBe(`validating runtime config: workloads validation: annotation shouldn't be empty for workload "gpu"`);
    const ok = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: '[crio.runtime.workloads.gpu]\nactivation_annotation = "io.x/gpu"\n' }), V);
    expect(ok.startError).toBeNull();
    // an integer beyond int64 is a decode error in BurntSushi (9223372036854775807 is fine)
    const big = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: 'big = 9223372036854775807\nbigger = 9223372036854775808\n' }), V);
    expect(big.startError).toContain('9223372036854775808 is out of range for int64');
    expect(check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: 'big = 9223372036854775807\nsmall = -9223372036854775808\n' }), V).startError).toBeNull();
  });

  it('prototype names as keys of CRI-O tables are unknown keys, not type mismatches', () => {
    const text = '[crio]\nconstructor = 1\n__proto__ = "x"\n[crio.runtime]\nhasOwnProperty = true\ntoString = [1]\n[crio.runtime.workloads.__proto__]\nactivation_annotation = "a"\n[crio.runtime.runtimes.crun]\nconstructor = 5\nruntime_root = "/run/crun"\n';
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: text }), V);
    expect(r.startError).toBeNull();
    expect(summary(r).default).toBe('crun');
  });
});

describe('#11.16 fix --apply never writes outside --root', () => {
  it('an absolute symlink out of the root is resolved inside it (backups stay under --root)', async () => {
    const t = tmpdir();
    const root = path.join(t, 'r');
    fs.cpSync(path.join(REPO, 'examples/nodes/nvidia-default'), root, { recursive: true });
    const escape = path.join(t, 'escape');
    fs.mkdirSync(escape);
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.symlinkSync(escape, path.join(root, 'var/lib/crio-sentinel'));
    const { code, out } = await runCommand(fixMain, ['--root', root, '--apply']);
    expect(code).toBe(0);
    expect(out).toContain('applied: /etc/crio/crio.conf.d/99-nvidia.conf');
    expect(fs.readdirSync(escape)).toEqual([]); // before: the backups were written here
    // the host would see /var/lib/crio-sentinel -> <escape>: under the root that is <root><escape>
    expect(fs.readdirSync(path.join(root, escape, 'backups')).length).toBeGreaterThan(0);
  });

  it('a relative symlink climbing out of the root is clamped at the root, and a file symlink is refused', async () => {
    const t = tmpdir();
    const root = path.join(t, 'r');
    fs.cpSync(path.join(REPO, 'examples/nodes/nvidia-default'), root, { recursive: true });
    fs.mkdirSync(path.join(t, 'outside'));
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.symlinkSync('../../../../outside', path.join(root, 'var/lib/crio-sentinel'));
    const r1 = await runCommand(fixMain, ['--root', root, '--apply']);
    expect(r1.code).toBe(0);
    expect(fs.readdirSync(path.join(t, 'outside'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'outside/backups')).length).toBeGreaterThan(0);
  });
});

describe('a configuration CRI-O rejects for a reason no specific finding names', () => {
  it('an empty workload table: CRI-O will not start, and check says so (crio-config-rejected, exit 2)', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50-w.conf`]: '[crio.runtime.workloads.gpu]\n' }), V);
    expect(r.crioWouldStart).toBe(false);
    expect(r.startError).toBeTruthy();
    const f = r.findings.find((x) => x.id === 'crio-config-rejected');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toContain(r.startError!);
  });
});
