import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/core/contracts.js';
import { createHttpServer, type HttpServer } from '../../src/daemon/http.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { esc, escWithCode, humanDuration, provenanceText, renderStatusPage, STATUS_PAGE_CSS, STATUS_PAGE_STYLE_HASH } from '../../src/daemon/status-page.js';
import { parseWebConfig } from '../../src/daemon/web-config.js';
import { needBinary } from '../helpers/binaries.js';
import { DEMO_STUCK_PODS, demoStatus, withStuckPods } from '../helpers/status-fixture.js';
import { createHash } from 'node:crypto';

const XSS = '<script>alert(1)</script>';

function xssStatus(): DaemonStatus {
  const stuck = [...DEMO_STUCK_PODS, { ...DEMO_STUCK_PODS[0]!, namespace: `ns"><img src=x onerror=alert(2)>`, pod: XSS, stuckSeconds: 61 }];
  const s = withStuckPods(stuck);
  s.node.name = `node${XSS}`;
  s.findings = [...s.findings, { id: 'reload-failed', severity: 'warning', summary: XSS, evidence: [XSS], remediation: `fix ${XSS}` }];
  return s;
}

describe('renderStatusPage', () => {
  it('formats durations for people', () => {
    expect(humanDuration(2412)).toBe('40m 12s');
    expect(humanDuration(12)).toBe('12s');
    expect(humanDuration(7380)).toBe('2h 03m');
    expect(humanDuration(3 * 86_400 + 4 * 3600 + 5)).toBe('3d 4h');
    expect(humanDuration(null)).toBe('-');
    expect(provenanceText({ file: '/etc/crio/crio.conf.d/99-nvidia.conf', line: 4 })).toBe('/etc/crio/crio.conf.d/99-nvidia.conf line 4');
    expect(provenanceText({ builtin: true })).toBe('CRI-O built-in default');
    expect(provenanceText({ flag: '--default-runtime' })).toBe('command-line flag --default-runtime');
    expect(provenanceText({ flag: 'CONTAINER_DEFAULT_RUNTIME' })).toBe('environment CONTAINER_DEFAULT_RUNTIME');
  });

  it('shows the headline, findings by severity with the fix, stuck pods and sources', () => {
    const html = renderStatusPage(demoStatus());
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
    expect(html).toContain('/etc/crio/crio.conf.d/99-nvidia.conf line 4');
    expect(html).toContain('CRITICAL');
    // critical section comes before warning, warning before info
    const [c, w, i] = ['>Critical <', '>Warning <', '>Info <'].map((h) => html.indexOf(h));
    expect(c).toBeGreaterThan(0);
    expect(w).toBeGreaterThan(c!);
    expect(i).toBeGreaterThan(w!);
    expect(html).toContain('Every pod without a RuntimeClass runs through the NVIDIA wrapper');
    expect(html).toContain('40m 12s');
    expect(html).toContain('31m 05s');
    expect(html).toContain('Fix:</b> Stops are failing through the NVIDIA runtime.');
    expect(html).toContain('3 instances:');
    // the per-pod fixes differ, so the shown one is labelled as the first instance's
    expect(html).toContain('<b>Fix (first instance):</b> ml-team/trainer-7f9c6d5b8-x2kqp cannot be stopped.');
    expect(html).toContain('href="./metrics"');
    expect(html).toContain('href="./api/v1/status"');
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  });

  it('shows a pending change banner on drift and a calm page without findings', () => {
    const drift = demoStatus({ drift: true, live: { ...demoStatus().live, defaultRuntime: 'crun' } });
    expect(renderStatusPage(drift)).toMatch(/Pending runtime change:.*default runtime <b>nvidia<\/b>, the running CRI-O uses <b>crun<\/b>/);
    // same default, different handler set
    const base = demoStatus();
    const { nvidia: _n, ...withoutNvidia } = base.live.runtimes!;
    const handlers = demoStatus({ drift: true, live: { ...base.live, runtimes: { ...withoutNvidia, kata: { runtimePath: '/usr/bin/kata-runtime', runtimeRoot: '/run/kata', runtimeType: 'vm' } } } });
    expect(renderStatusPage(handlers)).toContain('the files define other runtime handlers than the running CRI-O has (the change adds <b>nvidia</b> and removes <b>kata</b>)');
    const calm = withStuckPods([], { findings: [] });
    calm.config.report!.effective!.defaultRuntime = { name: 'crun', source: { builtin: true } };
    const html = renderStatusPage(calm);
    expect(html).toContain('<b>No findings.</b>');
    expect(html).toContain('No pod is stuck in Terminating.');
    expect(html).not.toContain('Pending runtime change');
    expect(html).toContain('state ok');
  });

  it('caps evidence per finding and per line', () => {
    const st = demoStatus({
      findings: [{ id: 'reload-failed', severity: 'warning', summary: 's', evidence: Array.from({ length: 12 }, (_, i) => `line-${i} ${'x'.repeat(i === 0 ? 2000 : 10)}`), remediation: 'r' }],
    });
    const html = renderStatusPage(st);
    expect(html).toContain('line-7');
    expect(html).not.toContain('line-8');
    expect(html).toContain('… and 4 more lines of evidence');
    expect(html).not.toContain('x'.repeat(700));
    expect(html).toContain(`line-0 ${'x'.repeat(593)}…`);
  });

  it('says when a source is down and does not call a not-ready daemon OK', () => {
    const st = withStuckPods([], { findings: [], ready: { ok: false, reason: 'journal source down' } });
    st.config.report!.effective!.defaultRuntime = { name: 'crun', source: { builtin: true } };
    st.sources.journal = { up: false, mode: 'follow', restarts: 4, lastEntryAtUs: null, lastError: 'journalctl exited with status 1.' };
    const html = renderStatusPage(st);
    expect(html).toContain('<span class="state warning">NOT READY</span>');
    expect(html).toContain('<b>Journal source down</b>: journalctl exited with status 1.');
    expect(html).not.toContain('<b>No findings.</b>');
    st.sources.journal = { up: false, mode: 'off', restarts: 0, lastEntryAtUs: null, lastError: null };
    st.ready = { ok: true, reason: 'journal source off' };
    const off = renderStatusPage(st);
    expect(off).not.toContain('Journal source down');
    expect(off).toContain('<span class="state ok">OK</span>');
    expect(off).toContain('CRI-O built-in default');
  });

  it('renders before the first evaluation without failing', () => {
    const html = renderStatusPage(
      demoStatus({ events: null, findings: [], config: { report: null, lastReloadAt: null, reloads: { success: 0, failure: 0 }, lastError: 'not yet' }, ready: { ok: false, reason: 'starting' } }),
    );
    expect(html).toContain('configuration not evaluated yet');
    expect(html).toContain('not ready');
  });

  it('escapes every string from the status', () => {
    const html = renderStatusPage(xssStatus());
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(esc(`a"b'c<d>&`)).toBe('a&#34;b&#39;c&#60;d&#62;&#38;');
    expect(escWithCode('set `<b>` now')).toBe('set <code>&#60;b&#62;</code> now');
    expect(escWithCode('one ` only')).toBe('one &#96; only');
    expect(escWithCode('`a` and `b` and `c')).toBe('<code>a</code> and <code>b</code> and &#96;c');
  });

  it('declares a CSP hash that matches its one style element', () => {
    const html = renderStatusPage(demoStatus());
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
    expect(styles).toHaveLength(1);
    expect(`sha256-${createHash('sha256').update(styles[0]![1]!).digest('base64')}`).toBe(STATUS_PAGE_STYLE_HASH);
    expect(styles[0]![1]).toBe(STATUS_PAGE_CSS);
  });
});

