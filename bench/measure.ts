/**
 * Measurement helpers for the benchmarks: statistics, CPU time of finished child process trees
 * (from /proc/self/stat cutime+cstime, which the kernel adds when a child is reaped and which
 * include the child's own reaped children), CPU time of live processes, free loopback ports.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Clock ticks per second (getconf CLK_TCK, normally 100), read once when the module loads so
 * that the getconf child is reaped before any measurement starts. */
const CLK_TCK: number = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export function clockTicks(): number {
  return CLK_TCK;
}

/** Fields of /proc/<pid>/stat after the command name (index 0 = state, i.e. field 3). */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds (user+sys) of all reaped children of this process so far. */
export function reapedChildrenCpu(): number {
  const f = statFields('self');
  if (!f) return NaN;
  // field 16 cutime, 17 cstime -> index 13, 14
  return (Number(f[13]) + Number(f[14])) / clockTicks();
}

/** CPU seconds (user+sys) a live process has used itself, plus its reaped children. */
export function processCpu(pid: number): number | null {
  const f = statFields(pid);
  if (!f) return null;
  // field 14 utime, 15 stime, 16 cutime, 17 cstime -> index 11..14
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
}

/** Resident set size of a live process in bytes (VmRSS). */
export function processRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** pid and all live descendants (from /proc/<n>/stat ppid). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) parent.set(Number(name), Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** CPU seconds of a live process tree (each member's own time plus its reaped children). */
export function treeCpu(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) sum += processCpu(pid) ?? 0;
  return sum;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallSeconds: number;
  /** user+sys of the child and everything it reaped */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
}

export interface RunChildOptions {
  /** file fed to stdin */
  stdinFile?: string;
  /** a pipe (e.g. another child's stdout) handed to the child as its stdin */
  stdinPipe?: import('node:stream').Readable;
  /** keep at most this many bytes of stdout (default 1 MiB); stdout is discarded when 0 */
  keepStdout?: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Run a command (argument array, no shell) to completion; wall time and CPU time of its whole
 * process tree. Children run one at a time, so the cutime delta belongs to this child.
 */
export function runChild(file: string, args: string[], opts: RunChildOptions = {}): Promise<ChildRun> {
  const keep = opts.keepStdout ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const stdinFd = opts.stdinFile ? openSync(opts.stdinFile, 'r') : null;
    const cpu0 = reapedChildrenCpu();
    const t0 = process.hrtime.bigint();
    const so: SpawnOptions = { stdio: [stdinFd ?? opts.stdinPipe ?? 'ignore', keep > 0 ? 'pipe' : 'ignore', 'pipe'], env: opts.env ?? process.env };
    const child = spawn(file, args, so);
    if (stdinFd !== null) closeSync(stdinFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => { if (stdout.length < keep) stdout += d; });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => { if (stderr.length < 65536) stderr += d; });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.once('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({ code, signal, wallSeconds, cpuSeconds: reapedChildrenCpu() - cpu0, stdout, stderr });
    });
  });
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The Node.js flags the shipped CLI runs with, read from the shebang of dist/src/cli.js
 * (`#!/usr/bin/env -S node <flags>`), so that benchmarks measure the configuration that ships.
 */
export function shippedNodeFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node(?<flags>(?: --\S+)*)\s*$/.exec(first);
  return m?.groups?.flags ? m.groups.flags.trim().split(/\s+/) : [];
}
