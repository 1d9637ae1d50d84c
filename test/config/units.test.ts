/**
 * Small pure pieces of the config engine: TOML line scanner, version parsing and rules, NVIDIA
 * detection, live-config summary, watch paths, host version detection.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configWatchPaths, detectHostCrioVersion, parseCrioVersion, readVersionHint, summarizeCrioToml, versionRules } from '../../src/config/index.js';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { isNvidiaHandler, readWrapperConfig, resolveWrapperBinary, runtimeFamily } from '../../src/config/nvidia.js';
import { keyPath, scanKeyLines } from '../../src/config/toml-lines.js';
import { cleanupTrees, makeTree } from './fixtures.js';

afterEach(() => cleanupTrees());

const at = (src: string, ...parts: string[]) => scanKeyLines(src).get(keyPath(parts)) ?? null;

describe('TOML line scanner (provenance)', () => {
  it('tracks table headers, indented headers and keys', () => {
    const src = '\n[crio]\n\n  [crio.runtime]\n    default_runtime = "nvidia" # c\n\n      [crio.runtime.runtimes.nvidia]\n        runtime_path = "/x"\n';
    expect(at(src, 'crio', 'runtime', 'default_runtime')).toBe(5);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'nvidia')).toBe(7);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'nvidia', 'runtime_path')).toBe(8);
  });

  it('handles dotted keys, quoted keys and inline tables', () => {
    const src = '[crio]\nruntime.default_runtime = "a"\n[crio.runtime.runtimes."nvidia-cdi"]\nruntime_path = "/y"\n[crio.runtime.runtimes]\nkata = { runtime_path = "/k", runtime_type = "vm" }\n';
    expect(at(src, 'crio', 'runtime', 'default_runtime')).toBe(2);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'nvidia-cdi')).toBe(3);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'kata')).toBe(6);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'kata', 'runtime_type')).toBe(6);
  });

  it('skips multi-line strings and arrays, and comments that look like keys', () => {
    const src = '[crio.runtime]\n# default_runtime = "no"\nx = """\n[crio.runtime.runtimes.fake]\n"""\nallowed = [\n  "a", # [not.a.table]\n  "b",\n]\ndefault_runtime = "crun"\n';
    expect(at(src, 'crio', 'runtime', 'default_runtime')).toBe(10);
    expect(at(src, 'crio', 'runtime', 'runtimes', 'fake')).toBeNull();
  });

  it('records the first definition when a table is named again by a subtable', () => {
    const src = '[crio.runtime.runtimes.crun.platform_runtime_paths]\n"linux/amd64" = "/a"\n[crio.runtime.runtimes.crun]\nruntime_path = "/b"\n';
    expect(at(src, 'crio', 'runtime', 'runtimes', 'crun')).toBe(1);
  });
});

describe('versions', () => {
  it('parses 1.24.6, v1.31.0, 1.25.0-rc.1 and crio --version text', () => {
    expect(parseCrioVersion('1.24.6')).toEqual({ major: 1, minor: 24, patch: 6 });
    expect(parseCrioVersion('v1.31.0')).toEqual({ major: 1, minor: 31, patch: 0 });
    expect(parseCrioVersion('1.25.0-rc.1')).toEqual({ major: 1, minor: 25, patch: 0 });
    expect(parseCrioVersion('crio version 1.33.2\nGitCommit: abc')).toEqual({ major: 1, minor: 33, patch: 2 });
    expect(parseCrioVersion('banana')).toBeNull();
  });

  it('rules switch at 1.25.0/1.25.1, 1.26, 1.31, 1.33; unknown means newest', () => {
    expect(versionRules(parseCrioVersion('1.25.0')).deletesRunc).toBe(true);
    expect(versionRules(parseCrioVersion('1.25.1')).deletesRunc).toBe(false);
    expect(versionRules(parseCrioVersion('1.19.9')).deletesRunc).toBe(false);
    expect(versionRules(parseCrioVersion('1.25.9')).reloadsRuntimes).toBe(false);
    expect(versionRules(parseCrioVersion('1.26.0')).reloadsRuntimes).toBe(true);
    expect(versionRules(parseCrioVersion('1.30.9'))).toMatchObject({ builtinDefault: 'runc', defaultRuntimeRoot: '/run/runc', wrapsErrors: false });
    expect(versionRules(parseCrioVersion('1.31.0'))).toMatchObject({ builtinDefault: 'crun', defaultRuntimeRoot: '/run/crun', wrapsErrors: true });
    expect(versionRules(parseCrioVersion('1.32.0')).inheritDefaultRuntime).toBe(false);
    expect(versionRules(null)).toMatchObject({ builtinDefault: 'crun', deletesRunc: false, inheritDefaultRuntime: true });
  });

  it('detectHostCrioVersion is null for another root; readVersionHint reads <root>/.crio-sentinel-version', async () => {
    expect(await detectHostCrioVersion('/some/where')).toBeNull();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-v-'));
    try {
      expect(readVersionHint(root)).toBeNull();
      fs.writeFileSync(path.join(root, '.crio-sentinel-version'), '1.28.3\n');
      expect(readVersionHint(root)).toBe('1.28.3');
      expect(readVersionHint('/')).toBeNull();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('NVIDIA wrapper', () => {
  it('detects handlers by name or wrapper binary name', () => {
    expect(isNvidiaHandler('nvidia-cdi', '')).toBe(true);
    expect(isNvidiaHandler('gpu', '/usr/local/nvidia/toolkit/nvidia-container-runtime.cdi')).toBe(true);
    expect(isNvidiaHandler('crun', '/usr/libexec/crio/crun')).toBe(false);
    expect([runtimeFamily('/usr/libexec/crio/crun'), runtimeFamily('/run/runc'), runtimeFamily('/bin/kata')]).toEqual(['crun', 'runc', null]);
  });

  it('resolves the first existing executable of runtimes; bare names on PATH; default list when absent', () => {
    const t = makeTree(
      { '/etc/nvidia-container-runtime/config.toml': '[nvidia-container-runtime]\nmode = "auto"\nruntimes = ["docker-runc", "/opt/missing/crun", "crun", "runc"]\n' },
      ['/usr/bin/runc', '/usr/local/bin/crun'],
    );
    const v = createHostFileView(t.root);
    const cfg = readWrapperConfig(v);
    expect(cfg).toMatchObject({ defaulted: false, line: 3, runtimes: ['docker-runc', '/opt/missing/crun', 'crun', 'runc'] });
    expect(resolveWrapperBinary(v, cfg)).toBe('/usr/local/bin/crun');
    const t2 = makeTree({}, ['/usr/sbin/runc', '/usr/bin/crun']);
    const cfg2 = readWrapperConfig(createHostFileView(t2.root));
    expect(cfg2).toMatchObject({ defaulted: true, runtimes: ['runc', 'crun'], file: null });
    expect(resolveWrapperBinary(createHostFileView(t2.root), cfg2)).toBe('/usr/sbin/runc');
  });
});

describe('live config summary', () => {
  it('summarizes GET /config TOML and rejects non-TOML with a one-line error', () => {
    const s = summarizeCrioToml('[crio.runtime]\ndefault_runtime = "nvidia"\n[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\nruntime_root = "/run/runc"\nruntime_type = "oci"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/libexec/crio/crun"\n');
    expect(s).toEqual({
      defaultRuntime: 'nvidia',
      runtimes: {
        nvidia: { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc', runtimeType: 'oci' },
        crun: { runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '', runtimeType: '' },
      },
    });
    expect(() => summarizeCrioToml('[crio\n')).toThrow(/^invalid CRI-O config TOML: line 1, column \d+: /);
  });
});

describe('watch paths', () => {
  it('follows flags and env, skips disabled inputs, always includes the NVIDIA and AppArmor paths', () => {
    expect(configWatchPaths({ crioVersion: null })).toEqual([
      '/etc/crio/crio.conf',
      '/etc/crio/crio.conf.d',
      '/etc/crio/conf.d',
      '/etc/nvidia-container-runtime/config.toml',
      '/etc/apparmor.d',
    ]);
    const p = configWatchPaths({ crioVersion: null, config: '', env: { CONTAINER_CONFIG_DIR: '/etc/crio/alt.d/' } });
    expect(p[0]).toBe('/etc/crio/alt.d');
    expect(p).toContain('/etc/crio/crio.conf.d');
  });
});
