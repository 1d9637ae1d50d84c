/**
 * The engine never throws, whatever the tree: seeded random trees made of symlink loops, dangling
 * links, FIFOs, garbage, directories and valid drop-ins in every place the engine looks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { planFixes } from '../../src/config/fix.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import { NV, NVIDIA_CTK_DEFAULT, P10, cleanupTrees, dr, makeTree } from './fixtures.js';

afterEach(() => cleanupTrees());

const PLACES = [
  '/etc/crio/crio.conf',
  '/etc/crio/crio.conf.d',
  '/etc/crio/crio.conf.d/10-crio.conf',
  '/etc/crio/crio.conf.d/50-x.conf',
  '/etc/crio/crio.conf.d/sub/a.conf',
  '/etc/crio/conf.d/99-nvidia.toml',
  '/etc/nvidia-container-runtime/config.toml',
  '/etc/apparmor.d',
  '/etc/apparmor.d/runc',
  '/usr/bin/nvidia-container-runtime',
  '/usr/sbin/runc',
  '/usr/libexec/crio/crun',
];

function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

describe('robustness', () => {
  it('resolveConfig and planFixes never throw on 25 seeded hostile trees', () => {
    const rand = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let n = 0; n < 25; n++) {
      const t = makeTree({});
      for (const place of PLACES) {
        if (rand() < 0.35) continue;
        const full = path.join(t.root, place);
        try {
          fs.mkdirSync(path.dirname(full), { recursive: true });
          if (fs.lstatSync(full, { throwIfNoEntry: false })) fs.rmSync(full, { recursive: true, force: true });
        } catch {
          continue; // a parent is already a hostile entry
        }
        const kind = pick(['loop', 'dangling', 'fifo', 'garbage', 'dir', 'p10', 'nvidia', 'ctk', 'exe', 'selfdir']);
        switch (kind) {
          case 'loop':
            fs.symlinkSync(path.basename(full), full);
            break;
          case 'dangling':
            fs.symlinkSync('/nowhere/at/all', full);
            break;
          case 'fifo':
            spawnSync('mkfifo', [full]);
            break;
          case 'garbage':
            fs.writeFileSync(full, Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))));
            break;
          case 'dir':
            fs.mkdirSync(full, { recursive: true });
            break;
          case 'p10':
            fs.writeFileSync(full, P10);
            break;
          case 'nvidia':
            fs.writeFileSync(full, dr('nvidia') + NV);
            break;
          case 'ctk':
            fs.writeFileSync(full, NVIDIA_CTK_DEFAULT);
            break;
          case 'exe':
            fs.writeFileSync(full, '#!/bin/sh\n', { mode: 0o755 });
            break;
          case 'selfdir':
            fs.symlinkSync('/', full);
            break;
        }
      }
      const view = createHostFileView(t.root);
      for (const v of ['1.24.6', '1.30.0', null]) {
        const inputs = { crioVersion: v } as ConfigInputs;
        const r = resolveConfig(inputs, view);
        expect(typeof r.crioWouldStart).toBe('boolean');
        for (const line of [r.startError ?? '', ...r.findings.map((f) => f.summary)]) expect(line).not.toContain('\n');
        expect(() => planFixes(inputs, view)).not.toThrow();
      }
      t.cleanup();
    }
  });
});
