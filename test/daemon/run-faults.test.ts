/**
 * The daemon in-process (createDaemon) with faulty sources: a fault in one source degrades that
 * source and shows in its metric and status; the daemon keeps serving. Real HTTP on 127.0.0.1:0,
 * real unix socket for the fake CRI-O.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import type { ConfigReport } from '../../src/core/contracts.js';
import { createDaemon, DaemonStoppedError, eventPipelineFactory, type Daemon, type DaemonDeps } from '../../src/daemon/daemon.js';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { createLogger, silentLogger } from '../../src/daemon/log.js';
import { sample, waitFor } from '../helpers/daemon-process.js';
import { startFakeCrio, type FakeCrio } from '../helpers/fake-crio.js';

let root: string;
let daemon: Daemon | null = null;
let fake: FakeCrio | null = null;
let logs: string[] = [];

function deps(extra: Partial<DaemonDeps> = {}, argv: string[] = []): DaemonDeps {
  return {
    flags: parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--crio-version', '1.31.0', '--state-dir', path.join(root, 'state'), ...argv], {}, 'test-node'),
    clock: Date.now,
    log: createLogger({ level: 'debug', format: 'logfmt', clock: Date.now, write: (l) => logs.push(l) }),
    listProcesses: null,
    ...extra,
  };
}

async function get(url: string, p: string): Promise<{ status: number; text: string }> {
  const r = await fetch(new URL(p, url));
  return { status: r.status, text: await r.text() };
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fault-'));
  fs.mkdirSync(path.join(root, 'etc/crio/crio.conf.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/crio/crio.conf.d/10-crio.conf'), '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n');
  logs = [];
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await fake?.close();
  fake = null;
  fs.rmSync(root, { recursive: true, force: true });
});

describe('daemon fault isolation', () => {
  it('keeps the last good configuration when the engine faults, and counts the failure', async () => {
    let broken = false;
    daemon = createDaemon(
      deps({
        resolve: (inputs, view): ConfigReport => {
          if (broken) throw new TypeError('engine bug');
          return resolveConfig(inputs, view);
        },
      }, ['--no-journal']),
    );
    const { url } = await daemon.start();
    expect(daemon.status().config.report?.effective?.defaultRuntime.name).toBe('crun');
    broken = true;
    await daemon.reload();
    const st = daemon.status();
    expect(st.config.reloads).toEqual({ success: 1, failure: 1 });
    expect(st.config.lastError).toBe('engine bug');
    expect(st.config.report?.effective?.defaultRuntime.name).toBe('crun');
    const m = (await get(url, '/metrics')).text;
    expect(sample(m, 'crio_sentinel_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(sample(m, 'crio_sentinel_default_runtime_info', { runtime: 'crun' })).toBe(1);
    broken = false;
    await daemon.reload();
    expect(daemon.status().config.lastError).toBeNull();
  });

  it('a stop during start (SIGTERM while starting): start gives up, and what it opened is closed, the port included', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const journal = { started: 0, stopped: 0 };
    const d = createDaemon(
      deps(
        {
          createJournal: () => ({
            start: async () => {
              journal.started++;
              await gate; // the stop arrives while the journal source starts
            },
            stop: async () => {
              journal.stopped++;
            },
            health: () => ({ up: true, mode: 'follow', restarts: 0, lastEntryAtUs: null, lastError: null }),
          }),
        },
        ['--web.listen-address', `127.0.0.1:${port}`],
      ),
    );
    const starting = d.start();
    await waitFor('the journal source is starting', async () => journal.started === 1);
    const stopping = d.stop();
    release();
    await expect(starting).rejects.toBeInstanceOf(DaemonStoppedError);
    await stopping;
    expect(journal.stopped).toBe(1);
    // nothing listens on the port start was about to open (or had opened)
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), resolve('connected')));
      c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(logs.join('')).toMatch(/msg=stopped/);
  });

  it('a journal source that fails to start, a pipeline that throws and node facts that fail degrade only themselves', async () => {
    let ingested = 0;
    daemon = createDaemon(
      deps({
        createPipeline: (o) => {
          const real = eventPipelineFactory(o);
          return {
            ...real,
            ingest: () => {
              ingested++;
              throw new Error('classifier bug');
            },
            snapshot: (now) => real.snapshot(now),
            setConfig: (r, at) => real.setConfig(r, at),
          };
        },
        createJournal: () => ({
          start: () => Promise.reject(new Error('journalctl: permission denied')),
          stop: async () => undefined,
          health: () => ({ up: false, mode: 'follow', restarts: 0, lastEntryAtUs: null, lastError: 'never started' }),
        }),
        nodeFacts: { osInfo: () => Promise.reject(new Error('no /etc/os-release')), graphics: async () => ({ controllers: [] }) },
        nodeFactsAnyRoot: true,
      }),
    );
    const { url } = await daemon.start();
    // the sink still counts what the broken pipeline drops
    daemon.sink.entry({ cursor: null, realtimeUs: Date.now() * 1000, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 1, streamId: null, bootId: null, message: 'x' });
    daemon.sink.skip('malformed', 'test');
    expect(ingested).toBe(1);
    await waitFor('node facts read', async () => daemon!.status().sources.nodeFacts.lastError !== 'not read yet');
    const st = daemon.status();
    expect(st.sources.journal.up).toBe(false);
    expect(st.sources.nodeFacts).toEqual({ up: false, lastError: 'osInfo: no /etc/os-release' });
    expect(st.node.nvidiaGpus).toBe(0);
    expect(st.ready).toEqual({ ok: false, reason: 'journal source down: never started' });
    expect((await get(url, '/healthz')).status).toBe(200);
    expect((await get(url, '/readyz')).status).toBe(503);
    const m = (await get(url, '/metrics')).text;
    expect(sample(m, 'crio_sentinel_journal_up')).toBe(0);
    expect(sample(m, 'crio_sentinel_journal_entries_total', { unit: 'crio' })).toBe(1);
    expect(sample(m, 'crio_sentinel_journal_skipped_total', { reason: 'malformed' })).toBe(1);
    expect(logs.join('')).toMatch(/journal source failed to start.*permission denied/);
    expect(logs.join('')).toMatch(/entry dropped.*classifier bug/);
  });

  it('reads the running CRI-O over its socket and re-reads after a change; --no-journal is ready', async () => {
    fs.mkdirSync(path.join(root, 'var/run/crio'), { recursive: true });
    fake = await startFakeCrio(path.join(root, 'var/run/crio/crio.sock'), { defaultRuntime: 'crun', runtimes: { crun: { runtimePath: '/usr/bin/crun', runtimeRoot: '/run/crun' } } });
    daemon = createDaemon(deps({}, ['--no-journal', '--crio-poll-interval', '100ms']));
    const { url } = await daemon.start();
    await waitFor('api up', async () => daemon!.status().sources.crioApi.up);
    let st = daemon.status();
    expect(st.live).toMatchObject({ source: 'api', defaultRuntime: 'crun', info: { cgroup_driver: 'systemd' } });
    expect(st.drift).toBe(false);
    expect(st.ready).toEqual({ ok: true, reason: 'configuration evaluated; journal deliberately off' });
    expect(st.sources.journal.mode).toBe('off');
    fake.setDefaultRuntime('runc');
    fake.setRuntimes({ runc: { runtimePath: '/usr/sbin/runc', runtimeRoot: '/run/runc' } });
    await waitFor('live default runc', async () => daemon!.status().live.defaultRuntime === 'runc');
    st = daemon.status();
    expect(st.drift).toBe(true);
    expect(st.findings.map((f) => f.id)).toContain('pending-runtime-change');
    expect(JSON.parse((await get(url, '/api/v1/status')).text).live.defaultRuntime).toBe('runc');
  });

  it('takes the CRI-O version from the journal when nothing else knows it, and re-runs the engine with it', async () => {
    const flags = parseRunFlags(['--root', root, '--web.listen-address', '127.0.0.1:0', '--no-journal', '--crio-poll-interval', '100ms'], {}, 'n');
    daemon = createDaemon({ flags, clock: Date.now, log: silentLogger, listProcesses: null, createPipeline: eventPipelineFactory });
    await daemon.start();
    expect(daemon.status().config.report?.crioVersion ?? null).toBeNull();
    const us = Date.now() * 1000;
    daemon.sink.entry({
      cursor: null, realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 1, streamId: null, bootId: null,
      message: 'time="2026-11-28 21:52:12.501635650Z" level=info msg="Starting CRI-O, version: 1.24.6, git: unknown(clean)"',
    });
    await waitFor('the engine re-run with 1.24.6', async () => daemon!.status().config.report?.crioVersion === '1.24.6');
    expect(daemon.status().crioVersion).toBe('1.24.6');
    expect(daemon.status().config.reloads.success).toBe(2);
  });
});