describe('status page in a real headless Chromium', () => {
  let dir = '';
  let server: HttpServer | null = null;
  let base = '';
  let status: DaemonStatus = demoStatus();
  const chromium = needBinary('chromium', 'chromium');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-page-'));
    const metrics = createMetrics({ status: () => status, processMetrics: false });
    server = createHttpServer({ status: () => status, registry: metrics.registry, webConfig: null, log: () => {} });
    base = (await server.listen('127.0.0.1:0')).url;
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function runChromium(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        chromium!,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--disable-dev-shm-usage',
          '--enable-logging=stderr',
          '--v=1',
          `--user-data-dir=${path.join(dir, `profile-${Math.random().toString(36).slice(2)}`)}`,
          ...args,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
    });
  }

  it('renders the findings and the stuck pods, with the style allowed by CSP', async () => {
    if (!chromium) return;
    status = demoStatus();
    const { stdout, stderr } = await runChromium(['--dump-dom', base]);
    expect(stdout).toContain('Pod stuck in Terminating');
    expect(stdout).toContain('Container stops fail through the NVIDIA runtime');
    expect(stdout).toContain('trainer-7f9c6d5b8-x2kqp');
    expect(stdout).toContain('backend-ccfff5ccc-ktngm');
    expect(stdout).toContain('40m 12s');
    expect(stdout).toContain('/etc/crio/crio.conf.d/99-nvidia.conf line 4');
    expect(stdout).toMatch(/Fix:<\/b> Do not make nvidia CRI-O's default runtime/);
    // a blocked inline style is reported on the console; there must be none
    expect(stderr).not.toMatch(/violates the following Content Security Policy/);
  });

  it('control: a CSP from the web config that does not allow the style is reported by Chromium', async () => {
    if (!chromium) return;
    const metrics = createMetrics({ status: () => demoStatus(), processMetrics: false });
    const webConfig = parseWebConfig(`http_server_config:\n  headers:\n    Content-Security-Policy: "default-src 'none'; style-src 'sha256-AAAA'"\n`, path.join(dir, 'web.yml'));
    const strict = createHttpServer({ status: () => demoStatus(), registry: metrics.registry, webConfig, log: () => {} });
    try {
      const { url } = await strict.listen('127.0.0.1:0');
      const { stderr } = await runChromium(['--dump-dom', url]);
      expect(stderr).toMatch(/Applying inline style violates the following Content Security Policy directive/);
    } finally {
      await strict.close();
    }
  });

  it('shows a hostile pod name as text, never as markup', async () => {
    if (!chromium) return;
    status = xssStatus();
    const { stdout } = await runChromium(['--dump-dom', base]);
    expect(stdout).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(stdout).not.toContain(XSS);
    expect(stdout).not.toMatch(/<img/i);
  });

  it('takes a screenshot a person can judge', async () => {
    if (!chromium) return;
    status = demoStatus();
    const png = path.join(dir, 'page.png');
    await runChromium([`--screenshot=${png}`, process.env.CRIO_SENTINEL_SCREENSHOT_SIZE ?? '--window-size=1280,1600', '--hide-scrollbars', base]);
    const buf = fs.readFileSync(png);
    expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(buf.length).toBeGreaterThan(20_000);
    // keep a copy when asked, to look at it (never committed)
    if (process.env.CRIO_SENTINEL_SCREENSHOT) fs.copyFileSync(png, process.env.CRIO_SENTINEL_SCREENSHOT);
  });
});
