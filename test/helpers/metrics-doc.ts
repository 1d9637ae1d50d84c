/**
 * The documented metric contract: the table in the README's "## Metrics" section.
 * Tests read it so that the README and the exporter cannot drift apart.
 */
import { readFileSync } from 'node:fs';

export interface DocumentedMetric {
  /** full name, with the crio_sentinel_ prefix; `process_*`/`nodejs_*` rows end in `*` */
  name: string;
  type: string;
  /** label names: the backticked words of the labels column outside parentheses (those hold example values) */
  labels: string[];
}

export function metricsSection(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Metrics\n');
  if (start < 0) throw new Error('README.md has no "## Metrics" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

export function documentedMetrics(): DocumentedMetric[] {
  const out: DocumentedMetric[] = [];
  for (const m of metricsSection().matchAll(/^\| `([a-z_*]+)`(?:, `([a-z_*]+)`)? \| ([a-z]+) \| ([^|]*) \|/gm)) {
    const labels = [...m[4]!.replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((l) => l[1]!).sort();
    for (const n of [m[1], m[2]]) if (n) out.push({ name: `crio_sentinel_${n}`, type: m[3]!, labels });
  }
  return out;
}
