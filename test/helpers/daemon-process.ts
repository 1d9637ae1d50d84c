/**
 * Run the REAL daemon (`node dist/src/cli.js run …`, built by `npm test` before vitest) as a child
 * process on an ephemeral port, read the URL it prints, and talk to it over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/src/cli.js');

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  get(p: string, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
  metrics(): Promise<string>;
  status(): Promise<Record<string, any>>;
  /** send a signal and wait for the exit; resolves with the exit code and how long it took */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  alive(): boolean;
}

/** The built CLI must exist: `npm test` builds it; locally run `npm run build` first. */
export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it before vitest)`);
}

export async function startDaemon(args: string[], opts: { env?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<DaemonProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, 'run', '--web.listen-address', '127.0.0.1:0', ...args], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon printed no URL within ${opts.readyTimeoutMs ?? 15000} ms\nstdout: ${out}\nstderr: ${err}`));
    }, opts.readyTimeoutMs ?? 15000);
    const check = (): void => {
      const m = /(https?:\/\/[^\s]+\/)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timeout);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exit.then(({ code }) => {
      clearTimeout(timeout);
      reject(new Error(`daemon exited (${code}) before printing its URL\nstdout: ${out}\nstderr: ${err}`));
    });
  });

  const get = async (p: string, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(p.replace(/^\//, ''), url), { headers });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };

  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    get,
    metrics: async () => (await get('/metrics')).text,
    status: async () => JSON.parse((await get('/api/v1/status')).text) as Record<string, any>,
    alive: () => !exited,
    async stop(signal = 'SIGTERM', timeoutMs = 5000) {
      const t0 = Date.now();
      if (exited) return { ...(await exit), ms: 0 };
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exit;
      clearTimeout(killer);
      return { ...r, ms: Date.now() - t0 };
    },
  };
}

/** Value of one sample line `name{labels} value` in a Prometheus text scrape; null when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!.replace(/\\(.)/g, '$1');
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return null;
}

/** Poll until fn returns a truthy value (or throw with the last value after timeoutMs). */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
