/**
 * `vs-npd` (issue #12): crio-sentinel's daemon against node-problem-detector (NPD) on the same
 * journal files, run alternately, each reading the whole backlog to exact counts.
 *
 *   pure   N crio + kubelet entries (default 1 M), from the bench generator
 *   mixed  the same N plus 4·N entries of other units (default 5 M in all): an app's JSON logs,
 *          PID 1 about other units, sshd, kernel lines (mostly info, 1 % notice), cron
 *
 * Timestamps lie between the machine's boot and now: NPD's journald watcher starts at boot time
 * (with a lookback larger than the uptime), the daemon's follower reads its 1 h lookback window.
 *
 * NPD runs with three journald log monitors shaped like its kernel-monitor.json (sources crio,
 * kubelet and kernel; bufferSize 1; temporary rules for the stop/kill/exec failures, missing
 * handlers, reloads and AppArmor signal denials) and a last rule per source that matches an end
 * marker written after every other entry of that source. NPD is done when every rule's
 * problem_counter equals the number of entries the rule matches (counted here with the same
 * regular expressions while the journal is written) and the three end markers are counted.
 * The daemon (`crio-sentinel run`, fresh state directory) is done when crio_sentinel_journal_entries_total
 * equals the number of entries its journalctl matches select.
 *
 * Measured per run: CPU of the process tree at the moment it is done (utime+stime of each live
 * process plus what it reaped: journalctl included for the daemon), wall time from spawn to done,
 * peak anonymous RSS (RssAnon of /proc/<pid>/status, sampled at every poll) of the main process
 * and of the tree. Both are polled every POLL_MS over loopback HTTP (1 s: a /metrics render of the
 * daemon during a catch-up is not free, and a poll every 100 ms made it a large part of the run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, metricSum, get, benchNodeTree, type BenchResult } from './daemon.js';
import { createJournalGenerator, emitter, EMITTERS, writeEntriesToJournal, type Emitter, type GenEntry } from './generate.js';
import { freePort, median, processTree, round, sleep, treeCpu } from './measure.js';
import { createPrng } from './prng.js';

export const VS_NPD_RESULTS = ['vs-npd-pure', 'vs-npd-mixed'] as const;

export interface VsNpdOptions {
  cli: string;
  work: string;
  quick: boolean;
  reps: number;
  log: (msg: string) => void;
  /** the node-problem-detector binary (NPD_BIN) */
  npdBin: string | undefined;
  /** crio + kubelet entries of each journal (default 1 M; quick 20 000) */
  entries?: number;
  /** how NPD gets its rules (default combined: the least work for NPD) */
  npdRules?: NpdRuleLayout;
  /** only these journals (default both) */
  journals?: readonly ('pure' | 'mixed')[];
}

const POLL_MS = 1000;
const END_MARKER = 'crio-sentinel bench end marker';

interface Rule {
  reason: string;
  pattern: string;
}

/**
 * NPD rules per journald source. The patterns use only literals, [0-9a-f], `.*` and escaped
 * parentheses, so Go's RE2 (NPD: pattern + `\z` against the buffer) and JavaScript (pattern + `$`
 * against one message) match the same messages: `.` crosses no newline in either, so a match that
 * ends at the end of NPD's 10-line buffer lies inside its newest message.
 */
