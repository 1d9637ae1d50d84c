/**
 * `npm run bench` — crio-sentinel's performance benchmarks (issues #3 and #4).
 *
 *   node dist/bench/run.js [NAME ...] [--quick] [--entries N] [--reps N] [--out FILE] [--work DIR] [--keep]
 *
 * Every figure is a median of several repetitions, and every path is measured against a baseline
 * run side by side in the same run (ratios, because machines are noisy). Results go to
 * bench/results.json (bench/results-quick.json with --quick) and are printed as a table.
 * Running only some benchmarks merges their results into the existing file. Exit status 0 unless
 * the run itself fails; with --strict, 1 when a figure is over its limit.
 *
 * `vs-npd` (issue #12, bench/vs-npd.ts) needs NPD_BIN=/path/to/node-problem-detector; without it
 * it is reported as skipped, with the reason.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PATTERNS } from '../src/events/patterns.js';
import { DAEMON_BENCHMARKS, runDaemonBenchmarks, type BenchResult } from './daemon.js';
import { runCriPoll } from './cri.js';
import { JOURNAL_REMOTE, writeJournalDirectoryFile } from './generate.js';
import { median, round, runChild, shippedNodeFlags, type ChildRun } from './measure.js';
import { NAIVE_PATTERN_COUNT } from './naive.js';
import { runVsNpd, VS_NPD_RESULTS } from './vs-npd.js';
import { runConfigHostile } from './config-hostile.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Other work may rebuild dist/ while a long run is under way; the run uses a private copy of the
 * build (dist/ + package.json, node_modules linked) taken when it starts.
 */
