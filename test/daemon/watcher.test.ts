import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConfigWatcher, fingerprint, isRelevant, type ConfigWatcher } from '../../src/daemon/config-watcher.js';
import { silentLogger } from '../../src/daemon/log.js';

const TARGETS = ['/etc/crio/crio.conf', '/etc/crio/crio.conf.d', '/etc/crio/conf.d', '/etc/nvidia-container-runtime/config.toml'];

let root: string;
let watcher: ConfigWatcher | null = null;
let batches: string[][] = [];
let waiters: ((b: string[]) => void)[] = [];

function nextBatch(timeoutMs = 8000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no config change within ${timeoutMs} ms; batches so far: ${JSON.stringify(batches)}`)), timeoutMs);
    waiters.push((b) => {
      clearTimeout(t);
      resolve(b);
    });
  });
}

async function startWatcher(extra: { pollMs?: number } = {}): Promise<void> {
  watcher = createConfigWatcher({
    root,
    targets: TARGETS,
    log: silentLogger,
    ...extra,
    onChange: (paths) => {
      batches.push(paths);
      const w = waiters.shift();
      if (w) w(paths);
    },
  });
  await watcher.start();
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-watch-'));
  fs.mkdirSync(path.join(root, 'etc'));
  batches = [];
  waiters = [];
});
afterEach(async () => {
  await watcher?.close();
  watcher = null;
  fs.rmSync(root, { recursive: true, force: true });
});

describe('config watcher', () => {
  it('filters to the targets, their ancestors and what is under them', () => {
    const t = ['/r/etc/crio/crio.conf.d', '/r/etc/crio/crio.conf'];
    expect(isRelevant('/r/etc', t)).toBe(true);
    expect(isRelevant('/r/etc/crio', t)).toBe(true);
    expect(isRelevant('/r/etc/crio/crio.conf.d/sub/99.conf', t)).toBe(true);
    expect(isRelevant('/r/etc/hosts', t)).toBe(false);
    expect(isRelevant('/r/etc/crio/crio.conf.bak', t)).toBe(false);
  });

  it('sees a drop-in dir created after start, a drop-in written, rewritten atomically, renamed and deleted', async () => {
    await startWatcher();
    expect(watcher!.watched()).toEqual([path.join(root, 'etc')]);
    const dir = path.join(root, 'etc/crio/crio.conf.d');
    fs.mkdirSync(dir, { recursive: true });
    await nextBatch();
    const dropin = path.join(dir, '99-nvidia.conf');
    let b = nextBatch();
    fs.writeFileSync(dropin, '[crio.runtime]\ndefault_runtime = "nvidia"\n');
    expect(await b).toContain('/etc/crio/crio.conf.d/99-nvidia.conf');

    b = nextBatch();
    const tmp = path.join(dir, '.99-nvidia.conf.swp');
    fs.writeFileSync(tmp, '[crio.runtime]\ndefault_runtime = "crun"\n');
    fs.renameSync(tmp, dropin);
    expect(await b).toContain('/etc/crio/crio.conf.d/99-nvidia.conf');

    b = nextBatch();
    fs.renameSync(dropin, path.join(dir, '50-renamed.conf'));
    expect(await b).toEqual(expect.arrayContaining(['/etc/crio/crio.conf.d/50-renamed.conf']));

    b = nextBatch();
    fs.rmSync(path.join(dir, '50-renamed.conf'));
    expect(await b).toContain('/etc/crio/crio.conf.d/50-renamed.conf');
  });

  it('watches the main file, the wrong conf.d and the NVIDIA config.toml, and ignores unrelated files', async () => {
    fs.mkdirSync(path.join(root, 'etc/crio'));
    fs.writeFileSync(path.join(root, 'etc/crio/crio.conf'), '');
    await startWatcher();
    let b = nextBatch();
    fs.writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    fs.writeFileSync(path.join(root, 'etc/crio/crio.conf'), '[crio.runtime]\n');
    expect(await b).toEqual(['/etc/crio/crio.conf']);

    b = nextBatch();
    fs.mkdirSync(path.join(root, 'etc/crio/conf.d'));
    fs.writeFileSync(path.join(root, 'etc/crio/conf.d/99-nvidia.toml'), '');
    const got = await b;
    expect(got.every((p) => p.startsWith('/etc/crio/conf.d'))).toBe(true);

    b = nextBatch();
    fs.mkdirSync(path.join(root, 'etc/nvidia-container-runtime'));
    fs.writeFileSync(path.join(root, 'etc/nvidia-container-runtime/config.toml'), '[nvidia-container-runtime]\n');
    expect((await b).some((p) => p.startsWith('/etc/nvidia-container-runtime'))).toBe(true);
    expect(batches.flat()).not.toContain('/etc/hosts');
  });

  it('debounces a burst of writes into one change', async () => {
    fs.mkdirSync(path.join(root, 'etc/crio/crio.conf.d'), { recursive: true });
    await startWatcher();
    const b = nextBatch();
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, `etc/crio/crio.conf.d/${10 + i}.conf`), '');
    const first = await b;
    await new Promise((r) => setTimeout(r, 400));
    const all = batches.flat();
    expect(first.length).toBeGreaterThan(1);
    expect(new Set(all).size).toBe(20);
    expect(batches.length).toBeLessThan(20);
  });

  it('fingerprint: sees a same-size rewrite, a rename over, a directory re-created, and nothing when nothing changed', async () => {
    const dir = path.join(root, 'etc/crio/crio.conf.d');
    fs.mkdirSync(dir, { recursive: true });
    const f = path.join(dir, '10.conf');
    fs.writeFileSync(f, 'default_runtime = "runc"\n');
    const targets = [dir];
    const fp = async () => (await fingerprint(root, targets)).digests.get(dir);
    const a = await fp();
    expect(await fp()).toBe(a);
    await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(f, 'default_runtime = "crun"\n'); // same size
    const b = await fp();
    expect(b).not.toBe(a);
    const t = path.join(dir, '.tmp');
    fs.writeFileSync(t, 'default_runtime = "crun"\n');
    fs.renameSync(t, f); // same content and size, new inode
    const c = await fp();
    expect(c).not.toBe(b);
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(f, 'default_runtime = "crun"\n');
    expect(await fp()).not.toBe(c);
  });

  it('keeps seeing a drop-in dir deleted and re-created at once, without the fingerprint poll (chokidar is re-created)', async () => {
    const dir = path.join(root, 'etc/crio/crio.conf.d');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '10.conf'), '');
    await startWatcher({ pollMs: 0 });
    let b = nextBatch();
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10.conf'), '');
    await b;
    await new Promise((r) => setTimeout(r, 1000));
    b = nextBatch(4000);
    fs.writeFileSync(path.join(dir, 'zz.conf'), '[crio.runtime]\n');
    expect(await b).toContain('/etc/crio/crio.conf.d/zz.conf');
  });

  it('restart() re-creates the watcher; the fingerprint poll reports a change chokidar cannot see', async () => {
    const dir = path.join(root, 'etc/crio/crio.conf.d');
    fs.mkdirSync(dir, { recursive: true });
    await startWatcher({ pollMs: 200 });
    await watcher!.restart();
    const b = nextBatch(4000);
    fs.writeFileSync(path.join(dir, '20.conf'), 'x');
    expect((await b).length).toBeGreaterThan(0);
    // a drop-in that is an absolute symlink: the engine resolves it under the root, chokidar on the
    // host (where /opt/dropins does not exist); only the fingerprint sees its target change
    const outside = path.join(root, 'opt/dropins');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, '30.conf'), 'a');
    fs.symlinkSync('/opt/dropins/30.conf', path.join(dir, '30.conf'));
    await nextBatch(4000);
    await new Promise((r) => setTimeout(r, 300));
    const c = nextBatch(4000);
    const missedBefore = watcher!.missed();
    fs.writeFileSync(path.join(outside, '30.conf'), 'bb');
    expect(await c).toEqual(['/etc/crio/crio.conf.d']);
    expect(watcher!.missed()).toBe(missedBefore + 1);
  });
});
