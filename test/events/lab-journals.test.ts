/**
 * `scan` of the journals captured from the real CRI-O 1.32.13 lab (docs/crio-lab.md): each fixture in
 * test/fixtures/lab/ is the real journald export of one scenario (crio.service entries only, startup
 * noise dropped, every kept entry unchanged). Each scenario must raise the findings the journal
 * supports and name the affected containers — through the real scan() of src/commands/scan.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan, type ScanResult } from '../../src/commands/scan.js';
import type { ConfigReport, Finding } from '../../src/core/contracts.js';
import { createEventPipeline, type EventPipeline } from '../../src/events/pipeline.js';
import { detectEvents } from '../../src/findings/detectors/events.js';
import { readJournalFile } from '../../src/journal/file-source.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/lab');

async function scanLab(file: string, opts: { config?: ConfigReport | null; stuckAfterS?: number } = {}): Promise<ScanResult> {
  return await scan({
    config: opts.config ?? null,
    thresholds: opts.stuckAfterS !== undefined ? { stuckAfterMs: opts.stuckAfterS * 1000 } : {},
    read: (sink) => readJournalFile(path.join(DIR, file), sink),
  });
}

/** The lab node's own files (copied from scenario a's lab dir) resolved as `scan --root` does. */
async function labConfig(): Promise<ConfigReport> {
  const cfg = await import('../../src/config/index.js');
  const view = cfg.createHostFileView(path.join(DIR, 'node-a'));
  return await cfg.resolveConfig({ crioVersion: '1.32.13', config: '/etc/crio/crio.conf', configDir: '/etc/crio/crio.conf.d' }, view);
}

const ids = (r: ScanResult): string[] => r.findings.map((f) => f.id).sort();
const one = (r: ScanResult, id: string): Finding => {
  const f = r.findings.filter((x) => x.id === id);
  expect(f, `${id} in ${ids(r).join(', ')}`).toHaveLength(1);
  return f[0]!;
};
const text = (f: Finding): string => [f.summary, ...f.evidence].join('\n');

// the containers of each scenario (from the lab's `crio-lab pod` output)
const C = {
  p1: '9f36f26d6b6fd49e192cc5f919003ef0e98b7319e87548ad73ad1a8d0f3e9fa9',
  p2: '09a5e98d1179121545f65d4a3efcd528b0b814279c3aeb121593dc0a85c1180d',
  d1: 'e3b21bfb9fb2eb3465595b2ab52c7b911461a5eca93510b121b21d905bc70e1a',
  d2: '601d3920bf19a0d4ab730bd6b4d7350ff12b9917b5adab7419bbcc2a0c9a1a26',
  e1: 'd6fc0cf8a075ca93053ccd01d4c8beb30bdcca1d379d09af2c402b6735770114',
  f1: 'bbfba307110f4798e2e5d79a06ba2455cb0bdb1b3572dbd3ccdf3ebec430b5d1',
};

