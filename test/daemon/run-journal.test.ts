/**
 * The REAL daemon following journal files made at test time through the REAL journalctl:
 * an incident in the shape of the real CRI-O 1.31.0 capture (nvidia wrapper made the default,
 * restart, kill loop), kubelet stop/exec failures and a kernel AppArmor denial. Every documented
 * metric is asserted on one real scrape; the cursor is written on SIGTERM; a journal directory
 * that disappears takes the journal source down, not the daemon.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sample, startDaemon, waitFor, type DaemonProcess } from '../helpers/daemon-process.js';
import { documentedMetrics } from '../helpers/metrics-doc.js';
import { appendJournal, journalctlBinary, journalRemote, makeJournal, type FixtureEntry } from '../helpers/journal-fixture.js';

const CID = '56264251ca7a915c94dd819a3dce1807feebc6186d78d594403cade22056d1bb';
const SID = 'fe62e867325f2fb2ea16780a0d45f6012df9bae9ee8e37d694a873ddb92d7880';
const EXEC_CID = '06ea17a8981d25b0315ff17bd1ebad3d95c15a3f8b764eaadb93612d9b61a54e';

const haveTools = journalRemote() !== null && journalctlBinary() !== null;

function logrusTime(us: number): string {
  return new Date(us / 1000).toISOString().replace('T', ' ').replace('Z', '000000Z').replace(/\.(\d{3})000000Z/, '.$1000000Z');
}

function klogHeader(sev: string, us: number, pid: number, file: string): string {
  const d = new Date(us / 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${sev}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000 ${String(pid).padStart(7)} ${file}]`;
}

function configDump(defaultRuntime: string): string {
  const lines = [
    'Current CRI-O configuration:',
    '[crio]',
    '  root = \\"/var/lib/containers/storage\\"',
    '  [crio.runtime]',
    `    default_runtime = \\"${defaultRuntime}\\"`,
    '    [crio.runtime.runtimes]',
    '      [crio.runtime.runtimes.crun]',
    '        runtime_path = \\"/usr/bin/crun\\"',
    '        runtime_root = \\"/run/crun\\"',
    '      [crio.runtime.runtimes.runc]',
    '        runtime_path = \\"/usr/sbin/runc\\"',
    '        runtime_root = \\"/run/runc\\"',
  ];
  if (defaultRuntime === 'nvidia') {
    lines.push('      [crio.runtime.runtimes.nvidia]', '        runtime_path = \\"/usr/bin/nvidia-container-runtime\\"', '        runtime_root = \\"/run/runc\\"');
  }
  return lines.join('\\n') + '\\n';
}

/** The incident, ending `endAgoS` seconds before now. */
function incident(endAgoS = 5): FixtureEntry[] {
  const nowUs = Date.now() * 1000;
  const t0 = nowUs - (endAgoS + 100) * 1_000_000;
  const crio = (offS: number, level: string, msg: string, extra = ''): FixtureEntry => {
    const us = t0 + Math.round(offS * 1_000_000);
    return { realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 9119, message: `time="${logrusTime(us)}" level=${level} msg="${msg}"${extra}` };
  };
  const kubelet = (offS: number, lines: string[], stream: string): FixtureEntry[] =>
    lines.map((message, i) => ({
      realtimeUs: t0 + Math.round(offS * 1_000_000) + i,
      unit: 'kubelet.service',
      identifier: 'kubelet',
      transport: 'stdout',
      pid: 2211,
      streamId: stream,
      message,
    }));
  const out: FixtureEntry[] = [
    crio(0, 'info', 'Starting CRI-O, version: 1.31.0, git: unknown(clean)'),
    crio(0.2, 'info', configDump('runc')),
    crio(2, 'info', `Created container ${CID}: default/gpu-job/cuda-worker`, ' id=c174a400-f522-47bf-a815-f1a94e1e15ed name=/runtime.v1.RuntimeService/CreateContainer'),
    crio(2.1, 'info', 'Started container', ` PID=10702 containerID=${CID} description=default/gpu-job/cuda-worker id=d657c544 name=/runtime.v1.RuntimeService/StartContainer sandboxID=${SID}`),
    crio(10, 'info', 'Updating config from drop-in file: /etc/crio/crio.conf.d/99-nvidia.conf'),
    crio(10.1, 'info', 'Starting CRI-O, version: 1.31.0, git: unknown(clean)'),
    crio(10.3, 'info', configDump('nvidia')),
    crio(15, 'info', `Stopping container: ${CID} (timeout: 10s)`, ' id=61968939-f82a-47c6-8559-dcf360489626 name=/runtime.v1.RuntimeService/StopContainer'),
    crio(25, 'warning', `Stopping container ${CID} with stop signal timed out. Killing...`),
  ];
  for (const off of [25.1, 25.2, 25.4, 26, 28, 33]) {
    out.push(
      crio(
        off,
        'error',
        `Killing container ${CID} failed: \`/usr/bin/nvidia-container-runtime --root /run/runc kill ${CID} KILL\` failed: time=\\"2026-11-28T21:52:39Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1`,
      ),
    );
  }
  out.push(
    ...kubelet(
      40,
      [
        `${klogHeader('E', t0 + 40_000_000, 2211, 'log.go:32')} "StopContainer from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="${CID}"`,
      ],
      'stream-a',
    ),
  );
  for (let p = 0; p < 4; p++) {
    const off = 50 + p * 10;
    out.push(
      ...kubelet(
        off,
        [
          `${klogHeader('E', t0 + off * 1_000_000, 2211, 'log.go:32')} "ExecSync cmd from runtime service failed" err=<`,
          '\trpc error: code = Unknown desc = command error: time="2025-11-28T10:12:01Z" level=error msg="exec failed: unable to start container process: exec: \\"/usr/bin/nvidia-smi\\": permission denied"',
          '\t, stdout: , stderr: , exit code -1',
          ` > containerID="${EXEC_CID}" cmd=["/usr/bin/nvidia-smi","-L"]`,
        ],
        'stream-b',
      ),
    );
  }
  out.push({
    realtimeUs: t0 + 95_000_000,
    identifier: 'kernel',
    transport: 'kernel',
    fields: { PRIORITY: '5' },
    message: 'audit: type=1400 audit(1795902759.400:412): apparmor="DENIED" operation="signal" class="signal" profile="crio-default" pid=10702 comm="runc" requested_mask="receive" denied_mask="receive" signal=kill peer="runc"',
  });
  return out.sort((a, b) => (a.realtimeUs ?? 0) - (b.realtimeUs ?? 0));
}

