/**
 * `crio-sentinel scan` end to end: the sample journal, the bundled demo incident (with its node
 * tree seeding the timeline), stdin in export format through the built CLI, and a real journal
 * directory read through journalctl.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/commands/scan.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import type { ScanJson } from '../../src/commands/scan.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { CLI, REPO } from '../helpers/daemon-process.js';
import { journalctlBinary, journalRemote, makeJournal, toExport } from '../helpers/journal-fixture.js';
import { REFERENCE } from '../helpers/reference.js';

const SAMPLE = path.join(REFERENCE, 'sample-journal.txt');
const INCIDENT = path.join(REPO, 'examples/incidents/nvidia-default.jsonl');
const NODE = path.join(REPO, 'examples/nodes/nvidia-default');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function runMain(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code, out };
  } finally {
    process.stdout.write = orig;
  }
}

async function entriesOf(file: string): Promise<JournalEntry[]> {
  const got: JournalEntry[] = [];
  await readJournalFile(file, { entry: (e) => void got.push(e), skip: () => undefined });
  return got;
}

describe('scan on the sample journal', () => {
  it('reports the stuck GPU pod, the wrapper kill failures, the exec loop and the reload, exit 2', async () => {
    const { code, out } = await runMain([SAMPLE, '--output', 'json']);
    expect(code).toBe(2);
    const j = JSON.parse(out) as ScanJson;
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['entries', 'killFailures', 'stopRpcFailures', 'execPermissionDenied', 'stuckTerminating', 'defaultRuntimeTimeline', 'findings']));
    expect(j.entries).toBe(93);
    expect(j.stuckTerminating).toHaveLength(1);
    expect(j.stuckTerminating[0]).toMatchObject({ namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q', resolved: false });
    expect(j.killFailures[0]).toMatchObject({ count: 10, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime' });
    expect(j.execPermissionDenied[0]).toMatchObject({ loop: true });
    expect(j.defaultRuntimeTimeline.map((t) => t.defaultRuntime)).toEqual(['nvidia', 'crun']);
    // the 10:31 SIGHUP to "crun" is pending: CRI-O's runtime layer keeps "nvidia" until it restarts (docs/crio-lab.md)
    expect(j.findings.map((f) => f.id)).toEqual(['pod-stuck-terminating', 'stop-failures-under-nvidia-default', 'pending-runtime-change']);
  });

  it('prints a readable text report', async () => {
    const { code, out } = await runMain(['--journal', SAMPLE]);
    expect(code).toBe(2);
    expect(out).toContain('ml-train/llama-ft-7d9c8b5f4-x2k9q (3f6c2a9e-8b1d-4c57-9e0a-5d2b7c41f8aa): first stop 2025-11-28T10:14:30.612Z, STILL STUCK');
    expect(out).toContain('10 x permission_denied via /usr/bin/nvidia-container-runtime');
    expect(out).toContain('loop detected (ended)');
    expect(out).toMatch(/2025-11-28T10:31:05\.020Z {2}crun +journal: reload/);
  });

  it('--at evaluates the node as it was then: at 10:14 only the exec loop is active (warning, exit 1)', async () => {
    const { code, out } = await runMain([SAMPLE, '--output', 'json', '--at', '2025-11-28T10:14:00Z']);
    const j = JSON.parse(out) as ScanJson;
    expect(j.entries).toBe(35);
    expect(j.stuckTerminating).toEqual([]);
    expect(j.killFailures).toEqual([]);
    expect(j.findings.map((f) => f.id)).toEqual(['exec-permission-denied-loop']);
    expect(code).toBe(1);
  });

  it('rejects bad usage with a one-line error (exit 3 through the CLI)', async () => {
    await expect(runMain([])).rejects.toThrow(/no input/);
    await expect(runMain([SAMPLE, '--output', 'yaml'])).rejects.toThrow(/--output must be text or json/);
    await expect(runMain([SAMPLE, '--at', 'yesterday'])).rejects.toThrow(/--at/);
    await expect(runMain([SAMPLE, '--stuck-threshold', '-1'])).rejects.toThrow(/--stuck-threshold/);
    await expect(runMain([SAMPLE, '--stuck-threshold', '20'])).rejects.toThrow(/invalid duration/);
    await expect(runMain([path.join(tmp, 'missing.jsonl')])).rejects.toThrow(/cannot read journal/);
    await expect(runMain([SAMPLE, '--root', path.join(tmp, 'nope')])).rejects.toThrow(/--root/);
  });
});

describe('scan on the bundled demo incident', () => {
  it('reports three pods stuck Terminating (not the sidecar), kill loops, exec loops, AppArmor, with the files as the source of the default', async () => {
    const { code, out } = await runMain([INCIDENT, '--root', NODE, '--output', 'json']);
    expect(code).toBe(2);
    const j = JSON.parse(out) as ScanJson;
    expect(j.stuckTerminating.map((s) => `${s.namespace}/${s.pod}`).sort()).toEqual([
      'gpu-monitoring/dcgm-exporter-8xk2p',
      'ml-serve/triton-infer-6b8f9d7c5-qw4lz',
      'ml-train/llama-ft-7d9c8b5f4-x2k9q',
    ]);
    expect(j.stuckTerminating.every((s) => !s.resolved && s.containerIds.length === 1)).toBe(true);
    expect(j.killFailures).toHaveLength(3);
    expect(j.killFailures.every((k) => k.runtimePath === '/usr/bin/nvidia-container-runtime' && k.reason === 'permission_denied')).toBe(true);
    expect(j.execPermissionDenied.filter((e) => e.loop).map((e) => e.container).sort()).toEqual(['trainer', 'triton']);
    expect(j.stopRpcFailures).toBe(3);
    expect(j.crio).toMatchObject({ version: '1.30.0', runtimeLayerDefault: 'nvidia' });
    expect(j.defaultRuntimeTimeline[0]).toMatchObject({ defaultRuntime: 'nvidia', source: 'files: /etc/crio/crio.conf.d/99-nvidia.conf line 5' });
    const ids = new Set(j.findings.map((f) => f.id));
    for (const id of ['stop-failures-under-nvidia-default', 'pod-stuck-terminating', 'exec-permission-denied-loop', 'apparmor-signal-denied', 'nvidia-default-runtime']) expect(ids.has(id), id).toBe(true);
    // the config finding is raised to critical by the event finding (catalogue rule)
    expect(j.findings.find((f) => f.id === 'nvidia-default-runtime')?.severity).toBe('critical');
  });

  it('shows the incident within a minute of replay; stuck pods from grace + 2 min (or a shorter --stuck-threshold)', async () => {
    const entries = await entriesOf(INCIDENT);
    const t0 = Math.floor(entries[0]!.realtimeUs / 1000);
    const at = async (s: number, extra: string[] = []) => JSON.parse((await runMain([INCIDENT, '--output', 'json', '--at', new Date(t0 + s * 1000).toISOString(), ...extra])).out) as ScanJson;
    const early = await at(60);
    const ids = new Set(early.findings.map((f) => f.id));
    expect(ids.has('stop-failures-under-nvidia-default')).toBe(true);
    expect(ids.has('exec-permission-denied-loop')).toBe(true);
    expect(ids.has('apparmor-signal-denied')).toBe(true);
    expect(ids.has('pod-stuck-terminating')).toBe(false);
    expect((await at(60, ['--stuck-threshold', '20s'])).stuckTerminating.length).toBeGreaterThanOrEqual(1);
    expect((await at(180)).stuckTerminating).toHaveLength(3);
  });
});

describe('scan inputs', () => {
  it('reads export format from standard input through the built CLI', async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it before vitest)`);
    const data = toExport(await entriesOf(SAMPLE));
    const child = spawn(process.execPath, [CLI, 'scan', '-', '--output', 'json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(data);
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(2);
    const j = JSON.parse(out) as ScanJson;
    expect(j.entries).toBe(93);
    expect(j.stuckTerminating[0]?.pod).toBe('llama-ft-7d9c8b5f4-x2k9q');
    expect(j.execPermissionDenied[0]?.count).toBe(4);
  });

  it('the byte-level prefilter changes nothing but the work done (sample, real incident and demo as export)', async () => {
    for (const src of [SAMPLE, path.join(REFERENCE, 'captures/real-incident/crio-1.31.0-restart.jsonl'), INCIDENT]) {
      const file = path.join(tmp, `${path.basename(src)}.export`);
      fs.writeFileSync(file, toExport(await entriesOf(src)));
      const filtered = await runMain([file, '--output', 'json']);
      const last = Math.max(...(await entriesOf(src)).map((e) => e.realtimeUs));
      // --at disables the prefilter; at the last entry it is the same evaluation
      const unfiltered = await runMain([file, '--output', 'json', '--at', new Date(Math.ceil(last / 1000)).toISOString()]);
      expect(filtered.code).toBe(unfiltered.code);
      const a = JSON.parse(filtered.out) as ScanJson;
      const b = JSON.parse(unfiltered.out) as ScanJson;
      expect(a.entries).toBe(b.entries);
      expect({ ...a, findings: a.findings.map((f) => f.id) }).toEqual({ ...b, findings: b.findings.map((f) => f.id) });
    }
  });

  it('reads a real journal directory through journalctl (--journal-directory)', async () => {
    if (!journalRemote() || !journalctlBinary()) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'jd-'));
    await makeJournal(dir, await entriesOf(INCIDENT));
    const { code, out } = await runMain(['--journal-directory', dir, '--output', 'json']);
    expect(code).toBe(2);
    const j = JSON.parse(out) as ScanJson;
    expect(j.entries).toBe((await entriesOf(INCIDENT)).length);
    expect(j.stuckTerminating).toHaveLength(3);
    expect(j.killFailures.reduce((n, k) => n + k.count, 0)).toBe(39);
    // --since is passed to journalctl
    const late = await runMain(['--journal-directory', dir, '--output', 'json', '--since', '2026-11-27 14:02:00 UTC']);
    expect((JSON.parse(late.out) as ScanJson).entries).toBeLessThan(j.entries);
  });

  it('a journal directory that does not exist is a user error', async () => {
    await expect(runMain(['--journal-directory', path.join(tmp, 'none')])).rejects.toThrow(/--journal-directory/);
  });
});
