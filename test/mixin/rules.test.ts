import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { needBinary } from '../helpers/binaries.js';
import { isProcessMetric, METRIC_CONTRACT, metricNames } from './dashboard-lint.js';
import { markdownAnchors } from './markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RULES = path.join(ROOT, 'dashboards/crio-sentinel.rules.yml');
const RULE_TESTS = path.join(ROOT, 'dashboards/crio-sentinel.rules.test.yml');
const RUNBOOKS = path.join(ROOT, 'docs/runbooks.md');
const RUNBOOK_BASE = 'https://github.com/crio-sentinel/crio-sentinel/blob/main/docs/runbooks.md#';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RuleTestFile {
  tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[] }[];
}

const ruleFile = parse(fs.readFileSync(RULES, 'utf8')) as RuleFile;
const alerts = ruleFile.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');

const REQUIRED = [
  'CrioSentinelPodStuckTerminating',
  'CrioSentinelNvidiaDefaultRuntime',
  'CrioSentinelStopFailuresUnderNvidiaDefault',
  'CrioSentinelExecPermissionDeniedLoop',
  'CrioSentinelCrioWillNotStart',
  'CrioSentinelPendingRuntimeChange',
  'CrioSentinelJournalDown',
  'CrioSentinelDown',
  'PodStuckTerminatingOnNvidiaDefaultNode',
];

function durationMs(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  }
  return total;
}

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('alert rules: conventions', () => {
  it('has every alert the issue asks for, with unique names', () => {
    const names = alerts.map((a) => a.alert);
    for (const r of REQUIRED) expect(names).toContain(r);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s follows the mixin conventions', (name, a) => {
    expect(name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    if (name !== 'PodStuckTerminatingOnNvidiaDefaultNode') expect(name.startsWith('CrioSentinel')).toBe(true);
    expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
    const ann = a.annotations ?? {};
    expect(ann.summary, 'static summary').toBeTruthy();
    expect(ann.summary).not.toContain('{{');
    // the description names the node; the absence alert has no node (and no labels) to name
    if (name !== 'CrioSentinelAbsent') {
      expect(ann.description).toContain('{{');
      expect(ann.description).toMatch(/\$labels\.(node|instance)/);
    }
    if (/Pod/.test(name)) expect(ann.description).toContain('$labels.pod');
    expect(ann.runbook_url).toBe(RUNBOOK_BASE + name.toLowerCase());
    // a rolling restart of a healthy node must not page: every alert waits
    expect(durationMs(a.for ?? '0s')).toBeGreaterThanOrEqual(2 * 60_000);
  });

  it('uses only metric names of the daemon contract (plus up and kube-state-metrics)', () => {
    const KSM = new Set(['kube_pod_deletion_timestamp', 'kube_pod_info']);
    const unknown = alerts
      .flatMap((a) => metricNames(a.expr).map((n) => `${a.alert}: ${n}`))
      .filter((x) => {
        const n = x.split(': ')[1]!;
        return n !== 'up' && !KSM.has(n) && !METRIC_CONTRACT.has(n) && !isProcessMetric(n);
      });
    expect(unknown).toEqual([]);
  });

  it('every runbook_url anchor exists in docs/runbooks.md', () => {
    const anchors = markdownAnchors(fs.readFileSync(RUNBOOKS, 'utf8'));
    const missing = alerts.map((a) => a.annotations?.runbook_url ?? '').filter((u) => !anchors.has(u.slice(RUNBOOK_BASE.length)));
    expect(missing).toEqual([]);
  });

  it('the anchor check finds GitHub heading anchors and nothing else (it can fail)', () => {
    const anchors = markdownAnchors('# Title\n## CrioSentinelDown\n```sh\n# not a heading\n```\n## CrioSentinelDown\n');
    expect([...anchors]).toEqual(['title', 'criosentineldown', 'criosentineldown-1']);
    expect(anchors.has('not-a-heading')).toBe(false);
  });

  it('the promtool tests cover every alert with a not-yet time, a firing time and a later time where it resolved', () => {
    const tests = parse(fs.readFileSync(RULE_TESTS, 'utf8')) as RuleTestFile;
    for (const a of alerts) {
      // within one test group (one set of input series): quiet, then firing, then quiet again
      const lifecycle = tests.tests.some((t) => {
        const mine = (t.alert_rule_test ?? []).filter((c) => c.alertname === a.alert);
        const fired = mine.filter((c) => c.exp_alerts.length > 0).map((c) => durationMs(c.eval_time));
        const quiet = mine.filter((c) => c.exp_alerts.length === 0).map((c) => durationMs(c.eval_time));
        if (fired.length === 0) return false;
        return quiet.some((q) => q < Math.min(...fired)) && quiet.some((q) => q > Math.min(...fired));
      });
      expect(lifecycle, `${a.alert}: one test group where it is quiet, fires, then resolves`).toBe(true);
    }
  });
});

describe('alert rules: promtool', () => {
  const promtool = needBinary('promtool', 'prometheus');

  it.skipIf(!promtool)('promtool check rules accepts the rule file', () => {
    const r = spawnSync(promtool!, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('promtool test rules passes', () => {
    const r = spawnSync(promtool!, ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('the resolve tests notice an alert on a metric that never drops (they can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-rules-'));
    tmpDirs.push(dir);
    // exec_loops counts loops ever seen: an alert on it keeps firing after the loop stopped (issue #10)
    const text = fs.readFileSync(RULES, 'utf8').replace('(crio_sentinel_exec_loops_active > 0)', '(crio_sentinel_exec_loops > 0)');
    expect(text).not.toBe(fs.readFileSync(RULES, 'utf8'));
    fs.writeFileSync(path.join(dir, 'crio-sentinel.rules.yml'), text);
    fs.copyFileSync(RULE_TESTS, path.join(dir, 'crio-sentinel.rules.test.yml'));
    const r = spawnSync(promtool!, ['test', 'rules', path.join(dir, 'crio-sentinel.rules.test.yml')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/alertname: CrioSentinelExecPermissionDeniedLoop, time: 15m,\s*exp:\[\]/);
  });

  it.skipIf(!promtool)('the promtool tests notice a changed for duration (they can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-rules-'));
    tmpDirs.push(dir);
    const text = fs.readFileSync(RULES, 'utf8').replace(/for: 15m/g, 'for: 14m');
    expect(text).not.toBe(fs.readFileSync(RULES, 'utf8'));
    fs.writeFileSync(path.join(dir, 'crio-sentinel.rules.yml'), text);
    fs.copyFileSync(RULE_TESTS, path.join(dir, 'crio-sentinel.rules.test.yml'));
    const r = spawnSync(promtool!, ['test', 'rules', path.join(dir, 'crio-sentinel.rules.test.yml')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('CrioSentinelNvidiaDefaultRuntime');
  });
});
