/**
 * A reader that goes away (`crio-sentinel scan … | head -1`): the built CLI, as a child process
 * whose stdout is a pipe with no reader left, must end quietly with the status it has when its
 * output is read (issue #10 item 6, #11 item 14): no 'error' crash, no stack trace.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO } from '../helpers/daemon-process.js';

const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
const INCIDENT = path.join(REPO, 'examples/incidents/nvidia-default.jsonl');
const STACK = /\n\s+at .+[(\s].*:\d+:\d+\)?/;

interface Ended {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; `closed`: its stdout is a pipe whose read end is closed before the child writes. */
function runCli(args: string[], closed: boolean): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (closed) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-epipe-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!fs.existsSync(CLI))('stdout closed by its reader (EPIPE)', () => {
  const cases: [string, string[]][] = [
    ['usage', []],
    ['--help', ['--help']],
    ['--version', ['--version']],
    ['check text', ['check', '--root', NODE]],
    ['check json', ['check', '--root', NODE, '--output', 'json']],
    ['fix text', ['fix', '--root', NODE]],
    ['fix json', ['fix', '--root', NODE, '--output', 'json']],
    ['scan text', ['scan', INCIDENT]],
    ['scan json', ['scan', INCIDENT, '--output', 'json']],
    ['scan --help', ['scan', '--help']],
    ['run --help', ['run', '--help']],
  ];

  it.each(cases)('%s: the same exit status as with a reader, nothing on stderr', async (_name, args) => {
    const read = await runCli(args, false);
    expect(read.stdout.length).toBeGreaterThan(0);
    const closed = await runCli(args, true);
    expect(closed.signal).toBeNull();
    expect(closed.status).toBe(read.status);
    expect(closed.stderr).not.toMatch(STACK);
    expect(closed.stderr).not.toContain('EPIPE');
    expect(closed.stderr).toBe(read.stderr);
  });

  it.skipIf(!fs.existsSync('/dev/full'))('any other write failure (ENOSPC on /dev/full) loses output: one line on stderr, exit 3', async () => {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'check', '--root', NODE], { cwd: REPO, stdio: ['ignore', full, 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
      expect(r.status).toBe(3);
      expect(r.stderr).toBe('crio-sentinel: cannot write to standard output: ENOSPC\n');
    } finally {
      fs.closeSync(full);
    }
  });

  it('run: the daemon keeps serving when its banner cannot be written, and stops with status 0', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--web.listen-address', '127.0.0.1:0', '--root', NODE, '--no-journal', '--node-facts', 'off', '--state-dir', path.join(tmp, 'state'), '--crio-poll-interval', '1h'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      // the banner is lost; the "started" log line on stderr carries the URL
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "started" line within 20 s; stderr: ${stderr}`)), 20_000);
        const poll = setInterval(() => {
          const m = /msg=started .*url=(http:\/\/[^\s]+)/.exec(stderr);
          if (m?.[1]) {
            clearInterval(poll);
            clearTimeout(t);
            resolve(m[1]);
          }
        }, 50);
      });
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(new URL('healthz', url));
      expect(res.status).toBe(200);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    const { code, signal } = await ended;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr).not.toMatch(STACK);
    expect(stderr).not.toContain('EPIPE');
  });
});
