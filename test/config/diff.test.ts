/**
 * The unified-diff generator, checked against the real `patch` tool: every generated diff must
 * turn the old text into the new one.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/config/diff.js';
import { needBinary } from '../helpers/binaries.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-diff-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const patchBin = needBinary('patch', 'patch');

function roundTrip(before: string | null, after: string): void {
  const d = unifiedDiff('/etc/x.conf', before, after);
  const root = fs.mkdtempSync(path.join(dir, 'rt-'));
  fs.mkdirSync(path.join(root, 'etc'));
  if (before !== null) fs.writeFileSync(path.join(root, 'etc/x.conf'), before);
  fs.writeFileSync(path.join(root, 'p.diff'), d);
  const r = spawnSync(patchBin!, ['-p1', '-s', '-f', '-d', root, '-i', path.join(root, 'p.diff')], { encoding: 'utf8' });
  expect(r.status, `${r.stdout}${r.stderr}\n${d}`).toBe(0);
  expect(fs.readFileSync(path.join(root, 'etc/x.conf'), 'utf8')).toBe(after);
}

/** deterministic pseudo-random generator (mulberry32) */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('unifiedDiff', () => {
  it('equal texts give an empty diff', () => {
    expect(unifiedDiff('/a', 'x\n', 'x\n')).toBe('');
  });

  it('removing one line gives a GNU-style hunk with 3 lines of context', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\n';
    expect(unifiedDiff('/etc/f', before, 'a\nb\nc\ne\nf\ng\n')).toBe('--- a/etc/f\n+++ b/etc/f\n@@ -1,7 +1,6 @@\n a\n b\n c\n-d\n e\n f\n g\n');
  });

  it('a new file diffs against /dev/null', () => {
    expect(unifiedDiff('/etc/n', null, 'x\ny\n')).toBe('--- /dev/null\n+++ b/etc/n\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  });

  it.skipIf(!patchBin)('patch applies generated diffs: edge cases', () => {
    roundTrip('a\nb\nc\n', 'a\nc\n');
    roundTrip('a\nb\nc', 'a\nb\nc\n'); // newline added at EOF
    roundTrip('a\nb\nc\n', 'a\nb\nc'); // newline removed
    roundTrip('a\nb', 'a\nc');
    roundTrip('', 'x\n');
    roundTrip('x\n', '');
    roundTrip(null, 'new\nfile\n');
    roundTrip(Array.from({ length: 40 }, (_, i) => `l${i}`).join('\n') + '\n', Array.from({ length: 40 }, (_, i) => (i % 13 === 0 ? `changed${i}` : `l${i}`)).join('\n') + '\n');
  });

  it.skipIf(!patchBin)('patch applies generated diffs: 100 seeded random edits', () => {
    const rand = rng(42);
    for (let n = 0; n < 100; n++) {
      const len = Math.floor(rand() * 30);
      const a = Array.from({ length: len }, () => `k${Math.floor(rand() * 6)}`);
      const b = [...a];
      const edits = Math.floor(rand() * 6);
      for (let e = 0; e < edits; e++) {
        const pos = Math.floor(rand() * (b.length + 1));
        const kind = rand();
        if (kind < 0.4 && b.length > 0) b.splice(Math.min(pos, b.length - 1), 1);
        else if (kind < 0.7) b.splice(pos, 0, `n${Math.floor(rand() * 6)}`);
        else if (b.length > 0) b[Math.min(pos, b.length - 1)] = `r${Math.floor(rand() * 6)}`;
      }
      const eolA = rand() < 0.85 ? '\n' : '';
      const eolB = rand() < 0.85 ? '\n' : '';
      roundTrip(a.length ? a.join('\n') + eolA : '', b.length ? b.join('\n') + eolB : '');
    }
  });
});
