/**
 * Bad input never crashes or blocks the engine: each is a clear one-line error naming file and
 * line, reported as a finding.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import { FileViewError, type FileView } from '../../src/core/file-view.js';
import { NV, P10, check, cleanupTrees, dr, ids, makeTree } from './fixtures.js';

const D = '/etc/crio/crio.conf.d';
const V = { crioVersion: '1.31.0' };

afterEach(() => cleanupTrees());

function parseError(r: ReturnType<typeof check>) {
  const f = r.findings.find((x) => x.id === 'config-parse-error');
  expect(f, 'config-parse-error finding').toBeDefined();
  expect(f!.severity).toBe('critical');
  for (const line of [f!.summary, ...f!.evidence, r.startError ?? '']) expect(line).not.toContain('\n');
  return f!;
}

function notEvaluated(r: ReturnType<typeof check>) {
  const f = r.findings.find((x) => x.id === 'config-not-evaluated');
  expect(f, 'config-not-evaluated finding').toBeDefined();
  expect(ids(r)).not.toContain('config-parse-error');
  return f!;
}

describe('bad input', () => {
  it('invalid TOML names file, line and column', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: '# ok\n[crio.runtime]\nx = [1, 2\n' }), V);
    const f = parseError(r);
    expect(f.evidence[0]).toMatch(/^file \/etc\/crio\/crio\.conf\.d\/50\.conf line \d+ column \d+: unable to decode configuration/);
    expect(r.files.find((x) => x.path === `${D}/50.conf`)?.status).toBe('error');
  });

  it('a duplicate key is invalid TOML with its line', () => {
    const r = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\ndefault_runtime = "crun"\ndefault_runtime = "runc"\n' }), V);
    expect(r.startError).toContain('toml: line 3, column');
  });

  it('wrong types: a handler key, a table given as a string, a list element', () => {
    const a = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime.runtimes.x]\nruntime_path = 5\n' }), V);
    expect(a.startError).toContain('toml: line 2 (last key "crio.runtime.runtimes.x.runtime_path"): incompatible types: TOML value has type int64; destination has type string');
    const b = check(makeTree({ [`${D}/50.conf`]: '[crio]\nruntime = "crun"\n' }), V);
    expect(b.startError).toContain('(last key "crio.runtime"): type mismatch for struct { config.RuntimeConfig }: expected table but found string');
    const c = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\ndefault_capabilities = [7, 8]\n' }), V);
    expect(c.startError).toContain('(last key "crio.runtime.default_capabilities")');
    const d = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\ndefault_runtime = ["nvidia"]\n' }), V);
    expect(d.startError).toContain('TOML value has type []any; destination has type string');
    // before 1.31 (BurntSushi < 1.4) Go's own %T spelling
    expect(check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\ndefault_runtime = ["nvidia"]\n' }), { crioVersion: '1.30.0' }).startError).toContain('TOML value has type []interface {}; destination has type string');
    const f = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\ndefault_capabilities = "CHOWN"\n' }), V);
    expect(f.startError).toContain('TOML value has type string; destination has type slice');
    // 1.24.6: no line number in type errors
    const e = check(makeTree({ [`${D}/50.conf`]: '[crio.runtime]\nlog_level = true\n' }), { crioVersion: '1.24.6' });
    expect(e.startError).toBe('unable to decode configuration /etc/crio/crio.conf.d/50.conf: toml: incompatible types: TOML key "crio.runtime.log_level" has type bool; destination has type string');
    expect(parseError(e).evidence[0]).toContain('line 2');
  });

  it('a key of a newer CRI-O is ignored by an older one (version-aware handler keys)', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: '[crio.runtime.runtimes.crun]\nruntime_path = "/usr/libexec/crio/crun"\nno_sync_log = "yes"\n' });
    expect(check(t, { crioVersion: '1.30.0' }).crioWouldStart).toBe(true);
    expect(check(t, { crioVersion: '1.31.0' }).startError).toContain('no_sync_log');
  });

  it('binary garbage is a decode error with escaped, one-line text', () => {
    const junk = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d]);
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/crio.bin`]: junk }), V);
    const f = parseError(r);
    expect(f.evidence[0]).toContain('line 1');
    expect(r.startError).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('an unreadable file (EACCES from the view) is an error finding, not a crash', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50.conf`]: dr('runc') });
    fs.chmodSync(path.join(t.root, D, '50.conf'), 0o000);
    const host = createHostFileView(t.root);
    // tests run as root, which reads mode 000 files anyway: make the denial explicit
    const view: FileView = {
      ...host,
      readFile(p, max) {
        if (p.endsWith('/50.conf')) throw new FileViewError('EACCES', p, `open ${p}: permission denied`);
        return host.readFile(p, max);
      },
    };
    const r = resolveConfig({ crioVersion: '1.31.0' } as ConfigInputs, view);
    const f = parseError(r);
    expect(f.evidence[0]).toContain('permission denied');
    expect(r.files.find((x) => x.path === `${D}/50.conf`)?.status).toBe('error');
  });

  it('a FIFO in the drop-in dir is reported without blocking', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/50-pipe.conf`]: { fifo: true } });
    const r = check(t, V);
    const f = parseError(r);
    expect(f.summary).toContain('not a regular file');
    expect(r.startError).toContain('a FIFO (named pipe): CRI-O would block reading it');
    expect(r.crioWouldStart).toBe(false);
  });

  it('a unix socket in the drop-in dir is reported', async () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10 });
    const sock = path.join(t.root, D, 'x.sock');
    const srv = net.createServer();
    await new Promise<void>((res) => srv.listen(sock, res));
    try {
      const r = check(t, V);
      expect(r.startError).toContain('a unix socket');
      expect(ids(r)).toContain('stray-dropin-file');
    } finally {
      await new Promise<void>((res) => srv.close(() => res()));
    }
  });

  it('a character device in the drop-in dir is reported, never read', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10 });
    const dev = path.join(t.root, D, '20-zero.conf');
    // /dev/zero's numbers: reading it would never end
    const mk = spawnSync('mknod', [dev, 'c', '1', '5']);
    if (mk.status !== 0) return; // not permitted here (unprivileged runner)
    const r = check(t, V);
    // CRI-O reads a device like a file (/dev/zero without end, /dev/null as empty): crio-sentinel reads none and says so
    expect(r.startError).toContain('a character device');
    expect(notEvaluated(r).summary).toContain('did not evaluate');
  });

  it('a 5 MiB file is not read, and the configuration is not evaluated (CRI-O reads any size)', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/60-huge.conf`]: Buffer.alloc(5 * 1024 * 1024, 0x61) });
    const r = check(t, V);
    const f = notEvaluated(r);
    expect(f.evidence[0]).toContain('larger than the 4194304-byte limit: not read');
    expect(() => createHostFileView(t.root).readFile(`${D}/60-huge.conf`, 4 * 1024 * 1024)).toThrowError(expect.objectContaining({ code: 'EFBIG' }));
  });

  it('the total bytes read are bounded (memory bound of the daemon)', () => {
    const pad = (n: number) => `# ${'x'.repeat(n)}\n`;
    const t = makeTree({ [`${D}/10-a.conf`]: pad(600), [`${D}/20-b.conf`]: pad(600) });
    const r = resolveConfig({ crioVersion: '1.31.0' } as ConfigInputs, createHostFileView(t.root), { maxTotalBytes: 1000 });
    expect(r.startError).toContain('/etc/crio/crio.conf.d/20-b.conf: the config files read so far exceed 1000 bytes in total');
    expect(r.files.map((f) => f.status)).toEqual(['missing', 'applied', 'error']);
    expect(r.effective).toBeNull();
    expect(ids(r)).toEqual(['config-not-evaluated']);
  });

  it('a symlink loop is an error, not a hang', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/a.conf`]: { symlink: 'b.conf' }, [`${D}/b.conf`]: { symlink: 'a.conf' } });
    const r = check(t, V);
    expect(r.startError).toContain('too many levels of symbolic links');
  });

  it('a symlinked --config-dir is read as a file and fails like CRI-O', () => {
    const t = makeTree({ '/srv/real.d/10-crio.conf': P10, '/etc/crio/linked.d': { symlink: '/srv/real.d' } });
    const r = check(t, { ...V, configDir: '/etc/crio/linked.d' });
    expect(r.startError).toContain('read /etc/crio/linked.d: is a directory');
  });

  it('a dangling symlink in the drop-in dir is a read error', () => {
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/gone.conf`]: { symlink: '/nowhere.conf' } }), V);
    expect(r.startError).toContain('open /etc/crio/crio.conf.d/gone.conf: no such file or directory');
  });

  it('a non-UTF-8 entry name is reported, not crashed on', () => {
    const t = makeTree({ [`${D}/10-crio.conf`]: P10 });
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(t.root, D) + '/'), Buffer.from([0x99, 0xff, 0x2e, 0x63])]), dr('runc'));
    const r = check(t, V);
    expect(r.startError).toContain('not valid UTF-8');
    expect(r.startError).not.toMatch(/[\u0000-\u001f\ufffd]/);
    notEvaluated(r); // CRI-O reads it; crio-sentinel cannot open it, so it gives no answer
  });

  it('deeply nested directories are walked like CRI-O walks them (40 levels)', () => {
    const deep = `${D}/${Array.from({ length: 40 }, (_, i) => `d${i}`).join('/')}/x.conf`;
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [deep]: dr('runc') }), V);
    expect(r.startError).toBeNull();
    expect(r.effective?.defaultRuntime.name).toBe('runc');
  });

  it('nesting beyond the depth bound is "not evaluated", never a guess', () => {
    const deep = `${D}/${Array.from({ length: 260 }, () => 'd').join('/')}/x.conf`;
    const r = check(makeTree({ [`${D}/10-crio.conf`]: P10, [deep]: dr('runc') }), V);
    expect(r.effective).toBeNull();
    expect(notEvaluated(r).summary).toContain('deeper than 256 levels');
  });

  it('the nvidia config.toml being broken does not crash the wrapper resolution', () => {
    const r = check(
      makeTree({ [`${D}/10-crio.conf`]: P10, [`${D}/99.conf`]: dr('nvidia') + NV, '/etc/nvidia-container-runtime/config.toml': '[nvidia-container-runtime\nruntimes=' }),
      V,
    );
    expect(r.effective?.defaultRuntime.name).toBe('nvidia');
    expect(r.lowLevelRuntime?.wrapper).toBe('/usr/bin/nvidia-container-runtime');
  });
});

describe('host file view', () => {
  it('resolves absolute symlink targets inside the root and clamps ".." at the root', () => {
    const t = makeTree({ '/etc/a.conf': 'A', '/etc/abs': { symlink: '/etc/a.conf' }, '/etc/up': { symlink: '../../../../etc/a.conf' } }, []);
    const v = createHostFileView(t.root);
    expect(v.readFile('/etc/abs', 100).toString()).toBe('A');
    expect(v.readFile('/etc/up', 100).toString()).toBe('A');
    expect(v.lstat('/etc/abs')?.kind).toBe('symlink');
    expect(v.stat('/etc/abs')?.kind).toBe('file');
    expect(v.readlink('/etc/abs')).toBe('/etc/a.conf');
    expect(v.stat('/etc/missing')).toBeNull();
    expect(v.readdirRaw('/nope')).toEqual([]);
  });

  it('refuses non-regular files with ENOTREG and directories with EISDIR', () => {
    const t = makeTree({ '/p': { fifo: true }, '/d/x': 'x' }, []);
    const v = createHostFileView(t.root);
    expect(() => v.readFile('/p', 100)).toThrowError(expect.objectContaining({ code: 'ENOTREG' }));
    expect(() => v.readFile('/d', 100)).toThrowError(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => v.readFile('/none', 100)).toThrowError(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('isExecutable needs a regular file with an execute bit', () => {
    const t = makeTree({ '/bin/x': { mode: 0o755, content: '' }, '/bin/y': { mode: 0o644, content: '' }, '/bin/z': { symlink: 'x' } }, []);
    const v = createHostFileView(t.root);
    expect([v.isExecutable('/bin/x'), v.isExecutable('/bin/y'), v.isExecutable('/bin/z'), v.isExecutable('/bin')]).toEqual([true, false, true, false]);
  });

  it('readdirRaw keeps raw name bytes', () => {
    const t = makeTree({ '/d/a': 'a' }, []);
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(t.root, 'd') + '/'), Buffer.from([0xff])]), 'x');
    const names = createHostFileView(t.root).readdirRaw('/d').sort(Buffer.compare);
    expect(names.map((b) => [...b])).toEqual([[0x61], [0xff]]);
  });
});