export const NPD_RULES: Record<'crio' | 'kubelet' | 'kernel', Rule[]> = {
  crio: [
    { reason: 'CrioKillFailed', pattern: 'Killing container [0-9a-f]{64} failed: .*' },
    { reason: 'CrioStopTimeout', pattern: 'Stopping container [0-9a-f]{64} with stop signal.*timed out.*' },
    { reason: 'CrioBlockedProcess', pattern: 'Detected process \\([0-9]+\\) .*blocked.*' },
    { reason: 'CrioHandlerMissing', pattern: 'failed to find runtime handler .* from runtime list.*' },
    { reason: 'CrioDefaultRuntimeSet', pattern: 'Set config default_runtime to .*' },
    { reason: 'BenchEndCrio', pattern: END_MARKER },
  ],
  kubelet: [
    { reason: 'KubeletStopFailed', pattern: '"StopContainer from runtime service failed".*' },
    { reason: 'KubeletKillFailed', pattern: '"Container termination failed with gracePeriod".*' },
    { reason: 'KubeletExecFailed', pattern: '"ExecSync cmd from runtime service failed".*' },
    { reason: 'KubeletProbeErrored', pattern: '"Probe errored".*' },
    { reason: 'KubeletSyncError', pattern: '"Error syncing pod, skipping".*' },
    { reason: 'BenchEndKubelet', pattern: END_MARKER },
  ],
  kernel: [
    { reason: 'KernelAppArmorSignalDenied', pattern: 'apparmor="DENIED" operation="signal".*' },
    { reason: 'BenchEndKernel', pattern: END_MARKER },
  ],
};

/**
 * How NPD gets the rules: `combined` (default), one rule per source whose pattern is the
 * alternation of that source's patterns (end marker included), or `separate`, one rule per
 * pattern. NPD compiles and runs every rule on every message, so `combined` is the least work
 * for the same detections: the conservative baseline.
 */
export type NpdRuleLayout = 'combined' | 'separate';

export function npdRules(source: keyof typeof NPD_RULES, layout: NpdRuleLayout): Rule[] {
  if (layout === 'separate') return NPD_RULES[source];
  return [{ reason: `${source[0]!.toUpperCase()}${source.slice(1)}AnyProblem`, pattern: `(?:${NPD_RULES[source].map((r) => r.pattern).join('|')})` }];
}

/** NPD's system-log-monitor config for one journald source (kernel-monitor.json's shape). */
export function npdMonitorConfig(source: keyof typeof NPD_RULES, journalDir: string, layout: NpdRuleLayout = 'combined'): Record<string, unknown> {
  return {
    plugin: 'journald',
    pluginConfig: { source },
    logPath: journalDir,
    // NPD starts at max(boot, now - lookback): a lookback longer than any uptime means "since boot"
    lookback: '8760h',
    // our patterns are one line each: with bufferSize 1 NPD does the least work for the same
    // counts (kernel-monitor.json's 10 makes every rule scan ten joined lines; on the 1 M pure
    // journal that was about 230 CPU s instead of about 35)
    bufferSize: 1,
    source: `${source}-monitor`,
    metricsReporting: true,
    conditions: [],
    rules: npdRules(source, layout).map((r) => ({ type: 'temporary', reason: r.reason, pattern: r.pattern })),
  };
}

// ------------------------------------------------------------------ journals

/** Boot time of this machine in µs since the epoch (now - /proc/uptime). */
export function bootTimeUs(nowUs = Date.now() * 1000): number {
  const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return nowUs - Math.floor(up * 1e6);
}

export interface JournalSpec {
  dir: string;
  /** entries written */
  entries: number;
  /** entries the daemon's FOLLOW_MATCHES select */
  followSelected: number;
  /** NPD: expected problem_counter per reason */
  npdExpected: Record<string, number>;
  bytes: number;
}

/** systemd (PID 1) lines name the unit they are about in UNIT= */
function pid1About(unit: string): Emitter {
  const e = emitter('pid1', { unit: 'init.scope', identifier: 'systemd', transport: 'journal', comm: 'systemd', exe: '/usr/lib/systemd/systemd', cmdline: '/sbin/init', facility: 3 });
  return { ...e, staticText: `${e.staticText}UNIT=${unit}\n`, staticJson: `${e.staticJson},"UNIT":${JSON.stringify(unit)}` };
}

