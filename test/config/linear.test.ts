/**
 * #11 item 4: config evaluation is linear in the bytes read. Each case grows an input 8x and checks
 * the CPU time grows far less than the 64x a quadratic step would need (best of 3, generous bound,
 * so a loaded machine does not fail it). Absolute timings live in the bench (bench/config-hostile.ts).
 * Before the fix every case below was quadratic: scanKeyLines on a 40 000-part header took 119 s.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { overlayFileView } from '../../src/config/overlay-file-view.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { scanKeyLines } from '../../src/config/toml-lines.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import type { ConfigReport } from '../../src/core/contracts.js';
import { hostileConfigs } from '../../bench/config-hostile-inputs.js';

const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-linear-'));
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

/** Resolve one in-memory main file (no disk I/O in the measurement). */
function resolveText(text: string): ConfigReport {
  const view = overlayFileView(createHostFileView(empty), new Map([['/etc/crio/crio.conf', Buffer.from(text)]]));
  return resolveConfig({ crioVersion: '1.32.13', config: '/etc/crio/crio.conf' } as ConfigInputs, view);
}

/** CPU time of f in ms (user + system: steadier than wall time on a shared, loaded machine), best of 3. */
function best(f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    min = Math.min(min, (d.user + d.system) / 1000);
  }
  return min;
}

/** cpu(8n) / cpu(n): about 8 when linear, 64 when quadratic. */
function growth(run: (n: number) => void, n: number): number {
  run(n); // warm-up (JIT)
  const small = Math.max(best(() => run(n)), 5);
  return best(() => run(8 * n)) / small;
}

const cases = hostileConfigs();

describe('#11.4 linear config evaluation', () => {
  for (const c of cases) {
    it(`${c.name}: 8x the input costs well under 64x the time`, () => {
      const n = c.testSize;
      const texts = new Map<number, string>([
        [n, c.make(n)],
        [8 * n, c.make(8 * n)],
      ]);
      const ratio = growth((k) => {
        const r = resolveText(texts.get(k) as string);
        c.check(r, k);
      }, n);
      expect(ratio).toBeLessThan(24);
    }, 120_000);
  }

  it('the scanner keeps key paths of at most 8 parts: a 40 000-part header is one short walk', () => {
    const header = `[${Array.from({ length: 40_000 }, () => 'a').join('.')}]\nx = 1\n[crio.runtime]\ndefault_runtime = "crun"\n`;
    const lines = scanKeyLines(header);
    expect(lines.lineOf(['a', 'a', 'a'])).toBe(1);
    expect(lines.lineOf(['crio', 'runtime', 'default_runtime'])).toBe(4);
    const headers = new Map([20_000, 160_000].map((k) => [k, `[${Array.from({ length: k }, () => 'a').join('.')}]\nx = 1\n`]));
    const ratio = growth((k) => void scanKeyLines(headers.get(k) as string), 20_000);
    expect(ratio).toBeLessThan(24);
  }, 120_000);

  it('nesting 100 000 levels deep is skipped by the scanner without recursion', () => {
    const deep = `x = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n[crio.runtime]\ndefault_runtime = "runc"\n`;
    expect(scanKeyLines(deep).lineOf(['crio', 'runtime', 'default_runtime'])).toBe(3);
  });

  it('the issue\'s sizes finish (each was > 60 s or aborted before)', () => {
    for (const c of cases) {
      const r = resolveText(c.make(c.issueSize));
      c.check(r, c.issueSize);
    }
  }, 300_000);
});
