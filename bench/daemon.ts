/**
 * Daemon benchmarks (issue #4), against the real `node dist/src/cli.js run` on a temporary node
 * tree, a journal directory made with systemd-journal-remote, and loopback HTTP:
 *   start-to-ready     spawn -> first GET /readyz 200 (median of N starts)
 *   idle-cpu           CPU of the daemon's process tree (with its journalctl) over an idle period, % of one core
 *   idle-cpu-cri       the same for a second daemon polling a fake CRI of 200 running containers, measured
 *                      over the same window; idle-cpu (its CRI socket absent) is the baseline
 *   metrics-wrk-cri    /metrics p99 under wrk -c64 of the daemon polling the fake CRI (its container
 *                      series on /metrics); baseline: the same wrk on the daemon without a CRI socket, right after
 *   config-to-metric   drop-in rewritten (atomic rename) -> /metrics shows the new default runtime (p99)
 *   journal-to-metric  kill-failure entry appended to the journal file -> kill-failure counter moves (p99)
 *   metrics-wrk        wrk -t2 -c64 --latency against /metrics: p99 latency and errors
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { exportRecord, EMITTERS, writeJournalDirectoryFile, type GenEntry, JOURNAL_REMOTE } from './generate.js';
import { CRI_POLL_CONTAINERS, startFakeCriChild } from './cri.js';
import { median, percentile, processTree, round, runChild, shippedNodeFlags, sleep, treeCpu } from './measure.js';

export interface DaemonBenchOptions {
  /** dist/src/cli.js to run */
  cli: string;
  work: string;
  quick: boolean;
  /** which daemon benchmarks to run */
  names: ReadonlySet<string>;
  log: (msg: string) => void;
}

export interface BenchResult {
  metric: string;
  unit: string;
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  limit: number | null;
  pass: boolean | null;
  runs: number[];
  details?: Record<string, unknown>;
  skipped?: string;
  /** when this figure was measured (results of partial runs are merged) */
  measuredAt?: string;
}

export const DAEMON_BENCHMARKS = ['start-to-ready', 'idle-cpu', 'idle-cpu-cri', 'metrics-wrk-cri', 'config-to-metric', 'journal-to-metric', 'metrics-wrk'] as const;

/** The wrk baseline: node:http answering every request with a fixed body (no framework, no work). */
const BARE_SERVER = `
const http = require('node:http');
const body = require('node:fs').readFileSync(process.argv[1]);
const srv = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': body.length }); res.end(body); });
srv.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + srv.address().port + '/metrics\\n'));
`;

const PACKAGED = `[crio.runtime]
default_runtime = "crun"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/libexec/crio/crun"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"

[crio.runtime.runtimes.nvidia]
runtime_path = "/usr/bin/nvidia-container-runtime"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
`;

function put(root: string, hostPath: string, content: string, mode = 0o644): void {
  const p = path.join(root, hostPath);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content, { mode });
}

function atomicWrite(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Sum of all samples of a metric family in Prometheus text (optionally only those whose labels contain `labelPart`). */
export function metricSum(text: string, name: string, labelPart = ''): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labelPart && !rest.includes(labelPart)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** wrk --latency output: latency percentiles in ms, requests/s, errors. */
export function parseWrk(out: string): { p50: number | null; p90: number | null; p99: number | null; rps: number | null; requests: number | null; errors: number; non2xx: number } {
  const unit = (v: string, u: string): number => Number(v) * (u === 'us' ? 0.001 : u === 's' ? 1000 : u === 'm' ? 60_000 : 1);
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? round(unit(m[1] as string, m[2] as string), 3) : null;
  };
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = se ? se.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  const nx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const req = /(\d+) requests in /.exec(out);
  return { p50: pct('50'), p90: pct('90'), p99: pct('99'), rps: rps ? Number(rps[1]) : null, requests: req ? Number(req[1]) : null, errors, non2xx: nx ? Number(nx[1]) : 0 };
}

