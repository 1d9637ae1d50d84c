/**
 * One findings engine: the same journal and files through `scan` and through the daemon give the
 * same finding ids. The daemon runs in process with the real config engine and the real event
 * pipeline; the journal's entries go into its sink (exactly what the follower delivers) and its
 * clock stands at the last entry, where `scan` evaluates. The only findings the daemon may add are
 * those that need a source `scan` has not got (the CRI-O socket: crio-live-config-unavailable).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scan } from '../../src/commands/scan.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createHostFileView, resolveConfig, readVersionHint } from '../../src/config/index.js';
import { createDaemon, eventPipelineFactory, type Daemon } from '../../src/daemon/daemon.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { silentLogger } from '../../src/daemon/log.js';
import { catalogueEntry } from '../../src/findings/catalogue.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { REPO } from '../helpers/daemon-process.js';
import { REFERENCE } from '../helpers/reference.js';

const SAMPLE = path.join(REFERENCE, 'sample-journal.txt');
const REAL = path.join(REFERENCE, 'captures/real-incident/crio-1.31.0-restart.jsonl');
const INCIDENT = path.join(REPO, 'examples/incidents/nvidia-default.jsonl');
const DEMO_NODE = path.join(REPO, 'examples/nodes/nvidia-default');

let daemon: Daemon | null = null;
const tmps: string[] = [];
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  for (const t of tmps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

async function entriesOf(file: string): Promise<JournalEntry[]> {
  const got: JournalEntry[] = [];
  await readJournalFile(file, { entry: (e) => void got.push(e), skip: () => undefined });
  return got;
}

/** Findings whose source only the daemon has (the CRI-O socket). */
const DAEMON_ONLY = new Set(['crio-live-config-unavailable']);

/**
 * scan and the daemon with the same files: the given node tree, or an empty one (CRI-O's built-in
 * defaults) for journals that come without their node.
 */
async function both(journal: string, nodeRoot: string | null): Promise<{ scanIds: string[]; daemonIds: string[] }> {
  const entries = await entriesOf(journal);
  const lastMs = Math.floor(Math.max(...entries.map((e) => e.realtimeUs)) / 1000);
  let root = nodeRoot;
  if (!root) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-parity-'));
    tmps.push(root);
  }
  const config = resolveConfig({ crioVersion: readVersionHint(root) }, createHostFileView(root));
  const s = await scan({ config, read: async (sink) => readJournalFile(journal, sink) });

  daemon = createDaemon({
    flags: parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--no-journal', '--node-facts', 'off', '--crio-socket', '/nonexistent/crio.sock'], {}, 'n'),
    clock: () => lastMs,
    log: silentLogger,
    listProcesses: null,
    createPipeline: eventPipelineFactory,
  });
  await daemon.start();
  for (const e of entries) daemon.sink.entry(e);
  const daemonIds = daemon
    .status()
    .findings.map((f) => f.id)
    .filter((id) => !DAEMON_ONLY.has(id));
  return { scanIds: s.findings.map((f) => f.id), daemonIds };
}

describe('scan and the daemon raise the same findings from the same journal and files', () => {
  it('the composed sample journal', async () => {
    const { scanIds, daemonIds } = await both(SAMPLE, null);
    expect(scanIds.length).toBeGreaterThan(0);
    expect(daemonIds).toEqual(scanIds);
  });

  it('the real CRI-O 1.31.0 incident: default-changed-under-running-pods in both', async () => {
    const { scanIds, daemonIds } = await both(REAL, null);
    expect(scanIds).toContain('default-changed-under-running-pods');
    expect(daemonIds).toEqual(scanIds);
  });

  it('the bundled demo incident on the demo node (files and journal)', async () => {
    const { scanIds, daemonIds } = await both(INCIDENT, DEMO_NODE);
    for (const id of ['nvidia-default-runtime', 'pod-stuck-terminating', 'stop-failures-under-nvidia-default']) expect(scanIds).toContain(id);
    expect(daemonIds).toEqual(scanIds);
    // every id is a catalogue id, with the catalogue's source
    for (const id of scanIds) expect(['config', 'events', 'live', 'node']).toContain(catalogueEntry(id).source);
  });
});