/** The node tree the incident ran on: the nvidia drop-in in place. */
function nodeTree(root: string): void {
  const put = (p: string, c: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), c, { mode });
  };
  for (const b of ['/usr/bin/crun', '/usr/sbin/runc', '/usr/bin/conmon', '/usr/bin/nvidia-container-runtime']) put(b, '#!/bin/sh\n', 0o755);
  put('/etc/crio/crio.conf', '[crio.runtime]\ndefault_runtime = "runc"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\nruntime_root = "/run/crun"\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/sbin/runc"\nruntime_root = "/run/runc"\n');
  put('/etc/crio/crio.conf.d/99-nvidia.conf', '[crio.runtime]\ndefault_runtime = "nvidia"\n[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\nruntime_root = "/run/runc"\nruntime_type = "oci"\n');
}

let dir: string;
let daemon: DaemonProcess | null = null;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-runj-'));
});
afterEach(async () => {
  if (daemon?.alive()) await daemon.stop('SIGKILL');
  daemon = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveTools)('crio-sentinel run: the journal through the real journalctl', () => {
  it('correlates the incident, exposes every documented metric, follows appends and writes the cursor on SIGTERM', async () => {
    const root = path.join(dir, 'root');
    const jdir = path.join(dir, 'journal');
    const state = path.join(dir, 'state');
    fs.mkdirSync(jdir);
    fs.mkdirSync(state);
    nodeTree(root);
    const entries = incident();
    const file = await makeJournal(jdir, entries);
    daemon = await startDaemon([
      '--root', root, '--journal-directory', jdir, '--state-dir', state, '--crio-version', '1.31.0',
      '--stuck-threshold', '1s', '--exec-loop-window', '60s', '--crio-poll-interval', '1s',
    ]);
    const m = await waitFor(
      'the incident on /metrics',
      async () => {
        const t = await daemon!.metrics();
        const counted = ['crio', 'kubelet', 'conmon', 'kernel', 'other'].reduce((n, unit) => n + (sample(t, 'crio_sentinel_journal_entries_total', { unit }) ?? 0), 0);
        // and the first configuration evaluation done: under load it can finish after the daemon listens
        // (start() waits for it at most 2 s), and default_runtime_info only exists from then on
        const evaluated = /^crio_sentinel_default_runtime_info\{/m.test(t);
        return sample(t, 'crio_sentinel_pods_stuck_terminating') === 1 && counted === entries.length && evaluated ? t : null;
      },
      20_000,
    );
    const documented = [...new Set(documentedMetrics().map((d) => d.name))];
    expect(documented.length).toBeGreaterThanOrEqual(25);
    const lines = m.split('\n').filter((l) => !l.startsWith('#'));
    for (const name of documented) {
      const re = name.endsWith('*') ? new RegExp(`^${name.slice(0, -1)}\\w+[ {]`) : new RegExp(`^${name}[ {]`);
      expect(lines.some((l) => re.test(l)), `a sample of ${name} on the scrape`).toBe(true);
    }
    expect(sample(m, 'crio_sentinel_journal_up')).toBe(1);
    expect(sample(m, 'crio_sentinel_journal_entries_total', { unit: 'crio' })).toBeGreaterThanOrEqual(15);
    expect(sample(m, 'crio_sentinel_journal_entries_total', { unit: 'kubelet' })).toBeGreaterThanOrEqual(17);
    expect(sample(m, 'crio_sentinel_journal_last_entry_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(sample(m, 'crio_sentinel_container_kill_failures_total', { default_runtime: 'nvidia' })).toBe(6);
    expect(sample(m, 'crio_sentinel_pod_stuck_terminating_seconds', { namespace: 'default', pod: 'gpu-job' })).toBeGreaterThan(60);
    expect(sample(m, 'crio_sentinel_stop_rpc_failures_total', { rpc: 'StopContainer' })).toBe(1);
    expect(sample(m, 'crio_sentinel_apparmor_denials_total', { operation: 'signal', comm: 'runc' })).toBe(1);
    expect(sample(m, 'crio_sentinel_exec_permission_denied_total')).toBeGreaterThanOrEqual(4);
    expect(sample(m, 'crio_sentinel_finding_active', { id: 'stop-failures-under-nvidia-default', severity: 'critical' })).toBe(1);
    expect(sample(m, 'crio_sentinel_finding_active', { id: 'pod-stuck-terminating', severity: 'critical' })).toBe(1);
    expect(sample(m, 'crio_sentinel_finding_active', { id: 'default-changed-under-running-pods', severity: 'critical' })).toBe(1);
    // the runtime layer runs nvidia since the last start, like the files: nothing pending
    expect(sample(m, 'crio_sentinel_finding_active', { id: 'pending-runtime-change', severity: 'warning' })).toBe(0);

    const st = await daemon.status();
    expect(st.ready.ok).toBe(true);
    expect(st.sources.journal.mode).toBe('follow');
    expect(st.live.source).toBe('journal');
    expect(st.live.defaultRuntime).toBe('nvidia');
    expect(st.events.crio.lastStartAt).not.toBeNull();
    const nv = (st.findings as { id: string; severity: string }[]).find((f) => f.id === 'nvidia-default-runtime');
    expect(nv?.severity).toBe('critical');

    // entries appended while the daemon follows
    const before = sample(m, 'crio_sentinel_journal_entries_total', { unit: 'crio' }) ?? 0;
    const nowUs = Date.now() * 1000 - 1000;
    await appendJournal(file, [
      { realtimeUs: nowUs, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 9119, message: `time="${logrusTime(nowUs)}" level=info msg="appended"` },
    ]);
    await waitFor('the appended entry', async () => (sample(await daemon!.metrics(), 'crio_sentinel_journal_entries_total', { unit: 'crio' }) ?? 0) > before);

    const r = await daemon.stop('SIGTERM');
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(2000);
    const cursor = fs.readFileSync(path.join(state, 'journal.cursor'), 'utf8');
    expect(cursor).toMatch(/^s=[0-9a-f]+;i=[0-9a-f]+;/);
  });

  it('a journal directory that disappears takes the journal source down, not the daemon', async () => {
    const root = path.join(dir, 'root');
    const jdir = path.join(dir, 'journal');
    fs.mkdirSync(jdir);
    nodeTree(root);
    await makeJournal(jdir, incident(60).slice(0, 5));
    daemon = await startDaemon(['--root', root, '--journal-directory', jdir, '--state-dir', path.join(dir, 'state'), '--crio-version', '1.31.0']);
    await waitFor('journal up', async () => sample(await daemon!.metrics(), 'crio_sentinel_journal_up') === 1);
    fs.rmSync(jdir, { recursive: true, force: true });
    const m = await waitFor('journal down', async () => {
      const t = await daemon!.metrics();
      return sample(t, 'crio_sentinel_journal_up') === 0 ? t : null;
    }, 20_000);
    expect(sample(m, 'crio_sentinel_journal_restarts_total')).toBeGreaterThanOrEqual(1);
    expect((await daemon.get('/healthz')).status).toBe(200);
    const ready = await daemon.get('/readyz');
    expect(ready.status).toBe(503);
    expect(daemon.alive()).toBe(true);
  });
});