const OTHER = {
  app: emitter('app', { unit: 'trainer-api.service', identifier: 'trainer-api', transport: 'stdout', comm: 'python3', exe: '/usr/bin/python3.12', cmdline: 'python3 -m trainer_api --port 8080', streamId: '5a4b3c2d1e0f4a5b6c7d8e9f0a1b2c3d', uid: 1000 }),
  pid1Session: pid1About('logrotate.service'),
  sshd: emitter('sshd', { unit: 'ssh.service', identifier: 'sshd', transport: 'syslog', comm: 'sshd', exe: '/usr/sbin/sshd', cmdline: 'sshd: core [priv]', facility: 10 }),
  cron: emitter('cron', { unit: 'cron.service', identifier: 'CRON', transport: 'syslog', comm: 'cron', exe: '/usr/sbin/cron', cmdline: '/usr/sbin/cron -f -P', facility: 9 }),
  kernelInfo: emitter('kernel', { unit: null, identifier: 'kernel', transport: 'kernel', facility: 0, priority: 6 }),
  kernelWarn: emitter('kernel', { unit: null, identifier: 'kernel', transport: 'kernel', facility: 0, priority: 4 }),
  kernelNotice: emitter('kernel', { unit: null, identifier: 'kernel', transport: 'kernel', facility: 0, priority: 5 }),
} as const;


function compileRules(): { source: keyof typeof NPD_RULES; reason: string; re: RegExp }[] {
  return (Object.keys(NPD_RULES) as (keyof typeof NPD_RULES)[]).flatMap((source) =>
    [...npdRules(source, 'separate'), ...npdRules(source, 'combined')].map((r) => ({ source, reason: r.reason, re: new RegExp(`${r.pattern}$`) })));
}

function sourceOf(e: GenEntry): keyof typeof NPD_RULES | null {
  const id = e.emitter.identifier;
  return id === 'crio' || id === 'kubelet' || id === 'kernel' ? id : null;
}

/**
 * Write one journal: `n` crio + kubelet entries from the generator (other emitters dropped),
 * with `others` entries of other units after each, evenly spaced between startUs and endUs, then
 * the three end markers.
 */
