import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { needBinary } from '../helpers/binaries.js';
import {
  allTargets,
  counterProblems,
  type Dashboard,
  isProcessMetric,
  METRIC_CONTRACT,
  metricNames,
  substitute,
  variableQuery,
  type DashboardVariable,
} from './dashboard-lint.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DASHBOARD = path.join(ROOT, 'dashboards/crio-sentinel.json');
const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const dataPanels = dash.panels.filter((p) => p.type !== 'row');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('dashboard lint', () => {
  it('has a fixed uid and title', () => {
    expect(dash.uid).toBe('crio-sentinel-node');
    expect(dash.title).toBeTruthy();
  });

  it('has the datasource, job, node and instance variables, chained', () => {
    const vars = new Map(dash.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')?.type).toBe('datasource');
    expect((vars.get('datasource') as { query?: string } | undefined)?.query).toBe('prometheus');
    for (const name of ['job', 'node', 'instance']) expect(vars.get(name)?.type, name).toBe('query');
    expect(variableQuery(vars.get('node')!)).toContain('$job');
    expect(variableQuery(vars.get('instance')!)).toContain('$node');
  });

  it('every panel has a title, a description, a unit and the datasource variable', () => {
    const bad = dataPanels.filter(
      (p) => !p.title?.trim() || !p.description?.trim() || !p.fieldConfig?.defaults?.unit || p.datasource?.uid !== '${datasource}',
    );
    expect(bad.map((p) => p.title ?? `panel ${p.id}`)).toEqual([]);
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
  });

  it('has panels for each area the issue names', () => {
    const text = JSON.stringify(dataPanels.map((p) => p.targets?.map((t) => t.expr)));
    for (const m of [
      'crio_sentinel_default_runtime_info',
      'crio_sentinel_finding_severity',
      'crio_sentinel_findings_active',
      'crio_sentinel_container_kill_failures_total',
      'crio_sentinel_stop_rpc_failures_total',
      'crio_sentinel_exec_permission_denied_total',
      'crio_sentinel_exec_loops_active',
      'crio_sentinel_pod_stuck_terminating_seconds',
      'crio_sentinel_journal_up',
      'crio_sentinel_crio_api_up',
    ])
      expect(text, m).toContain(m);
    const stuck = dataPanels.find((p) => p.targets?.some((t) => t.expr.includes('crio_sentinel_pod_stuck_terminating_seconds')));
    expect(stuck?.type).toBe('table');
    expect(stuck?.fieldConfig?.defaults?.unit).toBe('s');
  });

  it('panels fit the 24-column grid without overlapping', () => {
    const cells = new Set<string>();
    for (const p of dash.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const k = `${i},${j}`;
          expect(cells.has(k), `${p.title} overlaps at ${k}`).toBe(false);
          cells.add(k);
        }
    }
  });

  it('reads counters only through rate()/increase() over $__rate_interval', () => {
    const problems = allTargets(dash).flatMap(({ panel, target }) => counterProblems(target.expr).map((p) => `${panel.title}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('the counter check catches bare and fixed-range counters (it can fail)', () => {
    expect(counterProblems('sum(crio_sentinel_journal_entries_total{job=~"$job"})')).toHaveLength(1);
    expect(counterProblems('rate(crio_sentinel_journal_entries_total[5m])')).toHaveLength(1);
    expect(counterProblems('sum by (unit) (rate(crio_sentinel_journal_entries_total{job=~"$job", x="a)"}[$__rate_interval]))')).toEqual([]);
  });

  it('filters every crio-sentinel series by $job and $instance', () => {
    const bad: string[] = [];
    for (const { panel, target } of allTargets(dash)) {
      for (const m of target.expr.matchAll(/(crio_sentinel_[a-zA-Z0-9_]+)(\{[^}]*\})?/g)) {
        const sel = m[2] ?? '';
        if (!sel.includes('job=~"$job"') || !sel.includes('instance=~"$instance"')) bad.push(`${panel.title}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('filters every panel by $node: each query joins crio_sentinel_node_info with node=~"$node"', () => {
    const NODE_SELECTOR = 'crio_sentinel_node_info{job=~"$job", instance=~"$instance", node=~"$node"}';
    const bad = allTargets(dash)
      .filter(({ target }) => !target.expr.includes(NODE_SELECTOR))
      .map(({ panel, target }) => `${panel.title}/${target.refId}`);
    expect(bad).toEqual([]);
  });

  it('node and instance are multi-value with "All" as a real regex, not an empty or unanchored match', () => {
    for (const name of ['node', 'instance']) {
      const v = dash.templating.list.find((x) => x.name === name) as DashboardVariable & { includeAll?: boolean; multi?: boolean; allValue?: string };
      expect(v.includeAll, name).toBe(true);
      expect(v.multi, name).toBe(true);
      expect(v.allValue, name).toBe('.+');
    }
  });

  it('"Active findings by severity" counts what the page counts (findings_active), not the catalogue defaults', () => {
    const panel = dataPanels.find((p) => p.title === 'Active findings by severity')!;
    expect(panel.targets![0]!.expr).toMatch(/^sum by \(severity\) \(crio_sentinel_findings_active\{/);
    const loops = dataPanels.find((p) => p.title === 'Exec permission-denied loops')!;
    expect(loops.targets![0]!.expr).toContain('crio_sentinel_exec_loops_active{');
  });

  it('uses only metric names of the daemon contract', () => {
    const unknown = allTargets(dash)
      .flatMap(({ target }) => metricNames(target.expr))
      .filter((n) => n.startsWith('crio_sentinel_') && !METRIC_CONTRACT.has(n) && !isProcessMetric(n));
    expect(unknown).toEqual([]);
  });

  const promtool = needBinary('promtool', 'prometheus');
  it.skipIf(!promtool)('every query (panels and variables) parses as PromQL (promtool check rules)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-dash-'));
    tmpDirs.push(dir);
    const rules = allTargets(dash).map(({ panel, target }) => ({
      record: `dashboard:panel_${panel.id}_${target.refId}`,
      expr: substitute(target.expr),
    }));
    for (const v of dash.templating.list) {
      const q = variableQuery(v);
      if (q && v.type === 'query') rules.push({ record: `dashboard:variable_${v.name}`, expr: substitute(q) });
    }
    expect(rules.length).toBeGreaterThan(20);
    const file = path.join(dir, 'queries.rules.yml');
    fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('with two nodes, every panel returns data for an existing node and nothing for an unknown one (promtool test rules)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-dash-'));
    tmpDirs.push(dir);
    const names = [...new Set(allTargets(dash).flatMap(({ target }) => metricNames(target.expr)))].filter((n) => n !== 'crio_sentinel_node_info');
    const input_series: { series: string; values: string }[] = [];
    for (const [i, node] of ['gpu-node-1', 'gpu-node-2'].entries()) {
      const inst = `job="crio-sentinel",instance="10.0.0.${i + 1}:20260"`;
      input_series.push({ series: `crio_sentinel_node_info{${inst},node="${node}",kernel="k",os="o"}`, values: '1x10' });
      for (const n of names) input_series.push({ series: `${n}{${inst}}`, values: n.endsWith('_total') ? '0+1x10' : '1x10' });
    }
    const tests = [
      { node: 'gpu-node-1', want: 1 },
      { node: 'no-such-node', want: 0 },
    ].flatMap(({ node, want }) =>
      allTargets(dash).map(({ panel, target }) => ({
        // 1 when the query returns at least one series, else 0
        expr: `(count(${substitute(target.expr, { job: '.+', instance: '.+', node }, '2m')}) > bool 0) or vector(0)`,
        eval_time: '5m',
        exp_samples: [{ labels: '{}', value: want }],
        // promtool names a failing case by its expression; the title makes it readable
        comment: `${panel.title}/${target.refId} node=${node}`,
      })),
    );
    const file = path.join(dir, 'panels.test.yml');
    fs.writeFileSync(
      file,
      stringify({
        rule_files: [],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series, promql_expr_test: tests.map(({ comment: _c, ...t }) => t) }],
      }),
    );
    const r = spawnSync(promtool!, ['test', 'rules', file], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('the parse check rejects a broken query (it can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-dash-'));
    tmpDirs.push(dir);
    const file = path.join(dir, 'bad.rules.yml');
    fs.writeFileSync(file, stringify({ groups: [{ name: 'bad', rules: [{ record: 'x:y', expr: 'sum by (a (rate(x[1m]))' }] }] }));
    const r = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});
