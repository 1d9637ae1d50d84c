import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { needBinary } from '../helpers/binaries.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROUTES = path.join(ROOT, 'dashboards/alertmanager-routes.example.yml');
const RULES = path.join(ROOT, 'dashboards/crio-sentinel.rules.yml');

interface RuleFile {
  groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[];
}
const alerts = (parse(fs.readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules).filter((r) => r.alert);
const RECEIVER: Record<string, string> = { critical: 'pager', warning: 'tickets', info: 'blackhole' };

describe('example Alertmanager routing (amtool)', () => {
  const amtool = needBinary('amtool', 'prometheus-alertmanager');

  it.skipIf(!amtool)('amtool check-config accepts it', () => {
    const r = spawnSync(amtool!, ['check-config', ROUTES], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!amtool)('routes every alert by severity: critical pages, warning tickets, info is not routed', () => {
    const route = (labels: string[]): string => {
      const r = spawnSync(amtool!, ['config', 'routes', 'test', `--config.file=${ROUTES}`, ...labels], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    for (const a of alerts) {
      const sev = a.labels?.severity ?? '';
      expect(route([`alertname=${a.alert}`, `severity=${sev}`, 'node=gpu-node-1']), a.alert).toBe(RECEIVER[sev]);
    }
    expect(route(['alertname=SomethingElse', 'severity=info'])).toBe('blackhole');
    expect(route(['alertname=SomethingElse'])).toBe('default');
  });
});
