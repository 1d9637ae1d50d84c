/**
 * Conformance suite: crio-config.md §15, one test per case, named after the case number and rule.
 * Every fixture is a host tree built in a temp dir and read through the real host file view.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NV, NVIDIA_CTK_DEFAULT, NVIDIA_CTK_NOT_DEFAULT, P10, STANDARD_BINARIES, check, cleanupTrees, detailed, dr, ids, makeTree, summary } from './fixtures.js';

const D = '/etc/crio/crio.conf.d';
const M = '/etc/crio/crio.conf';

afterEach(() => cleanupTrees());

describe('crio-config.md §15 conformance', () => {
  it('#1 built-in default from 1.31 is crun with root /run/crun (no files)', () => {
    const r = check(makeTree({}), { crioVersion: '1.36.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun'], error: null });
    expect(r.effective?.runtimes.crun?.runtimeRoot).toBe('/run/crun');
    expect(r.effective?.defaultRuntime.source).toEqual({ builtin: true });
    expect(r.effective?.runtimes.crun?.runtimePath).toBe('/usr/bin/crun'); // PATH lookup of the handler name
  });

  it('#2 built-in default up to 1.30 is runc with root /run/runc (no files)', () => {
    const r = check(makeTree({}), { crioVersion: '1.30.0' });
    expect(summary(r)).toEqual({ default: 'runc', runtimes: ['runc'], error: null });
    expect(r.effective?.runtimes.runc?.runtimeRoot).toBe('/run/runc');
  });

  it('#3 packaged 10-crio.conf: crun default, crun and runc tables with their roots', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'runc'], error: null });
    expect(r.effective?.runtimes.crun?.runtimeRoot).toBe('/run/crun');
    expect(r.effective?.runtimes.runc?.runtimeRoot).toBe('/run/runc');
    expect(r.effective?.defaultRuntime.source).toEqual({ file: `${D}/10-crio.conf`, line: 5 });
    expect(r.effective?.runtimes.runc?.source).toEqual({ file: `${D}/10-crio.conf`, line: 15 });
    expect(r.files).toEqual([
      { path: M, status: 'missing' },
      { path: `${D}/10-crio.conf`, status: 'applied' },
    ]);
  });

  it('#4 nvidia drop-in on 1.36: nvidia default, empty runtime_root means /run/crun', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.36.0' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    expect(r.effective?.runtimes.nvidia?.runtimeRoot).toBe('/run/crun');
    expect(r.effective?.runtimes.nvidia?.isNvidia).toBe(true);
    expect(r.effective?.defaultRuntime.source).toEqual({ file: `${D}/99-nvidia.conf`, line: 2 });
    expect(ids(r)).toContain('nvidia-default-runtime');
    expect(ids(r)).toContain('nvidia-handler-without-runtime-root');
  });

  it('#5 nvidia drop-in on 1.30: nvidia effective root is /run/runc (DefaultRuntimeRoot by version)', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.30.0' });
    expect(summary(r).default).toBe('nvidia');
    expect(r.effective?.runtimes.nvidia?.runtimeRoot).toBe('/run/runc');
  });

  it('#6 default_runtime without its table is a config error', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: dr('nvidia') }), { crioVersion: '1.36.0' });
    expect(r.startError).toBe('validating runtime config: default_runtime set to "nvidia", but no runtime entry table [crio.runtime.runtimes.nvidia] was found');
    expect(r.crioWouldStart).toBe(false);
    const f = r.findings.find((x) => x.id === 'default-runtime-undefined');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.join('\n')).toContain(`${D}/99-nvidia.conf line 2`);
  });

  it('#7 1.24 deletes the built-in runc handler when a file sets another default', () => {
    const r = check(makeTree({ [`${D}/99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.24.6' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['nvidia'], error: null });
    expect(ids(r)).toContain('runc-handler-deleted');
  });

  it('#8 1.26 keeps runc (the deletion was reverted)', () => {
    const r = check(makeTree({ [`${D}/99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.26.0' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['nvidia', 'runc'], error: null });
    expect(ids(r)).not.toContain('runc-handler-deleted');
  });

  it('#9 1.24: a drop-in setting crun deletes the runc table of the main file', () => {
    const runc = '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n';
    const crun = '[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n';
    const r = check(makeTree({ [M]: dr('runc') + runc, [`${D}/99.conf`]: dr('crun') + crun }), { crioVersion: '1.24.6' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun'], error: null });
  });

  it('#10 1.24: a runc table in a later file without default_runtime survives', () => {
    const runc = '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n';
    const crun = '[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n';
    const r = check(makeTree({ [`${D}/50.conf`]: dr('crun') + crun, [`${D}/60.conf`]: runc }), { crioVersion: '1.24.6' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'runc'], error: null });
    expect(ids(r)).not.toContain('runc-handler-deleted');
  });

  it('#11 1.24: the deletion runs after decode, so a runc table in the same file is deleted too', () => {
    const runc = '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n';
    const r = check(makeTree({ [`${D}/99.conf`]: dr('nvidia') + NV + runc }), { crioVersion: '1.24.6' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['nvidia'], error: null });
  });

  it('#12 1.24: default_runtime = "runc" deletes nothing', () => {
    const r = check(makeTree({ [`${D}/99.conf`]: dr('runc') + NV }), { crioVersion: '1.24.6' });
    expect(summary(r)).toEqual({ default: 'runc', runtimes: ['nvidia', 'runc'], error: null });
  });

  it('#13 1.25.0: the main file takes the same per-file deletion path', () => {
    const r = check(makeTree({ [M]: dr('nvidia') + NV }), { crioVersion: '1.25.0' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['nvidia'], error: null });
    const f = r.findings.find((x) => x.id === 'runc-handler-deleted');
    expect(f?.evidence[0]).toContain(`${M} line 2`);
    // 1.25.1 no longer deletes
    expect(summary(check(makeTree({ [M]: dr('nvidia') + NV }), { crioVersion: '1.25.1' })).runtimes).toEqual(['nvidia', 'runc']);
  });

  it('#14 a later table for the same handler replaces the entry whole (root falls back to the default)', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/20.conf`]: '[crio.runtime.runtimes.crun]\nruntime_path="/usr/bin/crun"\n' });
    const d = detailed(t, { crioVersion: '1.36.0' });
    expect(d.handlers.get('crun')?.fields).toEqual({ runtime_path: '/usr/bin/crun' });
    const r = check(t, { crioVersion: '1.36.0' });
    expect(r.effective?.runtimes.crun?.runtimeRoot).toBe('/run/crun');
    expect(r.effective?.runtimes.crun?.monitorPath).toBe('/usr/bin/conmon'); // from PATH
    expect(r.effective?.runtimes.crun?.source).toEqual({ file: `${D}/20.conf`, line: 1 });
  });

  it('#15 a handler without runtime_path is looked up on PATH by name; missing on the default is fatal', () => {
    const t = makeTree({
      [`${D}/50.conf`]: dr('nvidia') + '[crio.runtime.runtimes.nvidia]\nruntime_type = "oci"\nruntime_root = "/run/runc"\n',
      [`${D}/60.conf`]: '[crio.runtime.runtimes.nvidia]\nmonitor_path = "/usr/libexec/crio/conmon"\n',
    });
    const r = check(t, { crioVersion: '1.36.0' });
    expect(r.startError).toMatch(/^runtime validation: "nvidia" not found in \$PATH: /);
    expect(ids(r)).toContain('default-runtime-binary-missing');
    expect(detailed(t, { crioVersion: '1.36.0' }).handlers.get('nvidia')?.fields).toEqual({ monitor_path: '/usr/libexec/crio/conmon' });
  });

  it('#16 a drop-in beats the main file', () => {
    const r = check(makeTree({ [M]: dr('runc'), [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('crun');
    expect(r.files.map((f) => f.path)).toEqual([M, `${D}/10-crio.conf`]);
  });

  it('#17 drop-ins sort byte-wise: 10-a before 9-b', () => {
    const r = check(makeTree({ [`${D}/10-a`]: dr('runc'), [`${D}/9-b`]: dr('nvidia') + NV }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('nvidia');
    expect(r.files.map((f) => f.path).slice(1)).toEqual([`${D}/10-a`, `${D}/9-b`]);
  });

  it('#18 uppercase sorts before lowercase: Z.conf before a.conf', () => {
    const r = check(makeTree({ [`${D}/Z.conf`]: dr('runc'), [`${D}/a.conf`]: dr('crun') + '[crio.runtime.runtimes.crun]\n' }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('crun');
  });

  it('#19 a subdirectory is walked at its sort position: sub/ after 60-y.conf', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/60-y.conf`]: dr('crun'), [`${D}/sub/50-x.conf`]: dr('runc') }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('runc');
    expect(r.files.map((f) => f.path)).toEqual([M, `${D}/10-crio.conf`, `${D}/60-y.conf`, `${D}/sub/50-x.conf`]);
    expect(ids(r)).toContain('stray-dropin-file');
  });

  it('#20 "-" sorts before ".": 05-x.conf before 05.d/', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/05-x.conf`]: dr('crun'), [`${D}/05.d/a.conf`]: dr('runc') }), { crioVersion: '1.36.0' });
    expect(r.files.map((f) => f.path).slice(1)).toEqual([`${D}/05-x.conf`, `${D}/05.d/a.conf`, `${D}/10-crio.conf`]);
    // 10-crio.conf comes last and sets crun
    expect(summary(r).default).toBe('crun');
    const r2 = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/20-x.conf`]: dr('crun'), [`${D}/20.d/a.conf`]: dr('runc') }), { crioVersion: '1.36.0' });
    expect(summary(r2).default).toBe('runc');
  });

  it('#21 no extension filter: a .bak file is applied (and flagged as stray)', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf.bak`]: dr('nvidia') + NV }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('nvidia');
    const f = r.findings.find((x) => x.id === 'stray-dropin-file');
    expect(f?.summary).toContain('99-nvidia.conf.bak');
  });

  it('#22 hidden files are read (and "." 0x2E sorts before "1", so .99-nvidia.conf comes before 10-crio.conf)', () => {
    // §15 #22 expects nvidia here; byte-wise order puts the hidden file first, so 10-crio.conf wins.
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/.99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.36.0' });
    expect(r.files.map((f) => [f.path, f.status])).toEqual([
      [M, 'missing'],
      [`${D}/.99-nvidia.conf`, 'applied'],
      [`${D}/10-crio.conf`, 'applied'],
    ]);
    expect(summary(r).default).toBe('crun');
    expect(summary(r).runtimes).toContain('nvidia');
    const alone = check(makeTree({ [`${D}/.99-nvidia.conf`]: dr('nvidia') + NV }), { crioVersion: '1.36.0' });
    expect(summary(alone).default).toBe('nvidia');
    expect(r.findings.find((x) => x.id === 'stray-dropin-file')?.evidence[0]).toContain('hidden file');
  });

  it('#23 a README with prose in the drop-in dir is a fatal decode error', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/README`]: 'This directory holds CRI-O drop-ins.\n' }), { crioVersion: '1.36.0' });
    expect(r.startError).toMatch(/^get and merge config from context: update config from path: walk path: unable to decode configuration \/etc\/crio\/crio\.conf\.d\/README: toml: line 1/);
    expect(r.effective).toBeNull();
    expect(ids(r)).toEqual(expect.arrayContaining(['config-parse-error', 'stray-dropin-file']));
  });

  it('#24 a binary editor swap file is a fatal decode error', () => {
    const swp = Buffer.concat([Buffer.from('b0VIM 8.2'), Buffer.from([0, 0, 0x10, 0xff, 0xfe, 0x00, 0x80]), Buffer.alloc(64, 0)]);
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/.99-nvidia.conf.swp`]: swp }), { crioVersion: '1.36.0' });
    expect(r.startError).toContain('unable to decode configuration /etc/crio/crio.conf.d/.99-nvidia.conf.swp: ');
    expect(r.startError).not.toMatch(/[\u0000-\u001f]/);
  });

  it('#25 the first failing file aborts: later files are not applied', () => {
    const r = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime\n', [`${D}/60.conf`]: dr('runc') }), { crioVersion: '1.36.0' });
    expect(r.startError).toContain('/etc/crio/crio.conf.d/50.conf');
    expect(r.files.find((f) => f.path === `${D}/60.conf`)?.status).toBe('ignored');
    expect(r.files.find((f) => f.path === `${D}/50.conf`)?.status).toBe('error');
  });

  it('#26 a symlink to a file is read', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, '/srv/extra.conf': dr('runc'), [`${D}/link.conf`]: { symlink: '/srv/extra.conf' } }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('runc');
    expect(r.findings.find((x) => x.id === 'stray-dropin-file')?.evidence[0]).toContain('symbolic link to /srv/extra.conf');
  });

  it('#27 a symlink to a directory is read as a file and fails', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, '/srv/dir/a.conf': dr('runc'), [`${D}/linkdir`]: { symlink: '/srv/dir' } }), { crioVersion: '1.36.0' });
    expect(r.startError).toBe('get and merge config from context: update config from path: walk path: read /etc/crio/crio.conf.d/linkdir: is a directory');
  });

  it('#28 an unknown key (typo) is ignored', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: '[crio.runtime]\ndefault_runtme="nvidia"\n' }), { crioVersion: '1.36.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'runc'], error: null });
  });

  it('#28b struct keys match case-insensitively like BurntSushi/toml (EqualFold); handler names do not', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: '[CRIO.Runtime]\nDefault_Runtime = "nvidia"\n[crio.runtime.runtimes.nvidia]\nRuntime_Path = "/usr/bin/nvidia-container-runtime"\n' }), { crioVersion: '1.36.0' });
    expect(r.effective?.defaultRuntime).toEqual({ name: 'nvidia', source: { file: `${D}/99.conf`, line: 2 } });
    expect(r.effective?.runtimes.nvidia?.runtimePath).toBe('/usr/bin/nvidia-container-runtime');
    const r2 = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('NVIDIA') + NV }), { crioVersion: '1.36.0' });
    expect(r2.startError).toContain('default_runtime set to "NVIDIA", but no runtime entry table [crio.runtime.runtimes.NVIDIA] was found');
  });

  it('#29 a wrong type is a fatal decode error naming key and line', () => {
    const r = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\nlog_level = true\n' }), { crioVersion: '1.36.0' });
    expect(r.startError).toBe(
      'get and merge config from context: update config from path: walk path: unable to decode configuration /etc/crio/crio.conf.d/50.conf: toml: line 2 (last key "crio.runtime.log_level"): incompatible types: TOML value has type bool; destination has type string',
    );
  });

  it('#30 an empty default_runtime means the built-in default', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('') }), { crioVersion: '1.36.0' });
    expect(summary(r).default).toBe('crun');
    expect(r.effective?.defaultRuntime.source).toEqual({ builtin: true });
  });

  it('#31 an empty default_runtime on 1.30 inserts the runc default handler', () => {
    const r = check(makeTree({ [M]: dr('') }), { crioVersion: '1.30.0' });
    expect(summary(r)).toEqual({ default: 'runc', runtimes: ['runc'], error: null });
  });

  it('#32 a missing main file that was not set explicitly is skipped', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0' });
    expect(r.files[0]).toEqual({ path: M, status: 'missing' });
    expect(r.crioWouldStart).toBe(true);
  });

  it('#33 a missing main file set by CONTAINER_CONFIG (env counts as set) is fatal', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0', env: { CONTAINER_CONFIG: '/etc/crio/custom.conf' } });
    expect(r.startError).toBe('get and merge config from context: update config from file: update config from drop-in file: open /etc/crio/custom.conf: no such file or directory');
    expect(r.startError).toContain('/etc/crio/custom.conf');
    expect(r.effective).toBeNull();
  });

  it('#34 --config "" skips the main file', () => {
    const r = check(makeTree({ [M]: dr('nvidia') + NV, [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0', config: '' });
    expect(summary(r).default).toBe('crun');
    expect(r.files.find((f) => f.path === M)?.status).toBe('ignored');
  });

  it('#35 -d "" skips drop-ins; a default without its table is then an error', () => {
    const r = check(makeTree({ [M]: dr('runc'), [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0', configDir: '' });
    expect(r.startError).toContain('default_runtime set to "runc", but no runtime entry table [crio.runtime.runtimes.runc] was found');
    expect(r.files.find((f) => f.path === `${D}/10-crio.conf`)?.status).toBe('ignored');
  });

  it('#36 CONTAINER_CONFIG_DIR replaces the drop-in dir; the default dir is ignored', () => {
    const r = check(
      makeTree({ '/etc/crio/alt.d/10.conf': dr('runc') + '[crio.runtime.runtimes.runc]\nruntime_path="/usr/bin/runc"\n', [`${D}/99.conf`]: dr('nvidia') + NV }),
      { crioVersion: '1.36.0', env: { CONTAINER_CONFIG_DIR: '/etc/crio/alt.d' } },
    );
    expect(summary(r).default).toBe('runc');
    expect(r.files.find((f) => f.path === `${D}/99.conf`)?.status).toBe('ignored');
    expect(ids(r)).toContain('nvidia-dropin-ignored');
  });

  it('#37 --default-runtime beats every file (provenance: the flag)', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('nvidia') + NV }), { crioVersion: '1.36.0', defaultRuntime: 'runc' });
    expect(summary(r).default).toBe('runc');
    expect(r.effective?.defaultRuntime.source).toEqual({ flag: '--default-runtime' });
    expect(ids(r)).toContain('cli-override-lost-on-reload');
  });

  it('#38 CONTAINER_DEFAULT_RUNTIME overrides files, and a SIGHUP would restore the files value', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('nvidia') + NV });
    const r = check(t, { crioVersion: '1.36.0', env: { CONTAINER_DEFAULT_RUNTIME: 'crun' } });
    expect(summary(r).default).toBe('crun');
    expect(r.effective?.defaultRuntime.source).toEqual({ flag: 'CONTAINER_DEFAULT_RUNTIME' });
    expect(detailed(t, { crioVersion: '1.36.0', env: { CONTAINER_DEFAULT_RUNTIME: 'crun' } }).filesDefault.name).toBe('nvidia');
    expect(r.findings.find((f) => f.id === 'cli-override-lost-on-reload')?.remediation).toContain('"nvidia"');
    // CRI-O < 1.26 reloads no runtime settings, so the override is not lost on SIGHUP there
    expect(ids(check(t, { crioVersion: '1.25.1', env: { CONTAINER_DEFAULT_RUNTIME: 'crun' } }))).not.toContain('cli-override-lost-on-reload');
  });

  it('#39 --runtimes upserts whole handler entries', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.36.0', runtimes: ['nvidia:/usr/bin/nvidia-container-runtime:/run/runc:oci:false::'] });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    expect(r.effective?.runtimes.nvidia).toMatchObject({ runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc', runtimeType: 'oci', source: { flag: '--runtimes' } });
    const bad = check(makeTree({}), { crioVersion: '1.36.0', env: { CONTAINER_RUNTIMES: 'justaname' } });
    expect(bad.startError).toBe('invalid format for --runtimes: "justaname"');
    // before 1.30: 6 fields at most and the older wording
    const old = check(makeTree({}), { crioVersion: '1.29.0', runtimes: ['x:/usr/bin/crun:/run/crun:oci:false::12MiB'] });
    expect(old.startError).toBe('wrong format for --runtimes: "x:/usr/bin/crun:/run/crun:oci:false::12MiB"');
    // one value with commas is split, like CRI-O's StringSliceTrySplit
    const two = check(makeTree({}), { crioVersion: '1.36.0', runtimes: ['a:/usr/bin/crun:/run/crun, b:/usr/bin/runc:/run/runc'] });
    expect(Object.keys(two.effective?.runtimes ?? {})).toEqual(['a', 'b', 'crun']);
  });

  it('#40 a missing default runtime binary stops CRI-O at start', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('nvidia') + NV }, STANDARD_BINARIES.filter((b) => !b.includes('nvidia')));
    const r = check(t, { crioVersion: '1.36.0' });
    expect(r.startError).toBe("runtime validation: invalid runtime_path for runtime 'nvidia': stat /usr/bin/nvidia-container-runtime: no such file or directory");
    expect(r.crioWouldStart).toBe(false);
    expect(r.findings.find((f) => f.id === 'default-runtime-binary-missing')?.severity).toBe('critical');
  });

  it('#41 a missing binary of another handler drops that handler with a warning', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: NV }, STANDARD_BINARIES.filter((b) => !b.includes('nvidia')));
    const r = check(t, { crioVersion: '1.36.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'runc'], error: null });
    const f = r.findings.find((x) => x.id === 'runtime-binary-missing');
    expect(f?.evidence.join('\n')).toContain('Runtime handler "nvidia" is being ignored due to: invalid runtime_path');
    expect(f?.remediation).toContain('failed to find runtime handler nvidia');
    expect(f?.subject?.handler).toBe('nvidia');
  });

  it('#42 config-level resolution (crio config) does not check binaries: the model still names nvidia', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('nvidia') + NV }, STANDARD_BINARIES.filter((b) => !b.includes('nvidia')));
    const d = detailed(t, { crioVersion: '1.36.0' });
    expect(d.configError).toBeNull();
    expect(d.defaultRuntime?.name).toBe('nvidia');
  });

  it('#43 an invalid runtime_type drops a handler, or is fatal on the default', () => {
    const x = '[crio.runtime.runtimes.x]\nruntime_path="/bin/true"\nruntime_type="kata"\n';
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: x, '/bin/true': { mode: 0o755, content: '' } });
    const r = check(t, { crioVersion: '1.36.0' });
    expect(summary(r).runtimes).toEqual(['crun', 'runc']);
    expect(r.findings.find((f) => f.id === 'runtime-binary-missing')?.evidence.join(' ')).toContain('invalid `runtime_type` "kata" for runtime "x"');
    const r2 = check(t, { crioVersion: '1.36.0', defaultRuntime: 'x' });
    expect(r2.startError).toBe('runtime validation: invalid `runtime_type` "kata" for runtime "x"');
  });

  it('#44 runtime_config_path is only valid with runtime_type vm (and vm needs a containerd-shim-* binary)', () => {
    const x = '[crio.runtime.runtimes.x]\nruntime_path="/usr/bin/crun"\nruntime_type="oci"\nruntime_config_path="/etc/x.toml"\n';
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: x }), { crioVersion: '1.36.0', defaultRuntime: 'x' });
    expect(r.startError).toBe("runtime validation: runtime_config_path can only be used with the 'vm' runtime type");
    // vm: the binary must be named containerd-shim-*, and runtime_config_path must exist
    const vm = (p: string, cfg: string) => `[crio.runtime.runtimes.kata]\nruntime_path="${p}"\nruntime_type="vm"\nruntime_config_path="${cfg}"\n`;
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: vm('/usr/bin/kata', '/etc/kata.toml'), '/usr/bin/kata': 'x', '/usr/bin/containerd-shim-kata-v2': 'x' });
    expect(check(t, { crioVersion: '1.36.0', defaultRuntime: 'kata' }).startError).toBe("runtime validation: invalid runtime_path for runtime 'kata': containerd binary naming pattern is not followed");
    t.add(`${D}/60.conf`, vm('/usr/bin/containerd-shim-kata-v2', '/etc/kata.toml'));
    expect(check(t, { crioVersion: '1.36.0', defaultRuntime: 'kata' }).startError).toBe("runtime validation: invalid runtime_config_path for runtime 'kata': stat /etc/kata.toml: no such file or directory");
    t.add('/etc/kata.toml', '');
    expect(check(t, { crioVersion: '1.36.0', defaultRuntime: 'kata' }).crioWouldStart).toBe(true);
  });

  it('#45 inherit_default_runtime (1.33+) copies path, type and root from the default', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: '[crio.runtime.runtimes.nvidia]\ninherit_default_runtime=true\n' }), { crioVersion: '1.36.0' });
    expect(r.effective?.runtimes.nvidia).toMatchObject({ runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '/run/crun' });
    // inheriting from the built-in default (empty runtime_path) looks up the default's name on PATH
    const b = check(makeTree({ [`${D}/99.conf`]: '[crio.runtime.runtimes.nvidia]\ninherit_default_runtime=true\n' }), { crioVersion: '1.36.0' });
    expect(b.effective?.runtimes.nvidia).toMatchObject({ runtimePath: '/usr/bin/crun', runtimeRoot: '/run/crun' });
  });

  it('#46 inherit_default_runtime is ignored before 1.33: PATH lookup of "nvidia" fails and the handler is dropped', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: '[crio.runtime.runtimes.nvidia]\ninherit_default_runtime=true\n' }), { crioVersion: '1.32.0' });
    expect(summary(r).runtimes).toEqual(['crun', 'runc']);
    expect(r.findings.find((f) => f.id === 'runtime-binary-missing')?.evidence.join(' ')).toContain('"nvidia" not found in $PATH');
  });

  it('#47 storage_option is concatenated and de-duplicated keeping the last occurrence', () => {
    const d = detailed(makeTree({ [M]: '[crio]\nstorage_option=["a","b"]\n', [`${D}/50.conf`]: '[crio]\nstorage_option=["b","c"]\n' }), { crioVersion: '1.36.0' });
    expect((d.settings.crio as Record<string, unknown>).storage_option).toEqual(['a', 'b', 'c']);
  });

  it('#48 arrays replace the earlier value whole', () => {
    const d = detailed(makeTree({ [M]: '[crio.runtime]\ndefault_capabilities=["CHOWN","KILL"]\n', [`${D}/50.conf`]: '[crio.runtime]\ndefault_capabilities=["KILL"]\n' }), { crioVersion: '1.36.0' });
    expect(((d.settings.crio as Record<string, unknown>).runtime as Record<string, unknown>).default_capabilities).toEqual(['KILL']);
  });

  it('#49 an empty [crio.runtime.runtimes] table removes nothing', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: '[crio.runtime.runtimes]\n' }), { crioVersion: '1.36.0' });
    expect(summary(r).runtimes).toEqual(['crun', 'runc']);
  });

  it('#59 nvidia-ctk 1.19.0 writes /etc/crio/conf.d/99-nvidia.toml: ignored, default stays crun', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, '/etc/crio/conf.d/99-nvidia.toml': NVIDIA_CTK_DEFAULT }), { crioVersion: '1.31.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'runc'], error: null });
    expect(r.files.find((f) => f.path === '/etc/crio/conf.d/99-nvidia.toml')?.status).toBe('ignored');
    const f = r.findings.find((x) => x.id === 'nvidia-dropin-ignored');
    expect(f?.evidence.join('\n')).toContain('/etc/crio/conf.d/99-nvidia.toml line 9: [crio.runtime.runtimes.nvidia]');
    expect(f?.evidence.join('\n')).toContain('line 5: default_runtime = "nvidia"');
  });

  it('#60 nvidia-ctk 1.19.1 writes /etc/crio/crio.conf.d/99-nvidia.toml: nvidia becomes the default, provenance line 5', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.toml`]: NVIDIA_CTK_DEFAULT }), { crioVersion: '1.31.0' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    expect(r.effective?.defaultRuntime.source).toEqual({ file: `${D}/99-nvidia.toml`, line: 5 });
    expect(r.effective?.runtimes.nvidia?.source).toEqual({ file: `${D}/99-nvidia.toml`, line: 9 });
    // without --set-as-default only the handler is added
    const r2 = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.toml`]: NVIDIA_CTK_NOT_DEFAULT }), { crioVersion: '1.31.0' });
    expect(summary(r2)).toEqual({ default: 'crun', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    expect(ids(r2)).not.toContain('nvidia-default-runtime');
  });

  it('#61 nvidia-ctk ≤1.17 --config=…/99-nvidia.conf: nvidia default without runtime_root/monitor_path', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.conf`]: NVIDIA_CTK_DEFAULT }), { crioVersion: '1.30.0' });
    expect(summary(r)).toEqual({ default: 'nvidia', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    expect(r.effective?.runtimes.nvidia?.monitorPath).toBe('/usr/bin/conmon');
    expect(r.effective?.runtimes.nvidia?.runtimeRoot).toBe('/run/runc');
    expect(r.findings.find((f) => f.id === 'nvidia-default-runtime')?.evidence[0]).toBe(`default_runtime = "nvidia" from file ${D}/99-nvidia.conf line 5: default_runtime = "nvidia"`);
  });

  it('#61b nvidia-ctk ≤1.17 rewriting the main file whole (default --config=/etc/crio/crio.conf)', () => {
    // the ≤1.17 engine rewrites /etc/crio/crio.conf; on a packaged node the drop-in 10-crio.conf still wins
    const r = check(makeTree({ [M]: NVIDIA_CTK_DEFAULT, [`${D}/10-crio.conf`]: P10 }), { crioVersion: '1.30.0' });
    expect(summary(r)).toEqual({ default: 'crun', runtimes: ['crun', 'nvidia', 'runc'], error: null });
    // without the packaged drop-in, the main file decides
    const r2 = check(makeTree({ [M]: NVIDIA_CTK_DEFAULT }), { crioVersion: '1.30.0' });
    expect(r2.effective?.defaultRuntime).toEqual({ name: 'nvidia', source: { file: M, line: 5 } });
  });
});