export async function writeBenchJournal(dir: string, n: number, others: number, startUs: number, endUs: number): Promise<JournalSpec> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const total = n * (1 + others) + 3;
  const step = Math.max(1, Math.floor((endUs - startUs) / total));
  const gen = createJournalGenerator({ entries: n * 3, endUs: startUs, stepUs: 1 });
  const bootUs = bootTimeUs();
  const rng = createPrng(4242);
  const rules = compileRules();
  const npdExpected: Record<string, number> = {};
  for (const r of rules) npdExpected[r.reason] = 0;
  let written = 0;
  let kept = 0;
  let selected = 0;
  let pendingOthers = 0;
  let markers = 0;
  const markerEmitters: Emitter[] = [EMITTERS.crio, EMITTERS.kubelet, OTHER.kernelNotice];
  const at = (): { realtimeUs: number; monotonicUs: number } => {
    const realtimeUs = startUs + written * step;
    return { realtimeUs, monotonicUs: realtimeUs - bootUs };
  };
  const count = (e: GenEntry): GenEntry => {
    written++;
    const src = sourceOf(e);
    if (e.emitter.transport === 'kernel' ? e.emitter.staticText.includes('PRIORITY=5\n') : src !== null) selected++;
    if (src !== null) {
      const msg = (typeof e.message === 'string' ? e.message : e.message.toString('utf8')).trim();
      for (const r of rules) if (r.source === src && r.re.test(msg)) npdExpected[r.reason]!++;
    }
    return e;
  };
  const other = (): GenEntry => {
    const t = at();
    const k = rng.int(1000);
    const i = written;
    let em: Emitter;
    let message: string;
    let pid: number | null;
    if (k < 500) {
      em = OTHER.app;
      pid = 3100;
      message = `{"ts":${Math.floor(t.realtimeUs / 1000)},"level":"info","logger":"trainer_api.http","msg":"request done","method":"GET","path":"/v1/jobs/${i % 100_000}","status":200,"duration_ms":${rng.int(900)},"trace_id":"${(i * 2654435761 >>> 0).toString(16)}"}`;
    } else if (k < 625) {
      em = OTHER.pid1Session;
      pid = 1;
      message = k & 1 ? 'Starting logrotate.service - Rotate log files...' : 'logrotate.service: Deactivated successfully.';
    } else if (k < 750) {
      em = OTHER.sshd;
      pid = 30_000 + rng.int(9999);
      message = `Accepted publickey for core from 10.0.${rng.int(255)}.${rng.int(255)} port ${1024 + rng.int(60000)} ssh2: ED25519 SHA256:pTq3JkqQy0r1mMZcM5Y3x5uFh8yX4cS2a1C9m0d7e2Q`;
    } else if (k < 850) {
      // kernel: 1 % notice (not AppArmor denials), some warnings, mostly info
      pid = null;
      if (k === 750) {
        em = OTHER.kernelNotice;
        message = `audit: type=1400 audit(${Math.floor(t.realtimeUs / 1e6)}.${rng.int(999)}:${i}): apparmor="STATUS" operation="profile_replace" info="same as current profile, skipping" profile="unconfined" name="crio-default" pid=${9000 + rng.int(999)} comm="apparmor_parser"`;
      } else if (k < 760) {
        em = OTHER.kernelWarn;
        message = `NVRM: Xid (PCI:0000:3b:00): 13, pid=${40_000 + rng.int(9999)}, Graphics SM Warp Exception on (GPC 0, TPC 1, SM 0): Out Of Range Address`;
      } else {
        em = OTHER.kernelInfo;
        message = `cni0: port ${1 + rng.int(60)}(veth${(i * 40503 >>> 0).toString(16)}) entered ${k & 1 ? 'forwarding' : 'blocking'} state`;
      }
    } else {
      em = OTHER.cron;
      pid = 50_000 + rng.int(9999);
      message = k & 1 ? '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)' : 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)';
    }
    return count({ ...t, emitter: em, pid, unit: null, message });
  };
  const next = (): GenEntry | null => {
    if (pendingOthers > 0) {
      pendingOthers--;
      return other();
    }
    if (kept < n) {
      for (let e = gen.next(); e !== null; e = gen.next()) {
        if (e.emitter.identifier !== 'crio' && e.emitter.identifier !== 'kubelet') continue;
        kept++;
        pendingOthers = others;
        return count({ ...e, ...at() });
      }
      throw new Error(`the generator gave fewer than ${n} crio and kubelet entries`);
    }
    if (markers < markerEmitters.length) {
      const em = markerEmitters[markers++]!;
      return count({ ...at(), emitter: em, pid: em.identifier === 'kernel' ? null : 4242, unit: null, message: END_MARKER });
    }
    return null;
  };
  await writeEntriesToJournal(next, path.join(dir, 'system.journal'));
  let bytes = 0;
  for (const f of fs.readdirSync(dir)) bytes += fs.statSync(path.join(dir, f)).size;
  return { dir, entries: written, followSelected: selected, npdExpected, bytes };
}

// ------------------------------------------------------------------ runs

interface Run {
  cpuSeconds: number;
  wallSeconds: number;
  /** peak RssAnon of the main process, MiB */
  peakAnonMiB: number;
  /** peak of the summed RssAnon of the process tree, MiB */
  peakTreeAnonMiB: number;
  counts: Record<string, number>;
  loadavg: number;
}

