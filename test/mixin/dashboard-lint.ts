/**
 * Lint helpers for the Grafana dashboard JSON, shared by the lint test and the end-to-end test
 * (which executes the same queries against a real Prometheus).
 */

export interface DashboardTarget {
  expr: string;
  refId: string;
  legendFormat?: string;
  instant?: boolean;
}
export interface DashboardPanel {
  id: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: DashboardTarget[];
}
export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  definition?: string;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

/** The metric names of `crio-sentinel run` (issue #4 §5): the contract dashboards and alerts use. */
export const METRIC_CONTRACT = new Set([
  'crio_sentinel_build_info',
  'crio_sentinel_node_info',
  'crio_sentinel_default_runtime_info',
  'crio_sentinel_default_runtime_is_nvidia',
  'crio_sentinel_runtime_handler_info',
  'crio_sentinel_crio_would_start',
  'crio_sentinel_config_drift',
  'crio_sentinel_config_reloads_total',
  'crio_sentinel_config_last_reload_timestamp_seconds',
  'crio_sentinel_finding_active',
  'crio_sentinel_finding_severity',
  'crio_sentinel_container_kill_failures_total',
  'crio_sentinel_stop_rpc_failures_total',
  'crio_sentinel_exec_permission_denied_total',
  'crio_sentinel_exec_loops',
  'crio_sentinel_exec_loops_active',
  'crio_sentinel_findings_active',
  'crio_sentinel_pods_stuck_terminating',
  'crio_sentinel_pod_stuck_terminating_seconds',
  'crio_sentinel_apparmor_denials_total',
  'crio_sentinel_journal_up',
  'crio_sentinel_journal_entries_total',
  'crio_sentinel_journal_skipped_total',
  'crio_sentinel_journal_restarts_total',
  'crio_sentinel_journal_last_entry_timestamp_seconds',
  'crio_sentinel_crio_api_up',
  'crio_sentinel_nvidia_gpus',
]);

/** prom-client's default process metrics, exported with the crio_sentinel_ prefix. */
export function isProcessMetric(name: string): boolean {
  return /^crio_sentinel_(process|nodejs)_/.test(name);
}

export function allTargets(d: Dashboard): { panel: DashboardPanel; target: DashboardTarget }[] {
  return d.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** Replace Grafana variables with concrete PromQL; `vars` maps job/instance/node to regexes. */
export function substitute(expr: string, vars: Record<string, string> = {}, rateInterval = '1m'): string {
  return expr
    .replace(/\$__rate_interval/g, rateInterval)
    .replace(/\$__interval/g, rateInterval)
    .replace(/\$\{?(job|instance|node)\}?/g, (_m, v: string) => vars[v] ?? '.*');
}

/** The PromQL inside a variable's `label_values(<selector>, label)` (or the query itself). */
export function variableQuery(v: DashboardVariable): string | null {
  const q = typeof v.query === 'string' ? v.query : v.query?.query;
  if (!q) return null;
  const m = /^label_values\((.*),\s*[a-zA-Z_]\w*\)$/.exec(q.trim());
  return m ? (m[1] ?? null) : q;
}

const RANGE_FUNCS = new Set(['rate', 'irate', 'increase']);

/**
 * Problems with counters in one expression: every `*_total` series must be read inside
 * rate()/irate()/increase() with the range `[$__rate_interval]`.
 */
export function counterProblems(expr: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = expr.indexOf(ch, i + 1);
      i = end < 0 ? expr.length : end + 1;
      continue;
    }
    if (ch === '{') {
      // label matchers: skip to the closing brace (strings inside are handled by the quote skip above on re-entry)
      let j = i + 1;
      while (j < expr.length && expr[j] !== '}') {
        const c = expr[j]!;
        if (c === '"' || c === "'") {
          const end = expr.indexOf(c, j + 1);
          j = end < 0 ? expr.length : end + 1;
        } else j++;
      }
      i = j + 1;
      continue;
    }
    if (ch === '(') {
      const before = /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(expr.slice(0, i));
      stack.push(before?.[1] ?? '');
      i++;
      continue;
    }
    if (ch === ')') {
      stack.pop();
      i++;
      continue;
    }
    const id = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    if (id) {
      const name = id[0];
      const next = expr.slice(i + name.length);
      if (name.endsWith('_total') && !/^\s*\(/.test(next)) {
        const inside = stack.some((f) => RANGE_FUNCS.has(f));
        const afterSelector = next.replace(/^\s*\{(?:[^}"']|"[^"]*"|'[^']*')*\}/, '');
        const range = /^\s*\[([^\]]*)\]/.exec(afterSelector);
        if (!inside) problems.push(`counter ${name} is not inside rate()/increase()`);
        else if (range?.[1] !== '$__rate_interval') problems.push(`counter ${name} is not read over [$__rate_interval]`);
      }
      i += name.length;
      continue;
    }
    i++;
  }
  return problems;
}

/** Metric names selected by an expression (identifiers followed by a selector, range, or an operator). */
export function metricNames(expr: string): string[] {
  const out = new Set<string>();
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of noStrings.matchAll(/\b(crio_sentinel_[a-zA-Z0-9_]+|up|kube_[a-z_]+)\b/g)) out.add(m[1]!);
  return [...out];
}
