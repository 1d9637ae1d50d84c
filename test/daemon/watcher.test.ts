import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConfigWatcher, isRelevant, type ConfigWatcher } from '../../src/daemon/config-watcher.js';
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

async function startWatcher(): Promise<void> {
  watcher = createConfigWatcher({
    root,
    targets: TARGETS,
    log: silentLogger,
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
});