function rssAnonKb(pid: number): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Poll until `done` answers true; samples RSS at every poll. Throws on timeout or when a count overshoots. */
async function watch(child: ChildProcess, spawnedAt: bigint, poll: () => Promise<{ done: boolean; counts: Record<string, number> }>, timeoutMs: number, what: string): Promise<Run> {
  const pid = child.pid!;
  let peak = 0;
  let peakTree = 0;
  const load0 = os.loadavg()[0] ?? 0;
  const end = Date.now() + timeoutMs;
  let last: Record<string, number> = {};
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before reading its backlog`);
    const tree = processTree(pid);
    peak = Math.max(peak, rssAnonKb(pid));
    peakTree = Math.max(peakTree, tree.reduce((s, p) => s + rssAnonKb(p), 0));
    let r: { done: boolean; counts: Record<string, number> } | null = null;
    try {
      r = await poll();
    } catch {
      // not listening yet
    }
    if (r) {
      last = r.counts;
      if (r.done) {
        const cpuSeconds = treeCpu(pid);
        const wallSeconds = Number(process.hrtime.bigint() - spawnedAt) / 1e9;
        return { cpuSeconds: round(cpuSeconds, 2), wallSeconds: round(wallSeconds, 2), peakAnonMiB: round(peak / 1024, 1), peakTreeAnonMiB: round(peakTree / 1024, 1), counts: r.counts, loadavg: round(((os.loadavg()[0] ?? 0) + load0) / 2, 2) };
      }
    }
    if (Date.now() > end) throw new Error(`${what}: counts not reached within ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
    await sleep(POLL_MS);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

async function runNpd(bin: string, spec: JournalSpec, work: string, timeoutMs: number, layout: NpdRuleLayout): Promise<Run> {
  const cfgDir = path.join(work, 'npd-config');
  fs.mkdirSync(cfgDir, { recursive: true });
  const configs = (Object.keys(NPD_RULES) as (keyof typeof NPD_RULES)[]).map((s) => {
    const f = path.join(cfgDir, `${s}-monitor.json`);
    fs.writeFileSync(f, JSON.stringify(npdMonitorConfig(s, spec.dir, layout), null, 2));
    return f;
  });
  const port = await freePort();
  const args = [
    `--config.system-log-monitor=${configs.join(',')}`,
    '--enable-k8s-exporter=false',
    '--port=0',
    '--prometheus-address=127.0.0.1',
    `--prometheus-port=${port}`,
    '--hostname-override=bench-node',
  ];
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    return await watch(child, spawnedAt, async () => {
      const text = (await get(url)).text;
      const counts: Record<string, number> = {};
      let done = true;
      const reasons = new Set((Object.keys(NPD_RULES) as (keyof typeof NPD_RULES)[]).flatMap((src) => npdRules(src, layout).map((r) => r.reason)));
      for (const r of reasons) if (spec.npdExpected[r] === undefined) throw new Error(`no expected count for NPD rule ${r}`);
      for (const [reason, want] of Object.entries(spec.npdExpected)) {
        if (!reasons.has(reason)) continue;
        const v = metricSum(text, 'problem_counter', `reason="${reason}"`) ?? -1;
        counts[reason] = v;
        if (v > want) throw new Error(`NPD counted ${v} ${reason}, expected ${want}`);
        if (v !== want) done = false;
      }
      return { done, counts };
    }, timeoutMs, 'node-problem-detector');
  } finally {
    await stopChild(child);
  }
}

