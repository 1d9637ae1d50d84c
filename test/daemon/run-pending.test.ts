/**
 * runtime-failure-mechanisms.md §10: a SIGHUP makes GET /config show the new default, but the
 * runtime layer keeps the old one until CRI-O starts again. Through the real event pipeline, the
 * real config engine and a fake CRI-O on a real unix socket: pending-runtime-change stays active
 * after the reload and clears only when a `Starting CRI-O` with the new default is seen.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createDaemon, eventPipelineFactory, type Daemon } from '../../src/daemon/daemon.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { silentLogger } from '../../src/daemon/log.js';
import { waitFor } from '../helpers/daemon-process.js';
import { startFakeCrio, type FakeCrio } from '../helpers/fake-crio.js';

let root: string;
let daemon: Daemon | null = null;
let fake: FakeCrio | null = null;

const put = (p: string, c: string, mode = 0o644): void => {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.writeFileSync(path.join(root, p), c, { mode });
};

function dump(def: string): string {
  const h = (n: string, p: string, r: string): string => `      [crio.runtime.runtimes.${n}]\\n        runtime_path = \\"${p}\\"\\n        runtime_root = \\"${r}\\"\\n`;
  return `Current CRI-O configuration:\\n[crio]\\n  [crio.runtime]\\n    default_runtime = \\"${def}\\"\\n    [crio.runtime.runtimes]\\n${h('crun', '/usr/bin/crun', '/run/crun')}${h('runc', '/usr/sbin/runc', '/run/runc')}${def === 'nvidia' ? h('nvidia', '/usr/bin/nvidia-container-runtime', '/run/runc') : ''}`;
}

let seq = 0;
function crio(msg: string): JournalEntry {
  const us = Date.now() * 1000 + seq++;
  return { cursor: null, realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 900, streamId: null, bootId: null, message: `time="2026-11-28 21:52:12.000000000Z" level=info msg="${msg}"` };
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-pend-'));
  for (const b of ['/usr/bin/crun', '/usr/sbin/runc', '/usr/bin/nvidia-container-runtime']) put(b, '#!/bin/sh\n', 0o755);
  put('/etc/crio/crio.conf', '[crio.runtime]\ndefault_runtime = "runc"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\nruntime_root = "/run/crun"\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/sbin/runc"\nruntime_root = "/run/runc"\n');
  put('/etc/crio/crio.conf.d/99-nvidia.conf', '[crio.runtime]\ndefault_runtime = "nvidia"\n[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\nruntime_root = "/run/runc"\n');
  fs.mkdirSync(path.join(root, 'var/run/crio'), { recursive: true });
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await fake?.close();
  fake = null;
  fs.rmSync(root, { recursive: true, force: true });
});

describe('pending-runtime-change across a SIGHUP reload of CRI-O', () => {
  it('stays pending after the reload although GET /config shows nvidia, and clears at the next CRI-O start', async () => {
    const handlers = {
      crun: { runtimePath: '/usr/bin/crun', runtimeRoot: '/run/crun' },
      runc: { runtimePath: '/usr/sbin/runc', runtimeRoot: '/run/runc' },
      nvidia: { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc' },
    };
    fake = await startFakeCrio(path.join(root, 'var/run/crio/crio.sock'), { defaultRuntime: 'runc', runtimes: { crun: handlers.crun, runc: handlers.runc } });
    daemon = createDaemon({
      flags: parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--no-journal', '--crio-version', '1.31.0', '--crio-poll-interval', '100ms'], {}, 'n'),
      clock: Date.now,
      log: silentLogger,
      listProcesses: null,
      createPipeline: eventPipelineFactory,
    });
    await daemon.start();
    // CRI-O started with runc; the nvidia drop-in arrived afterwards
    daemon.sink.entry(crio('Starting CRI-O, version: 1.31.0, git: unknown(clean)'));
    daemon.sink.entry(crio(dump('runc')));
    await waitFor('api up', async () => daemon!.status().sources.crioApi.up);
    let st = daemon.status();
    expect(st.events?.crio.runtimeLayerDefault).toBe('runc');
    expect(st.findings.map((f) => f.id)).toContain('pending-runtime-change');

    // systemctl reload crio: /config now shows nvidia, the runtime layer still runs runc
    fake.setDefaultRuntime('nvidia');
    fake.setRuntimes(handlers);
    for (const m of ['Reloading configuration', 'Updating runtime configuration', 'Set config default_runtime to \\"nvidia\\"', 'Configuration reload completed']) daemon.sink.entry(crio(m));
    await waitFor('GET /config shows nvidia', async () => daemon!.status().live.defaultRuntime === 'nvidia');
    st = daemon.status();
    expect(st.events?.crio.configuredDefault).toBe('nvidia');
    expect(st.events?.crio.runtimeLayerDefault).toBe('runc');
    const pending = st.findings.find((f) => f.id === 'pending-runtime-change');
    expect(pending?.evidence.join('\n')).toMatch(/GET \/config already shows default_runtime "nvidia" after a reload, but CRI-O's runtime layer keeps "runc"/);
    expect(st.drift).toBe(true);

    // systemctl restart crio with the new files: nothing pending any more
    daemon.sink.entry(crio('Starting CRI-O, version: 1.31.0, git: unknown(clean)'));
    daemon.sink.entry(crio(dump('nvidia')));
    st = daemon.status();
    expect(st.events?.crio.runtimeLayerDefault).toBe('nvidia');
    expect(st.findings.map((f) => f.id)).not.toContain('pending-runtime-change');
    expect(st.drift).toBe(false);
  });
});
