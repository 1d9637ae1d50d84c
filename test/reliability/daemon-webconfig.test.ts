/**
 * Issue #11 items 5, 6 and 15 against the REAL daemon (node dist/src/cli.js run) and real HTTP
 * clients: a flood of wrong passwords must not lock out valid users; SIGHUP re-reads
 * --web.config.file; a TLS file that is a FIFO or /dev/zero fails start-up at once with one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, REPO, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';

const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
let tmp: string;
let daemon: DaemonProcess | null = null;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-rel-web-'));
});
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const args = (web: string): string[] => ['--root', NODE, '--config', '', '--config-dir', '/etc/crio/crio.conf.d', '--no-journal', '--node-facts', 'off', '--state-dir', path.join(tmp, 's'), '--crio-poll-interval', '1h', '--web.config.file', web];
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

/** `run` with a web config; resolves with the exit code, stderr and the time it took (killed after 15 s). */
function runToExit(web: string): Promise<{ code: number | null; stderr: string; ms: number; maxRssKb: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = spawn(process.execPath, [CLI, 'run', '--web.listen-address', '127.0.0.1:0', ...args(web)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let maxRssKb = 0;
    const rss = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8'));
        if (m) maxRssKb = Math.max(maxRssKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    const killer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.on('exit', (code) => {
      clearTimeout(killer);
      clearInterval(rss);
      resolve({ code, stderr, ms: Date.now() - t0, maxRssKb });
    });
  });
}

describe('TLS and web config files are read bounded and non-blocking (issue #11 item 15)', () => {
  it('a cert_file that is a FIFO, or /dev/zero, fails start-up at once with one line naming the file', async () => {
    const fifo = path.join(tmp, 'cert.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    fs.writeFileSync(path.join(tmp, 'key.pem'), 'KEY');
    for (const cert of [fifo, '/dev/zero']) {
      const web = path.join(tmp, 'web.yml');
      fs.writeFileSync(web, `tls_server_config:\n  cert_file: ${cert}\n  key_file: key.pem\n`);
      const r = await runToExit(web);
      console.log(`cert_file ${cert}: exit ${r.code} after ${r.ms} ms, max RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB`);
      expect(r.code).toBe(3);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('crio-sentinel run:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`cannot read cert_file ${cert}`);
      expect(lines[0]).toMatch(/not a regular file/);
      expect(r.maxRssKb).toBeLessThan(400 * 1024);
    }
  }, 60_000);

  it('a web config file that is a FIFO fails start-up at once', async () => {
    const fifo = path.join(tmp, 'web.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await runToExit(fifo);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/web config .*web\.fifo: cannot read: .*FIFO \(named pipe\), not a regular file/);
  }, 30_000);
});

describe('basic auth under a flood, and SIGHUP (issue #11 items 5 and 6)', () => {
  it('a flood of wrong passwords in parallel: a logged-in user keeps getting 200 and a new one gets in', async () => {
    const web = path.join(tmp, 'web.yml');
    fs.writeFileSync(web, `basic_auth_users:\n  alice: ${bcrypt.hashSync('alice-pw', 10)}\n  bob: ${bcrypt.hashSync('bob-pw', 10)}\n`);
    daemon = await startDaemon(args(web));
    expect((await daemon.get('/metrics', basic('alice', 'alice-pw'))).status).toBe(200);
    let stop = false;
    const flood: Record<string, number> = {};
    const flooder = async (i: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const user = n % 3 === 0 ? 'alice' : `mallory${i}-${n}`;
        try {
          const r = await fetch(new URL('metrics', daemon!.url), { headers: basic(user, `guess-${n}`), signal: AbortSignal.timeout(10_000) });
          await r.text();
          flood[r.status] = (flood[r.status] ?? 0) + 1;
        } catch {
          flood.error = (flood.error ?? 0) + 1;
        }
      }
    };
    const flooders = Array.from({ length: 64 }, (_, i) => flooder(i));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const alice: number[] = [];
      for (let i = 0; i < 16; i++) {
        alice.push((await daemon.get('/metrics', basic('alice', 'alice-pw'))).status);
        await new Promise((r) => setTimeout(r, 250));
      }
      // bob has never logged in: his check must get a turn although the flood fills the queues
      const t0 = Date.now();
      const bob = await daemon.get('/metrics', basic('bob', 'bob-pw'));
      const bobMs = Date.now() - t0;
      console.log(`flood of 64 parallel wrong-password clients: ${JSON.stringify(flood)} so far; alice ${JSON.stringify(alice)}; bob's first login ${bob.status} after ${bobMs} ms`);
      expect(alice).toEqual(Array(16).fill(200));
      expect(bob.status).toBe(200);
      expect(flood['200'] ?? 0).toBe(0);
    } finally {
      stop = true;
      await Promise.all(flooders);
    }
  }, 60_000);

  it('SIGHUP re-reads --web.config.file: a removed user gets 401 right after the reload', async () => {
    const web = path.join(tmp, 'web.yml');
    const alice = bcrypt.hashSync('alice-pw', 4);
    const bob = bcrypt.hashSync('bob-pw', 4);
    fs.writeFileSync(web, `basic_auth_users:\n  alice: ${alice}\n  bob: ${bob}\n`);
    daemon = await startDaemon(args(web));
    expect((await daemon.get('/metrics', basic('alice', 'alice-pw'))).status).toBe(200);
    expect((await daemon.get('/metrics', basic('bob', 'bob-pw'))).status).toBe(200);
    fs.writeFileSync(web, `basic_auth_users:\n  bob: ${bob}\n`);
    daemon.child.kill('SIGHUP');
    await waitFor('the web config applied', async () => /msg="web config applied"/.test(daemon!.stderr()));
    expect((await daemon.get('/metrics', basic('alice', 'alice-pw'))).status).toBe(401);
    expect((await daemon.get('/metrics', basic('bob', 'bob-pw'))).status).toBe(200);
    // a broken file on SIGHUP keeps the running config, with one error line
    fs.writeFileSync(web, 'basic_auth_users: [\n');
    daemon.child.kill('SIGHUP');
    await waitFor('the reload error', async () => /web config not reloaded/.test(daemon!.stderr()));
    expect((await daemon.get('/metrics', basic('bob', 'bob-pw'))).status).toBe(200);
    expect(daemon.alive()).toBe(true);
  }, 30_000);
});
