import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { createReplaySource, demoDeps, findIncidentFile, loadIncident, packageRoot } from '../../src/daemon/demo.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { silentLogger } from '../../src/daemon/log.js';
import { REPO, waitFor } from '../helpers/daemon-process.js';

const CID = '56264251ca7a915c94dd819a3dce1807feebc6186d78d594403cade22056d1bb';

function entry(us: number, message: string): JournalEntry {
  return { cursor: null, realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 1, streamId: null, bootId: null, message };
}

let dir: string;
let daemon: Daemon | null = null;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-demo-'));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('demo replay', () => {
  it('replays in real time shifted to now: first entries at once, offsets kept', async () => {
    let now = 1_800_000_000_000;
    const timers: { fn: () => void; at: number }[] = [];
    const got: JournalEntry[] = [];
    const t0 = 1_700_000_000_000_000;
    const src = createReplaySource({
      entries: [entry(t0, 'a'), entry(t0 + 10, 'b'), entry(t0 + 5_000_000, 'c'), entry(t0 + 60_000_000, 'd')],
      sink: { entry: (e) => got.push(e), skip: () => undefined },
      clock: () => now,
      log: silentLogger,
      setTimer: (fn, ms) => {
        const t = { fn, at: now + ms };
        timers.push(t);
        return { cancel: () => timers.splice(timers.indexOf(t), 1) };
      },
    });
    await src.start();
    expect(got.map((e) => e.message)).toEqual(['a', 'b']);
    expect(got[0]?.realtimeUs).toBe(now * 1000);
    expect(timers.at(-1)?.at).toBe(now + 5000);
    now += 5000;
    timers.shift()!.fn();
    expect(got.map((e) => e.message)).toEqual(['a', 'b', 'c']);
    expect(got[2]?.realtimeUs).toBe((now - 5000) * 1000 + 5_000_000);
    expect(src.health()).toMatchObject({ up: true, mode: 'file' });
    await src.stop();
    expect(timers).toHaveLength(0);
    expect(src.remaining()).toBe(1);
  });

  it('finds the package root and the incident file, not the README', () => {
    expect(packageRoot()).toBe(REPO);
    fs.writeFileSync(path.join(dir, 'README.md'), '# incident\n');
    fs.writeFileSync(path.join(dir, 'gpu-node.jsonl'), '');
    expect(findIncidentFile(dir)).toBe(path.join(dir, 'gpu-node.jsonl'));
    expect(() => findIncidentFile(path.join(dir, 'nope'))).toThrow(/missing/);
  });

  it('runs the whole daemon on the example node with the incident replayed through the same sink', async () => {
    // a package tree: package.json, the bundled example node, and an incident in journalctl -o json form
    const pkg = path.join(dir, 'pkg');
    fs.mkdirSync(path.join(pkg, 'examples/incidents'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'crio-sentinel', version: '0.0.0' }));
    fs.cpSync(path.join(REPO, 'examples/nodes/nvidia-default'), path.join(pkg, 'examples/nodes/nvidia-default'), { recursive: true });
    const t0 = Date.parse('2026-11-28T21:52:12Z') * 1000;
    const rows: [number, string][] = [
      [0, 'Starting CRI-O, version: 1.31.0, git: unknown(clean)'],
      [1, `Created container ${CID}: default/gpu-job/cuda-worker`],
      [2, `Stopping container: ${CID} (timeout: 10s)`],
      [2.5, `Stopping container ${CID} with stop signal timed out. Killing...`],
      ...[2.6, 2.7, 2.9].map(
        (o) =>
          [o, `Killing container ${CID} failed: \`/usr/bin/nvidia-container-runtime --root /run/runc kill ${CID} KILL\` failed: time=\\"2026-11-28T21:52:39Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1`] as [number, string],
      ),
      [600, 'late entry that the test does not wait for'],
    ];
    const lines = rows.map(([off, msg], i) =>
      JSON.stringify({
        __CURSOR: `s=0;i=${i}`,
        __REALTIME_TIMESTAMP: String(t0 + off * 1_000_000),
        _SYSTEMD_UNIT: 'crio.service',
        SYSLOG_IDENTIFIER: 'crio',
        _TRANSPORT: 'stdout',
        _PID: '9119',
        MESSAGE: `time="2026-11-28 21:52:12.000000000Z" level=${msg.startsWith('Killing') ? 'error' : 'info'} msg="${msg}"`,
      }),
    );
    fs.writeFileSync(path.join(pkg, 'examples/incidents/gpu-node.jsonl'), lines.join('\n') + '\n');
    expect((await loadIncident(path.join(pkg, 'examples/incidents/gpu-node.jsonl'))).length).toBe(rows.length);

    const flags = parseRunFlags(['--demo', '--web.listen-address', '127.0.0.1:0', '--stuck-threshold', '1s'], {}, os.hostname());
    const { deps, nodeRoot } = await demoDeps(flags, { clock: Date.now, log: silentLogger, pkgRoot: pkg });
    expect(nodeRoot).toBe(path.join(pkg, 'examples/nodes/nvidia-default'));
    // --root with --demo: the incident replays against that node tree instead
    const other = path.join(pkg, 'other-node');
    await expect(demoDeps(parseRunFlags(['--demo', '--root', other], {}, os.hostname()), { clock: Date.now, log: silentLogger, pkgRoot: pkg })).rejects.toThrow(
      `--root ${other}: no such directory`,
    );
    fs.cpSync(nodeRoot, other, { recursive: true });
    const withRoot = await demoDeps(parseRunFlags(['--demo', '--root', other], {}, os.hostname()), { clock: Date.now, log: silentLogger, pkgRoot: pkg });
    expect(withRoot.nodeRoot).toBe(other);
    expect(withRoot.deps.flags.root).toBe(other);
    daemon = createDaemon(deps);
    const { url } = await daemon.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const st = await waitFor(
      'the replayed incident in /api/v1/status',
      async () => {
        const s = (await (await fetch(new URL('api/v1/status', url))).json()) as { findings: { id: string }[]; events: { killFailures: { count: number }[] } | null };
        return s.findings.some((f) => f.id === 'stop-failures-under-nvidia-default') && s.events?.killFailures[0]?.count === 3 ? s : null;
      },
      15_000,
    );
    expect(st.events?.killFailures.length).toBe(1);
    const status = daemon.status();
    expect(status.node.name).toBe('demo-gpu-node');
    expect(status.node.nvidiaGpus).toBe(8);
    expect(status.sources.journal.mode).toBe('file');
    expect(status.config.report?.effective?.defaultRuntime.name).toBe('nvidia');
    expect(status.ready.ok).toBe(true);
    const metrics = await (await fetch(new URL('metrics', url))).text();
    expect(metrics).toMatch(/^crio_sentinel_default_runtime_is_nvidia 1$/m);
    expect(metrics).toMatch(/^crio_sentinel_journal_entries_total\{unit="crio"\} 7$/m);
  });
});
