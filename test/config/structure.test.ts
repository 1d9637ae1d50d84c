/**
 * Issue #10: resolve.ts is split along its steps and the config engine has no import cycle (type-only
 * imports count). The graph is read from the sources' import/export-from statements.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?from\s+'(\.[^']+)'/gm)) {
    out.push(path.resolve(path.dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
  }
  return out;
}

describe('config engine structure', () => {
  it('no import cycle passes through src/config (type-only imports included)', () => {
    const graph = new Map(sources(SRC).map((f) => [f, imports(f)]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        const cycle = stack.slice(stack.indexOf(f)).concat(f).map((x) => path.relative(SRC, x));
        if (cycle.some((x) => x.startsWith('config/'))) cycles.push(cycle.join(' -> '));
        return;
      }
      state.set(f, 'open');
      stack.push(f);
      for (const g of graph.get(f) ?? []) if (graph.has(g)) visit(g);
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f);
    expect(cycles).toEqual([]);
  });

  it('resolve.ts orchestrates: the walk, decode, validation and report steps live in their own modules', () => {
    const resolve = fs.readFileSync(path.join(SRC, 'config/resolve.ts'), 'utf8');
    for (const step of ['./walk.js', './decode.js', './validate.js', './report.js']) expect(resolve).toContain(`from '${step}'`);
    expect(resolve.split('\n').length).toBeLessThan(400);
    // the types module stays types-only
    expect(fs.readFileSync(path.join(SRC, 'config/resolution.ts'), 'utf8')).not.toMatch(/^export (function|const|class)/m);
  });
});