export interface Daemon {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** The node tree the daemon benchmarks run on: crun, runc and the nvidia wrapper, the packaged drop-in. */
export function benchNodeTree(root: string): void {
  for (const bin of ['/usr/libexec/crio/crun', '/usr/libexec/crio/runc', '/usr/libexec/crio/conmon', '/usr/bin/nvidia-container-runtime']) put(root, bin, '#!/bin/sh\nexit 0\n', 0o755);
  put(root, '/etc/nvidia-container-runtime/config.toml', '[nvidia-container-runtime]\nruntimes = ["/usr/libexec/crio/runc"]\n');
  put(root, '/etc/crio/crio.conf.d/10-crio.conf', PACKAGED);
  fs.mkdirSync(path.join(root, 'var/run/crio'), { recursive: true });
}

/** Start `crio-sentinel run` (listening on a free loopback port); one retry when it dies before listening (counted). */
export async function startDaemon(cli: string, args: string[], retries: { count: number }): Promise<{ daemon: Daemon; spawnedAt: bigint }> {
  try {
    return await startDaemonOnce(cli, args);
  } catch {
    retries.count++;
    return startDaemonOnce(cli, args);
  }
}

async function startDaemonOnce(cli: string, args: string[], timeoutMs = 20_000): Promise<{ daemon: Daemon; spawnedAt: bigint }> {
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [...shippedNodeFlags(cli), cli, 'run', '--web.listen-address', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => { if (err.length < 16384) err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon printed no URL within ${timeoutMs} ms: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    }, timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /(https?:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}) before listening: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { daemon: { child, url, stop }, spawnedAt };
}

export async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

async function pollUntil<T>(fn: () => Promise<T | null>, timeoutMs: number, intervalMs = 5): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch {
      // not up yet
    }
    await sleep(intervalMs);
  }
  return null;
}

/** `wrk -t2 -c64 --latency` against `url` for `secs` seconds: its parsed figures, or why it did not run. */
async function wrkLatency(url: string, secs: number): Promise<ReturnType<typeof parseWrk> | string> {
  const r = await runChild('wrk', ['-t2', '-c64', `-d${secs}s`, '--latency', url]).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
  return r.code === 0 ? parseWrk(r.stdout) : `wrk failed: ${r.stderr.trim().split('\n')[0]} (Debian package wrk)`;
}

/** One kill-failure entry through the NVIDIA wrapper, timestamped now, as export text. */
function killFailureEntry(seq: number): Buffer {
  const nowUs = Date.now() * 1000 - 1000;
  const id = (seq.toString(16).padStart(8, '0') + 'be7c4a5f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f00').slice(0, 64);
  const t = new Date(Math.floor(nowUs / 1000)).toISOString().replace('Z', '000000Z');
  const e: GenEntry = {
    realtimeUs: nowUs,
    monotonicUs: 5_000_000_000 + seq,
    emitter: EMITTERS.crio,
    pid: 1873,
    unit: null,
    message: `time="${t}" level=error msg="Killing container ${id} failed: \`/usr/bin/nvidia-container-runtime --root /run/runc --systemd-cgroup kill ${id} KILL\` failed: time=\\"${t.slice(0, 19)}Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1"`,
  };
  return exportRecord(e);
}

async function appendToJournal(file: string, record: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(JOURNAL_REMOTE, ['-o', file, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { err += d; });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`journal-remote exited ${code}: ${err.trim()}`))));
    child.stdin.end(record);
  });
}

function skippedAll(names: ReadonlySet<string>, reason: string): Record<string, BenchResult> {
  const out: Record<string, BenchResult> = {};
  for (const n of names) out[n] = { metric: n, unit: '', value: null, baseline: null, ratio: null, limit: null, pass: null, runs: [], skipped: reason };
  return out;
}

