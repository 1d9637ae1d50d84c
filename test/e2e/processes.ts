/** Child processes and loopback HTTP for the end-to-end test: start, wait, stop by pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { expect } from 'vitest';

export interface Started {
  name: string;
  child: ChildProcess;
  /** the last output lines, for failure messages */
  output(): string;
}

export function start(name: string, file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (d: Buffer): void => {
    for (const l of d.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(l);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => lines.push(`spawn error: ${err.message}`));
  return { name, child, output: () => `--- ${name} (exit ${child.exitCode ?? 'running'}) ---\n${lines.slice(-40).join('\n')}` };
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
export async function stop(p: Started | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${context()}`);
    await sleep(500);
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function httpOk(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok ? true : undefined;
}

/**
 * The shipped rules with every `for:` set to 0s and the stuck-pod age threshold (600 s) set to 0, for the
 * end-to-end tests (stack.test.ts, lab.test.ts); fails loudly when the shipped file stops matching.
 */
export function e2eRules(text: string): string {
  const fors = text.match(/^\s+for: \S+$/gm) ?? [];
  expect(fors.length).toBeGreaterThanOrEqual(9);
  const out = text
    .replace(/^(\s+)for: \S+$/gm, '$1for: 0s')
    .replace('(crio_sentinel_pod_stuck_terminating_seconds > 600)', '(crio_sentinel_pod_stuck_terminating_seconds > 0)');
  expect(out).toContain('crio_sentinel_pod_stuck_terminating_seconds > 0');
  return out;
}
