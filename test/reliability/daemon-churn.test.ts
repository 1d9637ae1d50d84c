/**
 * Issue #11: the daemon under watch churn. A seeded run of 1 000 file operations in 10 s on the
 * drop-in directory (rewrites, same-size rewrites, atomic renames, deletes, the directory deleted
 * and re-created or renamed away and re-created), then quiet. The REAL daemon (node dist/src/cli.js
 * run) must converge to what `check --output json` says of the final files (default runtime,
 * whether CRI-O would start, the files read) within 2 s of the last change, every time, and stay there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO, startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';

const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
const PACKAGED = fs.readFileSync(path.join(NODE, 'etc/crio/crio.conf.d/10-crio.conf'), 'utf8');
const NVIDIA = fs.readFileSync(path.join(NODE, 'etc/crio/crio.conf.d/99-nvidia.conf'), 'utf8');
const CONTENTS = [
  PACKAGED,
  NVIDIA,
  '[crio.runtime]\ndefault_runtime = "runc"\n',
  '[crio.runtime]\ndefault_runtime = "crun"\n', // same size as the runc one: a same-size rewrite
  '[crio.runtime\n', // broken: CRI-O would not start
  '',
  '[crio.runtime]\ndefault_runtime = "nvidia"\n',
  '# a comment\n',
];
const NAMES = ['10-crio.conf', '50-a.conf', '60-b.conf', '99-nvidia.conf', 'zz.conf'];
const OPS = 1000;
const BURSTS = 20;
const CHURN_MS = 10_000;
const VERSION = '1.32.13';
const SEEDS = (process.env.CHURN_SEEDS ?? '3,5,6').split(',').map(Number);

/** mulberry32: a small seeded PRNG */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Picture {
  defaultRuntime: string | null;
  crioWouldStart: boolean;
  files: string[];
}
const picture = (r: any): Picture => ({
  defaultRuntime: r?.effective?.defaultRuntime?.name ?? null,
  crioWouldStart: Boolean(r?.crioWouldStart),
  files: (r?.files ?? []).map((f: any) => `${f.path}:${f.status}`),
});

function check(root: string): Promise<Picture> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, 'check', '--root', root, '--config', '', '--config-dir', '/etc/crio/crio.conf.d', '--crio-version', VERSION, '--output', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', () => {
      try {
        resolve(picture(JSON.parse(out)));
      } catch (err) {
        reject(new Error(`check printed no JSON: ${out.slice(0, 300)} (${String(err)})`));
      }
    });
  });
}

let daemon: DaemonProcess | null = null;
let tmp: string | null = null;
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = null;
});

describe('the daemon under watch churn (issue #11)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${OPS} operations in ${CHURN_MS / 1000} s, then converges to check within 2 s`, async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-churn-'));
      const root = path.join(tmp, 'r');
      fs.cpSync(NODE, root, { recursive: true });
      const D = path.join(root, 'etc/crio/crio.conf.d');
      daemon = await startDaemon([
        '--root', root, '--config', '', '--config-dir', '/etc/crio/crio.conf.d', '--crio-version', VERSION,
        '--no-journal', '--node-facts', 'off', '--state-dir', path.join(tmp, 'state'), '--crio-poll-interval', '1h',
      ]);
      const rnd = prng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const counts: Record<string, number> = {};
      // bursts, as a config manager or a person makes them: BURSTS bursts of about 150 ms at random
      // times in the 10 s (the last one ends the churn); a third of them also replace the directory
      // (rm -rf or rename away, then mkdir), the rest only write, rename over and delete files
      const starts = Array.from({ length: BURSTS - 1 }, () => rnd() * (CHURN_MS - 150)).concat(CHURN_MS - 150);
      const dirBurst = starts.map(() => rnd() < 1 / 3);
      const plan = Array.from({ length: OPS }, (_, i) => {
        const b = i < BURSTS ? i : Math.floor(rnd() * BURSTS);
        return { at: starts[b]! + rnd() * 150, b };
      }).sort((x, y) => x.at - y.at);
      // /healthz answers throughout (the evaluations run off the daemon's event loop)
      let probing = true;
      let slowestHealthz = 0;
      const prober = (async () => {
        while (probing) {
          const p0 = Date.now();
          const r = await fetch(new URL('healthz', daemon!.url), { signal: AbortSignal.timeout(5000) });
          await r.text();
          slowestHealthz = Math.max(slowestHealthz, Date.now() - p0);
          await sleep(50);
        }
      })();
      const t0 = Date.now();
      for (let i = 0; i < OPS; i++) {
        const { at, b } = plan[i]!;
        await sleep(t0 + at - Date.now());
        const r = rnd();
        const fileOp = r < 0.45 ? 'write' : r < 0.75 ? 'atomic' : 'delete';
        const op = dirBurst[b] && rnd() < 0.3 ? (rnd() < 0.5 ? 'rmdir' : 'renamedir') : fileOp;
        counts[op] = (counts[op] ?? 0) + 1;
        fs.mkdirSync(D, { recursive: true });
        const f = path.join(D, pick(NAMES));
        if (op === 'write') fs.writeFileSync(f, pick(CONTENTS));
        else if (op === 'atomic') {
          const t = path.join(D, `.tmp-${i}`);
          fs.writeFileSync(t, pick(CONTENTS));
          fs.renameSync(t, f);
        } else if (op === 'delete') fs.rmSync(f, { force: true });
        else {
          if (op === 'rmdir') fs.rmSync(D, { recursive: true, force: true });
          else fs.renameSync(D, path.join(tmp, `away-${i}`));
          fs.mkdirSync(D);
          for (const n of NAMES) if (rnd() < 0.5) fs.writeFileSync(path.join(D, n), pick(CONTENTS));
        }
      }
      const last = Date.now();
      const churnMs = last - t0;
      probing = false;
      await prober;
      // sample the daemon for 3 s after the last change, then ask check about the final files
      const samples: { at: number; p: Picture }[] = [];
      while (Date.now() - last < 3000) {
        samples.push({ at: Date.now() - last, p: picture((await daemon.status()).config.report) });
        await sleep(50);
      }
      const want = await check(root);
      const ok = (p: Picture) => JSON.stringify(p) === JSON.stringify(want);
      let convergedAt: number | null = null;
      for (const s of samples) {
        if (ok(s.p)) convergedAt ??= s.at;
        else convergedAt = null;
      }
      const reloads = (await daemon.status()).config.reloads;
      console.log(
        `churn seed ${seed}: ${OPS} ops in ${churnMs} ms ${JSON.stringify(counts)}; converged ${convergedAt ?? 'never'} ms after the last change; slowest /healthz ${slowestHealthz} ms; ` +
          `evaluations ${JSON.stringify(reloads)}; final default ${want.defaultRuntime}, crioWouldStart ${want.crioWouldStart}`,
      );
      expect(samples.at(-1)!.p).toEqual(want);
      expect(convergedAt).not.toBeNull();
      expect(convergedAt!).toBeLessThanOrEqual(2000);
      expect(slowestHealthz).toBeLessThan(2000);
      expect(daemon.alive()).toBe(true);
    }, 60_000);
  }
});