export async function runDaemonBenchmarks(o: DaemonBenchOptions): Promise<Record<string, BenchResult>> {
  const cli = o.cli;
  if (!fs.existsSync(cli)) return skippedAll(o.names, `${cli} missing: run npm run build`);
  if (!fs.existsSync(JOURNAL_REMOTE)) return skippedAll(o.names, `${JOURNAL_REMOTE} missing: apt-get install systemd-journal-remote`);
  const probe = await runChild(process.execPath, [cli, 'run', '--help']);
  if (probe.code !== 0) return skippedAll(o.names, `crio-sentinel run does not work yet: ${probe.stderr.trim().split('\n')[0] ?? ''}`);

  const base = fs.mkdtempSync(path.join(o.work, 'daemon-'));
  const root = path.join(base, 'root');
  const journalDir = path.join(base, 'journal');
  const journalFile = path.join(journalDir, 'system.journal');
  fs.mkdirSync(journalDir, { recursive: true });
  benchNodeTree(root);
  // a recent incident in the journal so that /metrics carries real state (stuck pods, counters)
  await writeJournalDirectoryFile({ entries: o.quick ? 2000 : 5000, containers: 200, incidentEvery: 150, stepUs: 10_000 }, journalFile);

  const stateDirs: string[] = [];
  const args = (): string[] => {
    const state = fs.mkdtempSync(path.join(base, 'state-'));
    stateDirs.push(state);
    return ['--root', root, '--state-dir', state, '--journal-directory', journalDir, '--crio-version', '1.33.4', '--log-level', 'warn'];
  };
  const results: Record<string, BenchResult> = {};
  const retries = { count: 0 };
  const want = (n: string): boolean => o.names.has(n);

  try {
    if (want('start-to-ready')) {
      const n = o.quick ? 3 : 5;
      const runs: number[] = [];
      for (let k = 0; k < n; k++) {
        const { daemon, spawnedAt } = await startDaemon(cli, args(), retries);
        const ok = await pollUntil(async () => ((await get(new URL('readyz', daemon.url).href)).status === 200 ? true : null), 10_000, 5);
        if (ok) runs.push(round(Number(process.hrtime.bigint() - spawnedAt) / 1e9, 3));
        await daemon.stop();
      }
      const v = runs.length === n ? median(runs) : null;
      results['start-to-ready'] = { metric: 'spawn to /readyz 200, median', unit: 's', value: v, baseline: null, ratio: null, limit: 1, pass: v !== null && v <= 1, runs, details: { starts: n, startRetries: retries.count } };
      o.log(`start-to-ready: ${JSON.stringify(runs)}`);
    }

    const needLong = ['idle-cpu', 'idle-cpu-cri', 'metrics-wrk-cri', 'config-to-metric', 'journal-to-metric', 'metrics-wrk'].some(want);
    if (!needLong) return results;
    const { daemon } = await startDaemon(cli, args(), retries);
    try {
      const metricsUrl = new URL('metrics', daemon.url).href;
      await pollUntil(async () => ((await get(new URL('readyz', daemon.url).href)).status === 200 ? true : null), 15_000, 20);
      // wait until the journal backlog is read (the entry counter stops moving)
      let last = -1;
      for (let k = 0; k < 100; k++) {
        const v = metricSum((await get(metricsUrl)).text, 'crio_sentinel_journal_entries_total') ?? 0;
        if (v > 0 && v === last) break;
        last = v;
        await sleep(200);
      }
      await sleep(1000);

      if (want('idle-cpu') || want('idle-cpu-cri') || want('metrics-wrk-cri')) {
        // 120 s: the figures are 10 ms clock ticks, ~0.1 % of a core is 12 ticks a minute
        const secs = o.quick ? 5 : 120;
        // idle means settled: the first ~20 s after start still carry start-up work (lazy compilation,
        // the backlog's garbage, the first polls); measured 2026-12-03 with the same daemon, a window
        // opened 3 s after start read 0.217 % / 0.316 % (without / with CRI) where one opened after
        // 20 s read 0.133 % / 0.200 %
        const settleMs = o.quick ? 0 : 20_000;
        // the CRI daemon polls a fake CRI-O (child process, not in its tree) of 200 running containers
        let cri: { daemon: Daemon; fake: ChildProcess; polls: () => Promise<number> } | null = null;
        if (want('idle-cpu-cri') || want('metrics-wrk-cri')) {
          const socket = path.join(root, 'c.sock');
          const fake = await startFakeCriChild(socket);
          const { daemon: d } = await startDaemon(cli, [...args(), '--crio-socket', '/c.sock'], retries);
          const url = new URL('metrics', d.url).href;
          const polls = async (): Promise<number> => metricSum((await get(url)).text, 'crio_sentinel_containers') ?? 0;
          cri = { daemon: d, fake, polls };
          // its first (cold) poll done: the 200 containers are on /metrics
          await pollUntil(async () => ((await polls()) >= CRI_POLL_CONTAINERS ? true : null), 20_000, 100);
        }
        try {
          if (want('idle-cpu') || want('idle-cpu-cri')) {
            await sleep(settleMs);
            const trees = [daemon.child.pid!, ...(cri ? [cri.daemon.child.pid!] : [])];
            const c0 = trees.map(treeCpu);
            const t0 = process.hrtime.bigint();
            await sleep(secs * 1000);
            const c1 = trees.map(treeCpu);
            const wall = Number(process.hrtime.bigint() - t0) / 1e9;
            const pct = trees.map((_, i) => round(((c1[i]! - c0[i]!) / wall) * 100, 3));
            const plain = pct[0]!;
            results['idle-cpu'] = { metric: 'CPU of the daemon process tree while idle, % of one core', unit: '%', value: plain, baseline: null, ratio: null, limit: 0.2, pass: plain <= 0.2, runs: [plain], details: { seconds: round(wall, 1), cpuSeconds: round(c1[0]! - c0[0]!, 3), processes: processTree(trees[0]!).length, resolution: '10 ms clock ticks', settledMs: settleMs, criSocket: 'absent (each poll fails fast)' } };
            o.log(`idle-cpu: ${plain}% over ${round(wall, 1)} s`);
            if (cri && want('idle-cpu-cri')) {
              const withCri = pct[1]!;
              results['idle-cpu-cri'] = {
                metric: `CPU of the daemon process tree while idle, polling a fake CRI of ${CRI_POLL_CONTAINERS} running containers every 15 s, % of one core; baseline = idle-cpu (no CRI socket), same window`,
                unit: '%', value: withCri, baseline: plain, ratio: plain > 0 ? round(withCri / plain, 2) : null, limit: 0.2, pass: withCri <= 0.2, runs: [withCri],
                details: { seconds: round(wall, 1), cpuSeconds: round(c1[1]! - c0[1]!, 3), containers: await cri.polls(), criPollInterval: '15 s (default)', resolution: '10 ms clock ticks', settledMs: settleMs },
              };
              o.log(`idle-cpu-cri: ${withCri}% over the same ${round(wall, 1)} s (without a CRI socket: ${plain}%)`);
            }
          }
          if (cri && want('metrics-wrk-cri')) {
            const secs = o.quick ? 3 : 30;
            const criUrl = new URL('metrics', cri.daemon.url).href;
            const body = (await get(criUrl)).text;
            const w = await wrkLatency(criUrl, secs);
            const wb = await wrkLatency(new URL('metrics', daemon.url).href, secs);
            if (typeof w === 'string') {
              results['metrics-wrk-cri'] = { metric: '/metrics p99 under wrk -c64, CRI source on', unit: 'ms', value: null, baseline: null, ratio: null, limit: 5, pass: null, runs: [], skipped: w };
            } else {
              const baseline = typeof wb === 'string' ? null : wb.p99;
              results['metrics-wrk-cri'] = {
                metric: `/metrics p99 latency, wrk -t2 -c64 --latency, daemon polling a fake CRI of ${CRI_POLL_CONTAINERS} containers; baseline = the same wrk on the daemon without a CRI socket, right after`,
                unit: 'ms', value: w.p99, baseline, ratio: w.p99 !== null && baseline ? round(w.p99 / baseline, 2) : null, limit: 5,
                pass: w.p99 !== null && w.p99 <= 5 && w.errors === 0 && w.non2xx === 0, runs: w.p99 !== null ? [w.p99] : [],
                details: { seconds: secs, p50: w.p50, p90: w.p90, rps: w.rps, requests: w.requests, socketErrors: w.errors, non2xx: w.non2xx, bytesPerScrape: body.length, containerSeries: (body.match(/^crio_sentinel_container/gm) ?? []).length, withoutCri: wb },
              };
              o.log(`metrics-wrk-cri: ${JSON.stringify(w)}; without CRI: ${JSON.stringify(wb)}`);
            }
          }
        } finally {
          await cri?.daemon.stop();
          cri?.fake.kill('SIGKILL');
        }
      }

      if (want('config-to-metric')) {
        const n = o.quick ? 10 : 50;
        const file = path.join(root, 'etc/crio/crio.conf.d/99-bench.conf');
        const runs: number[] = [];
        let missed = 0;
        for (let k = 0; k < n; k++) {
          const to = k % 2 === 0 ? 'runc' : 'nvidia';
          const t0 = process.hrtime.bigint();
          atomicWrite(file, `[crio.runtime]\ndefault_runtime = "${to}"\n`);
          const seen = await pollUntil(async () => ((metricSum((await get(metricsUrl)).text, 'crio_sentinel_default_runtime_info', `runtime="${to}"`) ?? 0) >= 1 ? true : null), 5000, 2);
          if (seen) runs.push(round(Number(process.hrtime.bigint() - t0) / 1e9, 4));
          else missed++;
          await sleep(150 + ((k * 37) % 100));
        }
        const p99 = runs.length ? percentile(runs, 99) : null;
        results['config-to-metric'] = { metric: 'drop-in rewritten -> /metrics shows it, p99', unit: 's', value: p99, baseline: null, ratio: null, limit: 0.5, pass: p99 !== null && missed === 0 && p99 <= 0.5, runs, details: { changes: n, missed, median: round(median(runs), 4), pollIntervalMs: 2 } };
        o.log(`config-to-metric: p99 ${p99} s, median ${round(median(runs), 4)} s, missed ${missed}`);
      }

      if (want('journal-to-metric')) {
        const n = o.quick ? 10 : 50;
        const runs: number[] = [];
        let missed = 0;
        for (let k = 0; k < n; k++) {
          const before = metricSum((await get(metricsUrl)).text, 'crio_sentinel_container_kill_failures_total') ?? 0;
          await appendToJournal(journalFile, killFailureEntry(k));
          const t0 = process.hrtime.bigint();
          const seen = await pollUntil(async () => ((metricSum((await get(metricsUrl)).text, 'crio_sentinel_container_kill_failures_total') ?? 0) > before ? true : null), 5000, 2);
          if (seen) runs.push(round(Number(process.hrtime.bigint() - t0) / 1e9, 4));
          else missed++;
          await sleep(100);
        }
        const p99 = runs.length ? percentile(runs, 99) : null;
        results['journal-to-metric'] = { metric: 'entry appended to the journal file -> counter on /metrics, p99', unit: 's', value: p99, baseline: null, ratio: null, limit: 0.5, pass: p99 !== null && missed === 0 && p99 <= 0.5, runs, details: { appends: n, missed, median: runs.length ? round(median(runs), 4) : null, clockStarts: 'after systemd-journal-remote closed the file' } };
        o.log(`journal-to-metric: p99 ${p99} s, missed ${missed}`);
      }

      if (want('metrics-wrk')) {
        const secs = o.quick ? 3 : 30;
        const body = (await get(metricsUrl)).text;
        const w = await wrkLatency(metricsUrl, secs);
        // baseline side by side: a bare node:http server answering with the same bytes, same wrk
        const bodyFile = path.join(base, 'metrics.txt');
        fs.writeFileSync(bodyFile, body);
        const bare = spawn(process.execPath, ['-e', BARE_SERVER, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
        let bareUrl = '';
        try {
          bareUrl = await new Promise<string>((resolve, reject) => {
            bare.stdout!.setEncoding('utf8');
            bare.stdout!.once('data', (d: string) => resolve(d.trim()));
            bare.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
          });
        } catch {
          bareUrl = '';
        }
        const wb = bareUrl ? await wrkLatency(bareUrl, secs) : null;
        bare.kill('SIGTERM');
        if (typeof w === 'string') {
          results['metrics-wrk'] = { metric: '/metrics p99 under wrk -c64', unit: 'ms', value: null, baseline: null, ratio: null, limit: 5, pass: null, runs: [], skipped: w };
        } else {
          const pass = w.p99 !== null && w.p99 <= 5 && w.errors === 0 && w.non2xx === 0;
          const baseline = typeof wb === 'object' && wb !== null ? wb.p99 : null;
          results['metrics-wrk'] = {
            metric: '/metrics p99 latency, wrk -t2 -c64 --latency; baseline = bare node:http server with the same body',
            unit: 'ms', value: w.p99, baseline, ratio: w.p99 !== null && baseline ? round(w.p99 / baseline, 2) : null, limit: 5, pass, runs: w.p99 !== null ? [w.p99] : [],
            details: { seconds: secs, p50: w.p50, p90: w.p90, rps: w.rps, requests: w.requests, socketErrors: w.errors, non2xx: w.non2xx, bytesPerScrape: body.length, bare: typeof wb === 'object' ? wb : null },
          };
          o.log(`metrics-wrk: ${JSON.stringify(w)}; bare server: ${JSON.stringify(wb)}`);
        }
      }
    } finally {
      await daemon.stop();
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    for (const n of o.names) if (!results[n]) results[n] = { metric: n, unit: '', value: null, baseline: null, ratio: null, limit: null, pass: null, runs: [], skipped: `daemon benchmark failed: ${reason}` };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  return results;
}