async function runSentinel(cli: string, spec: JournalSpec, root: string, work: string, timeoutMs: number): Promise<Run> {
  const state = fs.mkdtempSync(path.join(work, 'state-'));
  const { daemon, spawnedAt } = await startDaemon(cli, ['--root', root, '--state-dir', state, '--journal-directory', spec.dir, '--crio-version', '1.33.4', '--log-level', 'warn'], { count: 0 });
  const url = new URL('metrics', daemon.url).href;
  try {
    return await watch(daemon.child, spawnedAt, async () => {
      const text = (await get(url)).text;
      const entries = metricSum(text, 'crio_sentinel_journal_entries_total') ?? 0;
      if (entries > spec.followSelected) throw new Error(`the daemon counted ${entries} entries, its matches select ${spec.followSelected}`);
      return { done: entries === spec.followSelected, counts: { entries, killFailures: metricSum(text, 'crio_sentinel_container_kill_failures_total') ?? -1 } };
    }, timeoutMs, 'crio-sentinel run');
  } finally {
    await daemon.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
}

function summarize(name: string, limitCpu: number, spec: JournalSpec, npd: Run[], cs: Run[], layout: NpdRuleLayout): BenchResult {
  const m = (rs: Run[], k: keyof Run): number => median(rs.map((r) => r[k] as number));
  const cpu = m(cs, 'cpuSeconds');
  const npdCpu = m(npd, 'cpuSeconds');
  const wall = m(cs, 'wallSeconds');
  const npdWall = m(npd, 'wallSeconds');
  const cpuRatio = round(cpu / npdCpu, 3);
  const wallRatio = round(wall / npdWall, 3);
  // ratios of the pairs run back to back (rep k: both runs of rep k)
  const pairRatios = cs.map((r, k) => round(r.cpuSeconds / (npd[k]?.cpuSeconds ?? NaN), 3));
  const peakAnon = Math.max(...cs.map((r) => r.peakAnonMiB));
  return {
    metric: `CPU seconds (process trees: node + journalctl vs NPD) to read the whole backlog of the ${name} journal to exact counts: crio-sentinel run vs node-problem-detector`,
    unit: 'cpu-s',
    value: cpu,
    baseline: npdCpu,
    ratio: cpuRatio,
    limit: limitCpu,
    pass: cpuRatio <= limitCpu && wallRatio <= 0.25 && peakAnon <= 64,
    runs: cs.map((r) => r.cpuSeconds),
    details: {
      baselineRuns: npd.map((r) => r.cpuSeconds),
      pairCpuRatios: pairRatios,
      wallSeconds: { sentinel: cs.map((r) => r.wallSeconds), npd: npd.map((r) => r.wallSeconds), medianRatio: wallRatio, limit: 0.25 },
      peakAnonRssMiB: { sentinel: cs.map((r) => r.peakAnonMiB), sentinelTree: cs.map((r) => r.peakTreeAnonMiB), npd: npd.map((r) => r.peakAnonMiB), limit: 64 },
      journal: { entries: spec.entries, bytes: spec.bytes, followSelected: spec.followSelected },
      counts: { sentinel: cs[0]?.counts, npd: npd[0]?.counts, npdExpected: spec.npdExpected },
      loadavg1m: { sentinel: cs.map((r) => r.loadavg), npd: npd.map((r) => r.loadavg) },
      order: 'alternating: NPD first in even reps, crio-sentinel first in odd reps',
      npdRules: layout,
      pollSeconds: POLL_MS / 1000,
    },
  };
}

function skipped(reason: string): Record<string, BenchResult> {
  const out: Record<string, BenchResult> = {};
  for (const n of VS_NPD_RESULTS) out[n] = { metric: n, unit: '', value: null, baseline: null, ratio: null, limit: null, pass: null, runs: [], skipped: reason };
  return out;
}

/**
 * A journal written by an earlier run in the same --work directory, when it is still inside both
 * windows: same boot, same size, its first entry less than 40 min old (the daemon's lookback is 1 h).
 */
function reusable(dir: string, n: number, nowUs: number, bootUs: number): JournalSpec | null {
  try {
    const s = JSON.parse(fs.readFileSync(`${dir}.json`, 'utf8')) as JournalSpec & { n: number; startUs: number; bootUs: number };
    const reasons = compileRules().map((r) => r.reason);
    if (reasons.some((r) => s.npdExpected?.[r] === undefined)) return null;
    if (s.n !== n || Math.abs(s.bootUs - bootUs) > 5_000_000 || s.startUs < nowUs - 40 * 60_000_000 || !fs.existsSync(path.join(dir, 'system.journal'))) return null;
    return { dir, entries: s.entries, followSelected: s.followSelected, npdExpected: s.npdExpected, bytes: s.bytes };
  } catch {
    return null;
  }
}

/** Why the vs-npd benchmark cannot run with this NPD_BIN, or null when it can. */
export function npdSkipReason(npdBin: string | undefined): string | null {
  if (!npdBin) return 'NPD_BIN is not set: build node-problem-detector v0.8.20 (docs/performance.md, "vs-npd") and run NPD_BIN=/path/to/node-problem-detector npm run bench -- vs-npd';
  try {
    fs.accessSync(npdBin, fs.constants.X_OK);
  } catch {
    return `NPD_BIN=${npdBin} is not an executable file`;
  }
  return null;
}

export async function runVsNpd(o: VsNpdOptions): Promise<Record<string, BenchResult>> {
  const why = npdSkipReason(o.npdBin);
  if (why !== null) {
    o.log(`vs-npd skipped: ${why}`);
    return skipped(why);
  }
  const n = o.entries ?? (o.quick ? 20_000 : 1_000_000);
  const base = path.join(o.work, 'vs-npd');
  fs.mkdirSync(base, { recursive: true });
  const root = path.join(base, 'root');
  benchNodeTree(root);
  const out: Record<string, BenchResult> = {};
  const timeoutMs = (o.quick ? 120 : 1800) * 1000;
  for (const [name, others, limit] of [['pure', 0, 0.22], ['mixed', 4, 0.25]] as const) {
    if (o.journals && !o.journals.includes(name)) continue;
    // inside both windows, taken when the journal is written: after boot (+30 s), and at most
    // 10 min back, so that the daemon's 1 h lookback still holds every entry after a slow
    // generation and all the reps
    const nowUs = Date.now() * 1000;
    const bootUs = bootTimeUs(nowUs);
    const startUs = Math.max(bootUs + 30_000_000, nowUs - 10 * 60_000_000);
    const endUs = nowUs - 2_000_000;
    if (endUs - startUs < 5 * n) return skipped(`the machine booted ${((nowUs - bootUs) / 1e6).toFixed(0)} s ago: too recently to place ${5 * n} entries between boot and now`);
    const t0 = Date.now();
    const dir = path.join(base, `journal-${name}`);
    const spec = reusable(dir, n, nowUs, bootUs) ?? (await writeBenchJournal(dir, n, others, startUs, endUs));
    fs.writeFileSync(path.join(base, `journal-${name}.json`), JSON.stringify({ ...spec, n, startUs, bootUs }));
    o.log(`vs-npd ${name}: ${Date.now() - t0 < 1000 ? 'reused' : 'wrote'} ${spec.entries} entries (${(spec.bytes / 2 ** 20).toFixed(0)} MiB) in ${((Date.now() - t0) / 1000).toFixed(0)} s; daemon selects ${spec.followSelected}; NPD expects ${JSON.stringify(spec.npdExpected)}`);
    const npd: Run[] = [];
    const cs: Run[] = [];
    for (let k = 0; k < o.reps; k++) {
      const order = k % 2 === 0 ? ['npd', 'cs'] : ['cs', 'npd'];
      for (const who of order) {
        if (who === 'npd') npd.push(await runNpd(o.npdBin!, spec, base, timeoutMs, o.npdRules ?? 'combined'));
        else cs.push(await runSentinel(o.cli, spec, root, base, timeoutMs));
      }
      const a = cs[cs.length - 1]!;
      const b = npd[npd.length - 1]!;
      o.log(`vs-npd ${name} rep ${k + 1}: crio-sentinel ${a.cpuSeconds} s CPU, ${a.wallSeconds} s wall, ${a.peakAnonMiB} MiB anon; NPD ${b.cpuSeconds} s CPU, ${b.wallSeconds} s wall, ${b.peakAnonMiB} MiB anon (load ${a.loadavg}/${b.loadavg})`);
    }
    out[`vs-npd-${name}`] = summarize(name, limit, spec, npd, cs, o.npdRules ?? 'combined');
  }
  return out;
}

