/**
 * The benchmark harness runs end to end on a tiny size and writes results.json in the documented
 * shape; the parsers it relies on (wrk --latency output, Prometheus text) read what they must.
 * No figure is asserted: performance belongs to `npm run bench`, not to unit tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, parseWrk } from '../../bench/daemon.js';
import { median, percentile } from '../../bench/measure.js';
import { grepPatterns } from '../../bench/run.js';
import { needBinary } from '../helpers/binaries.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const RUN = path.join(REPO, 'dist/bench/run.js');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-bench-run-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const WRK_OUTPUT = `Running 3s test @ http://127.0.0.1:40123/metrics
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.02ms  21.52ms   90.12%
    Req/Sec    10.31k   612.40    11.20k    71.67%
  Latency Distribution
     50%    2.95ms
     75%    3.40ms
     90%    4.01ms
     99%  812.00us
  61583 requests in 3.00s, 1.21GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  20520.61
Transfer/sec:    412.33MB
`;

describe('bench helpers', () => {
  it('parses wrk --latency output, converting units and summing errors', () => {
    const w = parseWrk(WRK_OUTPUT);
    expect(w.p50).toBe(2.95);
    expect(w.p90).toBe(4.01);
    expect(w.p99).toBe(0.812);
    expect(w.rps).toBe(20520.61);
    expect(w.requests).toBe(61583);
    expect(w.errors).toBe(3);
    expect(w.non2xx).toBe(4);
    expect(parseWrk(WRK_OUTPUT.replace(/\s+Socket errors.*\n/, '\n').replace(/\s+Non-2xx.*\n/, '\n')).errors).toBe(0);
  });

  it('sums a metric family in Prometheus text, optionally by label', () => {
    const text = [
      '# HELP crio_sentinel_container_kill_failures_total x',
      'crio_sentinel_container_kill_failures_total{reason="permission_denied",runtime="nvidia"} 3',
      'crio_sentinel_container_kill_failures_total{reason="other",runtime="runc"} 2',
      'crio_sentinel_container_kill_failures_total_created 1',
      'crio_sentinel_default_runtime_info{runtime="runc",runtime_path="/usr/libexec/crio/runc"} 1',
    ].join('\n');
    expect(metricSum(text, 'crio_sentinel_container_kill_failures_total')).toBe(5);
    expect(metricSum(text, 'crio_sentinel_container_kill_failures_total', 'runtime="runc"')).toBe(2);
    expect(metricSum(text, 'crio_sentinel_default_runtime_info', 'runtime="nvidia"')).toBeNull();
  });

  it('computes medians and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
  });

  it('greps for the classifier prefilters, escaped for ERE', () => {
    const pats = grepPatterns();
    expect(pats).toContain('Killing container ');
    expect(pats.some((p) => p.includes('\\(PLEG\\)'))).toBe(true);
    for (const p of pats) expect(() => new RegExp(p)).not.toThrow();
  });
});

describe('bench harness', () => {
  it('runs scan-vs-grep, follow-cpu and memory-10m on a tiny journal and writes results.json', async (ctx) => {
    if (!needBinary('systemd-journal-remote', 'systemd-journal-remote') || !needBinary('journalctl', 'systemd')) return ctx.skip();
    if (!fs.existsSync(RUN)) throw new Error(`${RUN} is missing: run \`npm run build\` (npm test does it before vitest)`);
    const out = path.join(tmp, 'results.json');
    const r = spawnSync(process.execPath, [RUN, 'scan-vs-grep', 'follow-cpu', 'memory-10m', '--quick', '--entries', '3000', '--reps', '1', '--memory-entries', '20000', '--memory-containers', '2000', '--out', out, '--work', path.join(tmp, 'work')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(fs.readFileSync(out, 'utf8')) as { machine: { cpus: number; node: string; date: string }; benchmarks: Record<string, { value: number | null; baseline: number | null; ratio: number | null; limit: number; pass: boolean | null; runs: number[]; skipped?: string }> };
    expect(res.machine.cpus).toBeGreaterThan(0);
    expect(res.machine.node).toBe(process.version);
    for (const name of ['scan-vs-grep', 'follow-cpu', 'memory-10m']) {
      const b = res.benchmarks[name]!;
      expect(b.skipped, `${name}: ${b.skipped}`).toBeUndefined();
      expect(b.value).toBeGreaterThan(0);
      expect(b.baseline).toBeGreaterThanOrEqual(0);
      // CPU figures have 10 ms resolution: a tiny grep may measure 0, then there is no ratio
      if (b.baseline! > 0) {
        expect(b.ratio).toBeCloseTo(b.value! / b.baseline!, 1);
        expect(typeof b.pass).toBe('boolean');
      } else expect(b.ratio).toBeNull();
      expect(b.runs.length).toBeGreaterThan(0);
    }
    // the table is printed
    expect(r.stdout).toMatch(/^benchmark\s+value\s+baseline\s+ratio\s+limit\s+pass$/m);
    expect(r.stdout).toMatch(/^follow-cpu\s/m);
  });
});
