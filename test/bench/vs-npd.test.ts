/**
 * The vs-npd benchmark's inputs (bench/vs-npd.ts): the skip path, NPD's monitor configs, and the
 * exact counts both sides are run to, checked against what real journalctl reads back from the
 * journal systemd-journal-remote wrote. No figure is asserted: performance belongs to `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootTimeUs, NPD_RULES, npdMonitorConfig, npdRules, npdSkipReason, writeBenchJournal } from '../../bench/vs-npd.js';
import { FOLLOW_MATCHES } from '../../src/journal/journalctl.js';
import { journalctlBinary, journalRemote } from '../helpers/journal-fixture.js';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-vs-npd-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vs-npd benchmark', () => {
  it('is skipped with the reason when NPD_BIN is unset or not executable', () => {
    expect(npdSkipReason(undefined)).toMatch(/NPD_BIN is not set.*docs\/performance\.md/);
    const f = path.join(tmp, 'not-exec');
    fs.writeFileSync(f, '');
    expect(npdSkipReason(f)).toMatch(/not an executable/);
    expect(npdSkipReason('/bin/true')).toBeNull();
  });

  it("writes NPD journald monitor configs shaped like its kernel-monitor.json, looking back past boot", () => {
    const combined = npdMonitorConfig('crio', '/j') as { rules: { reason: string; pattern: string }[] };
    expect(combined.rules).toEqual([expect.objectContaining({ reason: 'CrioAnyProblem' })]);
    const c = npdMonitorConfig('crio', '/j', 'separate') as { plugin: string; pluginConfig: { source: string }; logPath: string; lookback: string; rules: { type: string; reason: string; pattern: string }[] };
    expect(c).toMatchObject({ plugin: 'journald', pluginConfig: { source: 'crio' }, logPath: '/j', bufferSize: 1, metricsReporting: true });
    expect(c.rules.every((r) => r.type === 'temporary')).toBe(true);
    expect(c.rules.map((r) => r.reason)).toContain('BenchEndCrio');
    // RE2-safe: no negated classes, no lookaround, no backreferences
    for (const r of Object.values(NPD_RULES).flat()) expect(r.pattern).not.toMatch(/\[\^|\(\?[=!<]|\\[1-9]/);
  });

  const jc = journalctlBinary();
  it.skipIf(jc === null || journalRemote() === null)('counts what journalctl reads back: the follow selection and each NPD rule, markers last, all after boot', async () => {
    const now = Date.now() * 1000;
    const start = Math.max(bootTimeUs(now) + 1_000_000, now - 60_000_000);
    const spec = await writeBenchJournal(path.join(tmp, 'mixed'), 400, 4, start, now - 2_000_000);
    expect(spec.entries).toBe(400 * 5 + 3);
    const read = (args: string[]): Record<string, string>[] => {
      const r = spawnSync(jc!, [`--directory=${spec.dir}`, '-o', 'json', '--all', '--no-pager', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.status).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    };
    expect(read([])).toHaveLength(spec.entries);
    expect(read([...FOLLOW_MATCHES])).toHaveLength(spec.followSelected);
    const boot = bootTimeUs();
    for (const source of ['crio', 'kubelet', 'kernel'] as const) {
      const msgs = read([`SYSLOG_IDENTIFIER=${source}`]);
      expect(msgs.every((m) => Number(m.__REALTIME_TIMESTAMP) > boot)).toBe(true);
      expect(msgs[msgs.length - 1]?.MESSAGE).toBe('crio-sentinel bench end marker');
      for (const rule of [...npdRules(source, 'separate'), ...npdRules(source, 'combined')]) {
        const re = new RegExp(`${rule.pattern}$`);
        expect(msgs.filter((m) => typeof m.MESSAGE === 'string' && re.test(m.MESSAGE.trim())).length, rule.reason).toBe(spec.npdExpected[rule.reason]);
      }
    }
    expect(spec.npdExpected.BenchEndCrio).toBe(1);
    expect(spec.npdExpected.CrioAnyProblem).toBe(NPD_RULES.crio.reduce((n, r) => n + spec.npdExpected[r.reason]!, 0));
  }, 120_000);
});