describe('scan of the real CRI-O 1.32.13 lab journals', () => {
  it('(a) drop-in written, CRI-O not restarted: nothing in the journal; with the files, the pending change', async () => {
    const journalOnly = await scanLab('a-dropin-not-applied.export');
    expect(journalOnly.snapshot.crio).toMatchObject({ version: '1.32.13', runtimeLayerDefault: 'runc' });
    expect(ids(journalOnly)).toEqual([]);

    const withFiles = await scanLab('a-dropin-not-applied.export', { config: await labConfig() });
    expect(ids(withFiles)).toEqual(expect.arrayContaining(['pending-runtime-change', 'nvidia-default-runtime']));
    expect(text(one(withFiles, 'pending-runtime-change'))).toContain('"runc"');
  });

  it('(b) SIGHUP: configured default nvidia, runtime layer still runc; the change is pending, stops still work', async () => {
    const r = await scanLab('b-sighup.export');
    expect(r.snapshot.crio).toMatchObject({ configuredDefault: 'nvidia', runtimeLayerDefault: 'runc' });
    expect(ids(r)).toEqual(['pending-runtime-change']);
    expect(one(r, 'pending-runtime-change').summary).toContain('"nvidia"');
    expect(r.snapshot.killFailures).toEqual([]);
  });

  it('(c) restart with the wrapper forwarding to crun: both runc containers lost at the start, then the stop loops', async () => {
    const r = await scanLab('c-restart-wrapper-crun.export');
    expect(ids(r)).toEqual(
      expect.arrayContaining(['containers-state-lost-at-start', 'default-changed-under-running-pods', 'stop-failures-under-nvidia-default', 'pod-stuck-terminating']),
    );
    const lost = text(one(r, 'containers-state-lost-at-start'));
    expect(lost).toContain(C.p1);
    expect(lost).toContain(C.p2);
    expect(lost).toContain('lab/p1');
    expect(lost).toContain('default runtime in force at');
    expect(lost).toContain('nvidia');
    const stops = one(r, 'stop-failures-under-nvidia-default');
    expect(text(stops)).toContain(C.p1);
    expect(text(stops)).toContain('reason state_missing');
    expect(text(stops)).toContain('--root /run/crun');
    // crictl passed a short ID ("Stopping container: 9f36f26d6b6fd"): one stuck pod, not a second one for the prefix
    const stuck = r.findings.filter((f) => f.id === 'pod-stuck-terminating');
    expect(stuck.map((f) => f.subject?.pod)).toEqual(['p1']);
    expect(stuck[0]!.subject?.containerId).toBe(C.p1);
  });

  it('(d) restart with the wrapper forwarding to runc under another root: state lost, kills fail with "container does not exist"', async () => {
    const r = await scanLab('d-restart-other-root.export', { stuckAfterS: 5 });
    const lost = text(one(r, 'containers-state-lost-at-start'));
    expect(lost).toContain(C.d1);
    expect(lost).toContain(C.d2);
    const stops = text(one(r, 'stop-failures-under-nvidia-default'));
    expect(stops).toContain('reason state_missing');
    expect(stops).toContain('--root /run/other');
    expect(one(r, 'pod-stuck-terminating').subject).toMatchObject({ namespace: 'lab', pod: 'd1', containerId: C.d1 });
    expect(r.snapshot.killFailures.every((k) => k.reason === 'state_missing')).toBe(true);
  });

  it('(e) a handler removed while a pod uses it, then restart: the handler is missing and the container is named', async () => {
    const r = await scanLab('e-handler-removed.export');
    expect(ids(r)).toEqual(['containers-state-lost-at-start', 'handler-missing-for-pods']);
    expect(one(r, 'handler-missing-for-pods').summary).toContain('"nvidia"');
    const lost = one(r, 'containers-state-lost-at-start');
    expect(lost.subject).toMatchObject({ containerId: C.e1, namespace: 'lab', pod: 'e1' });
    expect(lost.summary).toContain('runtime handler CRI-O no longer has');
  });

  it('(f) kill denied (IMITATION of an AppArmor denial): the stop loops, the pod is stuck, the container named', async () => {
    const r = await scanLab('f-kill-denied-imitation.export', { stuckAfterS: 5 });
    expect(ids(r)).toEqual(['default-changed-under-running-pods', 'pod-stuck-terminating', 'stop-failures-under-nvidia-default']);
    expect(text(one(r, 'stop-failures-under-nvidia-default'))).toContain('reason permission_denied');
    expect(one(r, 'pod-stuck-terminating').subject).toMatchObject({ namespace: 'lab', pod: 'f1', containerId: C.f1 });
    // the wrapper forwards to runc under runc's root: nothing was lost at the start
    expect(ids(r)).not.toContain('containers-state-lost-at-start');
  });
});

describe('containers whose state CRI-O lost at its start (scenario c) in the daemon\'s correlator', () => {
  async function pipelineOf(file: string): Promise<EventPipeline> {
    const p = createEventPipeline({ clock: Date.now, config: null });
    await readJournalFile(path.join(DIR, file), { entry: (e) => p.ingest(e), skip: () => undefined });
    return p;
  }
  const lostIds = (p: EventPipeline): string[] => detectEvents({ events: p.findingsSource() }).filter((d) => d.id === 'containers-state-lost-at-start').map((d) => d.evidence.join('\n'));

  it('a CRI EXITED for them is not an exit (CRI-O says exited, the process runs): the finding stays', async () => {
    const p = await pipelineOf('c-restart-wrapper-crun.export');
    expect(p.confirmExit(C.p2, p.lastEntryAtMs()!, 'cri exited', 255)).toBe(false);
    const ev = lostIds(p);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toContain(C.p2);
  });

  it('survives the daemon\'s state checkpoint (export, import into a fresh pipeline)', async () => {
    const p = await pipelineOf('d-restart-other-root.export');
    const saved = JSON.parse(JSON.stringify(p.exportState())) as unknown;
    const q = createEventPipeline({ clock: Date.now, config: null });
    q.importState(saved);
    const ev = lostIds(q);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toContain(C.d1);
    expect(ev[0]).toContain(C.d2);
    expect(ev[0]).toContain('state not readable');
  });
});