function snapshotBuild(work: string): string {
  const app = path.join(work, 'app');
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  fs.cpSync(path.join(REPO, 'dist'), path.join(app, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(app, 'node_modules'));
  return app;
}

export const BENCHMARKS = ['scan-vs-grep', 'follow-cpu', 'memory-10m', ...DAEMON_BENCHMARKS, 'vs-npd', 'config-hostile', 'cri-poll'] as const;

export interface Results {
  machine: { cpus: number; cpuModel: string; node: string; date: string; memoryGb: number };
  params: Record<string, unknown>;
  benchmarks: Record<string, BenchResult>;
}

interface Ctx {
  /** the built CLI and bench workers (inside the build snapshot) */
  cli: string;
  workers: string;
  quick: boolean;
  entries: number;
  reps: number;
  work: string;
  memoryEntries: number;
  memoryContainers: number;
  log: (msg: string) => void;
  journalDir?: string;
  exportFile?: string;
}

/** value / baseline, or null when the baseline is below the clock resolution (tiny inputs). */
function ratioOf(value: number, baseline: number, digits: number): number | null {
  return baseline > 0 ? round(value / baseline, digits) : null;
}

const escapeEre = (s: string): string => s.replace(/[\\.[\]()*+?{}|^$]/g, '\\$&');

/** The classifier's prefilter substrings, as the grep baseline patterns. */
export function grepPatterns(): string[] {
  return [...new Set(PATTERNS.map((p) => p.prefilter))].filter((p) => p.length > 0).map(escapeEre);
}

function check(r: ChildRun, what: string, okCodes: number[] = [0]): ChildRun {
  if (r.code === null || !okCodes.includes(r.code)) throw new Error(`${what} exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

/** Last JSON line a worker printed on stderr. */
function workerSummary(r: ChildRun): Record<string, unknown> {
  const lines = r.stderr.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
  } catch {
    return { stderr: lines.slice(-3).join(' | ') };
  }
}

async function journalDir(ctx: Ctx): Promise<string> {
  if (ctx.journalDir) return ctx.journalDir;
  const dir = path.join(ctx.work, `journal-${ctx.entries}`);
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) {
    if (!fs.existsSync(JOURNAL_REMOTE)) throw new Error(`${JOURNAL_REMOTE} missing: apt-get install --no-install-recommends systemd-journal-remote`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    const stats = await writeJournalDirectoryFile({ entries: ctx.entries }, path.join(dir, 'system.journal'));
    fs.writeFileSync(marker, JSON.stringify(stats));
    ctx.log(`generated journal of ${ctx.entries} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(stats)}`);
  }
  ctx.journalDir = dir;
  return dir;
}

async function exportFile(ctx: Ctx): Promise<string> {
  if (ctx.exportFile) return ctx.exportFile;
  const dir = await journalDir(ctx);
  const file = path.join(ctx.work, `journal-${ctx.entries}.export`);
  if (!fs.existsSync(file)) {
    // what an SRE pipes into scan: the whole journal in export format
    const out = fs.openSync(file, 'w');
    try {
      await new Promise<void>((resolve, reject) => {
        import('node:child_process').then(({ spawn }) => {
          const c = spawn('journalctl', [`--directory=${dir}`, '--output=export', '--no-pager'], { stdio: ['ignore', out, 'inherit'] });
          c.once('error', reject);
          c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`journalctl -o export exited ${code}`))));
        }, reject);
      });
    } finally {
      fs.closeSync(out);
    }
  }
  ctx.exportFile = file;
  return file;
}

async function scanVsGrep(ctx: Ctx): Promise<BenchResult> {
  const file = await exportFile(ctx);
  const bytes = fs.statSync(file).size;
  const pats = grepPatterns();
  const grepArgs = ['-a', '-c', '-E', ...pats.flatMap((p) => ['-e', p]), file];
  const scanCmd = [ctx.cli, 'scan', '--journal', file, '--output', 'json'];
  // CPU time (user+sys) is the figure: on a shared 2-core machine wall time mostly measures the
  // neighbours. Wall times are kept in the details.
  const scanRuns: number[] = [];
  const grepRuns: number[] = [];
  const scanWall: number[] = [];
  const grepWall: number[] = [];
  let grepCount = '';
  let scanSummary: Record<string, unknown> = {};
  for (let k = 0; k < ctx.reps; k++) {
    const g = check(await runChild('grep', grepArgs, { env: { ...process.env, LC_ALL: 'C' } }), 'grep', [0, 1]);
    grepRuns.push(round(g.cpuSeconds, 2));
    grepWall.push(round(g.wallSeconds, 3));
    grepCount = g.stdout.trim();
    const s = check(await runChild(process.execPath, [...shippedNodeFlags(ctx.cli), ...scanCmd], { keepStdout: 1 << 20 }), 'scan', [0, 1, 2]);
    scanRuns.push(round(s.cpuSeconds, 2));
    scanWall.push(round(s.wallSeconds, 3));
    try {
      const snap = JSON.parse(s.stdout) as { entries?: number; killFailures?: unknown[]; stuckTerminating?: unknown[]; findings?: unknown[] };
      scanSummary = { entries: snap.entries, killFailureRows: snap.killFailures?.length, stuckRows: snap.stuckTerminating?.length, findings: snap.findings?.length };
    } catch {
      scanSummary = { stdout: s.stdout.slice(0, 200) };
    }
    ctx.log(`scan-vs-grep rep ${k + 1}: scan ${s.cpuSeconds.toFixed(2)} s CPU (${s.wallSeconds.toFixed(2)} s wall), grep ${g.cpuSeconds.toFixed(2)} s CPU (${g.wallSeconds.toFixed(2)} s wall)`);
  }
  const value = median(scanRuns);
  const baseline = median(grepRuns);
  const ratio = ratioOf(value, baseline, 2);
  return {
    metric: 'CPU seconds (user+sys) of scan over the export stream vs grep -cE with the classifier prefilters over the same file',
    unit: 'cpu-s', value, baseline, ratio, limit: 5, pass: ratio === null ? null : ratio <= 5, runs: scanRuns,
    details: {
      baselineRuns: grepRuns,
      wallSeconds: { scan: scanWall, grep: grepWall, medianRatio: round(median(scanWall) / median(grepWall), 2) },
      subject: 'node dist/src/cli.js scan --journal FILE --output json',
      grep: `LC_ALL=C grep -a -c -E (${pats.length} patterns)`,
      grepMatches: Number(grepCount),
      bytes,
      mbPerCpuSecondScan: round(bytes / 1e6 / value, 1),
      mbPerCpuSecondGrep: baseline > 0 ? round(bytes / 1e6 / baseline, 1) : null,
      scan: scanSummary,
    },
  };
}

async function followCpu(ctx: Ctx): Promise<BenchResult> {
  const dir = await journalDir(ctx);
  const runs: number[] = [];
  const naive: number[] = [];
  let fSum: Record<string, unknown> = {};
  let nSum: Record<string, unknown> = {};
  for (let k = 0; k < ctx.reps; k++) {
    const f = check(await runChild(process.execPath, [...shippedNodeFlags(ctx.cli), ctx.workers, 'follow-export', '--dir', dir], { keepStdout: 0 }), 'follow-export');
    runs.push(round(f.cpuSeconds, 2));
    fSum = workerSummary(f);
    const n = check(await runChild(process.execPath, [ctx.workers, 'naive-json', '--dir', dir], { keepStdout: 0 }), 'naive-json');
    naive.push(round(n.cpuSeconds, 2));
    nSum = workerSummary(n);
    ctx.log(`follow-cpu rep ${k + 1}: export path ${f.cpuSeconds.toFixed(2)} s CPU (${f.wallSeconds.toFixed(1)} s wall), naive ${n.cpuSeconds.toFixed(2)} s CPU (${n.wallSeconds.toFixed(1)} s wall)`);
  }
  // where the time goes (one run each): journalctl alone, with each path's arguments and as each path
  // spawns it; and the follow path with journalctl writing 4 KiB at a time (no stdbuf)
  const { journalctlArgs, journalctlCommand, FOLLOW_MATCHES } = await import('../src/journal/journalctl.js');
  const xc = journalctlCommand('journalctl', journalctlArgs({ directory: dir, follow: false }));
  const jx = check(await runChild(xc.file, xc.args, { keepStdout: 0 }), 'journalctl export');
  const jj = check(await runChild('journalctl', [`--directory=${dir}`, '--output=json', '--all', '--no-pager', ...FOLLOW_MATCHES], { keepStdout: 0 }), 'journalctl json');
  const unbuffered = check(await runChild(process.execPath, [...shippedNodeFlags(ctx.cli), ctx.workers, 'follow-export', '--dir', dir, '--no-stdbuf'], { keepStdout: 0 }), 'follow-export --no-stdbuf');
  ctx.log(`follow-cpu: journalctl alone ${jx.cpuSeconds.toFixed(2)} s (export${xc.buffered ? ', stdbuf' : ''}) vs ${jj.cpuSeconds.toFixed(2)} s (json); follow path without stdbuf ${unbuffered.cpuSeconds.toFixed(2)} s`);
  const value = median(runs);
  const baseline = median(naive);
  const ratio = ratioOf(value, baseline, 3);
  return {
    metric: 'CPU seconds (user+sys, process tree incl. journalctl) of the follow path vs the naive path',
    unit: 'cpu-s', value, baseline, ratio, limit: 0.3, pass: ratio === null ? null : ratio <= 0.3, runs,
    details: {
      baselineRuns: naive,
      followPath: `${xc.buffered ? 'stdbuf -o64K ' : ''}journalctl -o export --output-fields=… + createExportParser + createEventPipeline (readJournalDirectory)`,
      journalctlUnderStdbuf: xc.buffered,
      followPathWithoutStdbufCpu: round(unbuffered.cpuSeconds, 2),
      followPathWithoutStdbufRatio: ratioOf(unbuffered.cpuSeconds, baseline, 3),
      naivePath: `journalctl -o json --all + readline + JSON.parse + ${NAIVE_PATTERN_COUNT} regexes on every entry`,
      journalctlOnlyExportCpu: round(jx.cpuSeconds, 2),
      journalctlOnlyJsonCpu: round(jj.cpuSeconds, 2),
      follow: fSum,
      naive: nSum,
    },
  };
}

async function memory10m(ctx: Ctx): Promise<BenchResult> {
  // the generator runs in its own process and pipes export bytes in, as journalctl does for the daemon
  const gen = spawn(process.execPath, [ctx.workers, 'generate-export', '--entries', String(ctx.memoryEntries), '--containers', String(ctx.memoryContainers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const halfAt = Math.floor(ctx.memoryEntries / 2);
  const r = check(
    await runChild(process.execPath, ['--expose-gc', ...shippedNodeFlags(ctx.cli), ctx.workers, 'memory-stream', '--half', String(halfAt)], { keepStdout: 0, stdinPipe: gen.stdout }),
    'memory worker',
  );
  const s = workerSummary(r) as { points?: { entries: number; rssBytes: number; heapUsedBytes: number; heapTotalBytes?: number; externalBytes?: number; seconds: number }[]; baseRssBytes?: number; pipeline?: unknown; stats?: unknown };
  const pts = s.points ?? [];
  const half = pts[0];
  const full = pts[1];
  if (!half || !full) throw new Error(`memory worker printed no measurements: ${JSON.stringify(s).slice(0, 300)}`);
  const mb = (b: number): number => round(b / (1024 * 1024), 1);
  const value = mb(full.rssBytes);
  const baseline = mb(half.rssBytes);
  const ratio = round(full.rssBytes / half.rssBytes, 3);
  ctx.log(`memory: RSS ${baseline} MiB at ${half.entries}, ${value} MiB at ${full.entries} (${r.wallSeconds.toFixed(0)} s)`);
  return {
    metric: `RSS after ${full.entries} entries with ${ctx.memoryContainers} distinct containers (forced GC); baseline = RSS at ${half.entries}`,
    unit: 'MiB', value, baseline, ratio, limit: 100, pass: value <= 100 && ratio <= 1.1, runs: [value],
    details: {
      growthLimit: 1.1,
      heapUsedMiB: [mb(half.heapUsedBytes), mb(full.heapUsedBytes)],
      heapTotalMiB: [mb(half.heapTotalBytes ?? 0), mb(full.heapTotalBytes ?? 0)],
      externalMiB: [mb(half.externalBytes ?? 0), mb(full.externalBytes ?? 0)],
      startRssMiB: s.baseRssBytes ? mb(s.baseRssBytes) : null,
      entriesPerSecond: round(full.entries / full.seconds, 0),
      pipeline: s.pipeline,
      correlator: s.stats,
      note: 'the daemon path: a generator process pipes export bytes into a child (the shipped Node flags + --expose-gc) running createExportParser with the follower\'s prefilter -> createEventPipeline',
    },
  };
}

function printTable(res: Results, names: readonly string[]): void {
  const rows = [['benchmark', 'value', 'baseline', 'ratio', 'limit', 'pass']];
  for (const n of names.flatMap((x) => (x === 'vs-npd' ? [...VS_NPD_RESULTS] : [x]))) {
    const b = res.benchmarks[n];
    if (!b) continue;
    if (b.skipped) {
      rows.push([n, 'skipped', '', '', '', b.skipped.slice(0, 60)]);
      continue;
    }
    const lim = n === 'memory-10m' ? `${b.limit} ${b.unit}, growth ≤ 1.1` : n === 'scan-vs-grep' || n === 'follow-cpu' ? `ratio ≤ ${b.limit}` : n.startsWith('vs-npd') ? `CPU ≤ ${b.limit}×, wall ≤ 0.25×, anon ≤ 64 MiB` : `${b.limit} ${b.unit}`;
    rows.push([n, `${b.value} ${b.unit}`, b.baseline === null ? '-' : `${b.baseline} ${b.unit}`, b.ratio === null ? '-' : String(b.ratio), lim, b.pass === null ? '?' : b.pass ? 'PASS' : 'FAIL']);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ').trimEnd() + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      entries: { type: 'string' },
      reps: { type: 'string' },
      'memory-entries': { type: 'string' },
      'memory-containers': { type: 'string' },
      out: { type: 'string' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: node dist/bench/run.js [${BENCHMARKS.join('|')} ...] [--quick] [--entries N] [--reps N] [--memory-entries N] [--memory-containers N] [--out FILE] [--work DIR] [--keep] [--strict]\n`);
    return 0;
  }
  const unknown = positionals.filter((p) => !(BENCHMARKS as readonly string[]).includes(p));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})\n`);
    return 3;
  }
  const names: string[] = positionals.length ? positionals : [...BENCHMARKS];
  const quick = values.quick;
  const userWork = values.work !== undefined;
  const work = values.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-bench-'));
  fs.mkdirSync(work, { recursive: true });
  const app = snapshotBuild(work);
  const ctx: Ctx = {
    cli: path.join(app, 'dist/src/cli.js'),
    workers: path.join(app, 'dist/bench/workers.js'),
    quick,
    entries: Number(values.entries ?? (quick ? 20_000 : 1_000_000)),
    reps: Number(values.reps ?? (quick ? 2 : 3)),
    work,
    memoryEntries: Number(values['memory-entries'] ?? (quick ? 200_000 : 10_000_000)),
    memoryContainers: Number(values['memory-containers'] ?? (quick ? 20_000 : 1_000_000)),
    log: (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  };
  const out = values.out ?? path.join(REPO, 'bench', quick ? 'results-quick.json' : 'results.json');
  let previous: Results['benchmarks'] = {};
  try {
    previous = (JSON.parse(fs.readFileSync(out, 'utf8')) as Results).benchmarks ?? {};
  } catch {
    // first run
  }
  const res: Results = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString(), memoryGb: round(os.totalmem() / 2 ** 30, 1) },
    params: { quick, entries: ctx.entries, reps: ctx.reps, memoryEntries: ctx.memoryEntries, memoryContainers: ctx.memoryContainers, seed: 20260 },
    benchmarks: { ...previous },
  };
  const save = (): void => fs.writeFileSync(out, JSON.stringify(res, null, 2) + '\n');
  const t0 = Date.now();
  try {
    const single: Record<string, (c: Ctx) => Promise<BenchResult>> = { 'scan-vs-grep': scanVsGrep, 'follow-cpu': followCpu, 'memory-10m': memory10m, 'config-hostile': (c) => runConfigHostile({ ...c, repo: REPO }), 'cri-poll': runCriPoll };
    for (const n of names) {
      const fn = single[n];
      if (!fn) continue;
      ctx.log(`${n} ...`);
      try {
        res.benchmarks[n] = { ...(await fn(ctx)), measuredAt: new Date().toISOString() };
      } catch (err) {
        res.benchmarks[n] = { metric: n, unit: '', value: null, baseline: null, ratio: null, limit: null, pass: null, runs: [], skipped: err instanceof Error ? err.message : String(err) };
      }
      save();
    }
    const daemonNames = new Set(names.filter((n) => (DAEMON_BENCHMARKS as readonly string[]).includes(n)));
    if (daemonNames.size) {
      ctx.log(`daemon benchmarks: ${[...daemonNames].join(', ')} ...`);
      const at = new Date().toISOString();
      for (const [n, r] of Object.entries(await runDaemonBenchmarks({ cli: ctx.cli, work, quick, names: daemonNames, log: ctx.log }))) res.benchmarks[n] = { ...r, measuredAt: at };
      save();
    }
    if (names.includes('vs-npd')) {
      ctx.log('vs-npd ...');
      const at = new Date().toISOString();
      try {
        for (const [n, r] of Object.entries(await runVsNpd({ cli: ctx.cli, work, quick, reps: Number(values.reps ?? (quick ? 1 : 3)), log: ctx.log, npdBin: process.env.NPD_BIN, ...(values.entries ? { entries: ctx.entries } : {}), ...(process.env.VS_NPD_RULES === 'separate' ? { npdRules: 'separate' as const } : {}), ...(process.env.VS_NPD_JOURNALS ? { journals: process.env.VS_NPD_JOURNALS.split(',') as ('pure' | 'mixed')[] } : {}) }))) {
          res.benchmarks[n] = { ...r, measuredAt: at };
        }
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        ctx.log(`vs-npd failed: ${why}`);
        for (const n of VS_NPD_RESULTS) res.benchmarks[n] = { metric: n, unit: '', value: null, baseline: null, ratio: null, limit: null, pass: null, runs: [], skipped: `failed: ${why}` };
      }
      save();
    }
  } finally {
    if (!userWork && !values.keep) fs.rmSync(work, { recursive: true, force: true });
    else fs.rmSync(app, { recursive: true, force: true });
  }
  ctx.log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s; results in ${path.relative(process.cwd(), out) || out}`);
  printTable(res, names);
  // a figure over its limit is a finding, not a crash; --strict makes it the exit status
  const failed = names.flatMap((x) => (x === 'vs-npd' ? [...VS_NPD_RESULTS] : [x])).some((n) => res.benchmarks[n]?.pass === false);
  return values.strict && failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 3;
  });
}
