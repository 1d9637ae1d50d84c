/**
 * The daemon's container source: every poll, one CRI poll (src/cri/poll.ts) and one read of the
 * runtime roots (src/live/runtime-state.ts); the results are kept, and status()/metrics build the
 * container model from the LAST poll with the current files, live CRI-O and journal (pure, cheap).
 * A scrape never waits for CRI-O: a CRI-O that hangs costs a poll its deadlines and shows as
 * `sources.cri.up = false` with the error kind, counted.
 */
import type { ConfigReport, EventSnapshot, LiveCrio } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import { readWrapperConfig, resolveWrapperBinary } from '../config/nvidia.js';
import { buildContainerModel } from '../containers/model.js';
import type { ContainerModel, ContainersStatus, CriErrorKind, CriSnapshot, CriSourceHealth, RuntimeStateSnapshot } from '../containers/types.js';
import { createBoundedLister } from '../live/runtime-state.js';
import { createCriClient, type CriClient } from './client.js';
import { pollCriSafely, readRuntimeStateSafely } from './collect.js';
import type { CriPollOptions } from './poll.js';

export interface ContainerSourceOptions {
  /** socket path on this machine (already under --root) */
  socketPath: string;
  /** the host root the runtime roots and /proc are read under */
  root: string;
  view: FileView;
  clock: () => number;
  /** false = the source is off (demo, --no-cri): health says so, no poll happens */
  enabled: boolean;
  timeoutMs?: number;
  client?: CriClient;
  log?: (level: 'info' | 'warn' | 'debug', msg: string, fields?: Record<string, unknown>) => void;
  /** containers kept per pod / pods listed in /api/v1/status */
  limits?: { pods?: number; containersPerPod?: number; containers?: number };
}

export interface ContainerSource {
  /** one poll; concurrent calls share the one in flight */
  poll(report: ConfigReport | null, live: LiveCrio | null): Promise<void>;
  /** the model from the last poll and the current files/live/journal; null before any data */
  model(report: ConfigReport | null, live: LiveCrio | null, events: EventSnapshot | null): ContainerModel | null;
  health(): CriSourceHealth;
  status(model: ContainerModel | null): ContainersStatus;
  close(): void;
}

/** /api/v1/status keeps the per-container list short; the pods at risk carry the details. */
export const STATUS_LIMITS = { pods: 50, containersPerPod: 20, containers: 200 } as const;

export function createContainerSource(o: ContainerSourceOptions): ContainerSource {
  const client = o.client ?? (o.enabled ? createCriClient({ socketPath: o.socketPath, timeoutMs: o.timeoutMs ?? 2000 }) : null);
  const lister = createBoundedLister(o.root);
  const iso = (ms: number): string => new Date(ms).toISOString();
  let cri: CriSnapshot | null = null;
  let runtime: RuntimeStateSnapshot | null = null;
  let runtimeError: string | null = null;
  let wrapperBinary: string | null = null;
  const health: CriSourceHealth = {
    up: false,
    mode: o.enabled ? 'poll' : 'off',
    lastPollAt: null,
    lastSuccessAt: null,
    lastError: o.enabled ? 'not polled yet' : 'CRI source off',
    lastErrorKind: null,
    failures: {},
  };
  let inFlight: Promise<void> | null = null;
  // ContainerStatus answers across polls: a steady poll asks only about new or changed containers
  const statusCache: NonNullable<CriPollOptions['statusCache']> = new Map();

  const pollOnce = async (report: ConfigReport | null, live: LiveCrio | null): Promise<void> => {
    if (!client) return;
    const r = await pollCriSafely(client, { statusCache });
    if (!r.snapshot) statusCache.clear();
    const now = o.clock();
    health.lastPollAt = iso(now);
    if (r.snapshot) {
      if (!health.up) o.log?.('info', 'CRI source up', { runtime: r.snapshot.runtimeName, version: r.snapshot.runtimeVersion, containers: r.snapshot.containers.length });
      cri = r.snapshot;
      health.up = true;
      health.lastSuccessAt = iso(now);
      health.lastError = null;
      health.lastErrorKind = null;
    } else {
      const kind: CriErrorKind = r.errorKind ?? 'rpc-error';
      if (health.up || health.lastError !== r.error) o.log?.('warn', 'CRI source down', { kind, err: r.error });
      // the last good list is dropped: a model of containers CRI-O no longer vouches for would mislead
      cri = null;
      health.up = false;
      health.lastError = r.error;
      health.lastErrorKind = kind;
      health.failures[kind] = (health.failures[kind] ?? 0) + 1;
    }
    try {
      wrapperBinary = resolveWrapperBinary(o.view, readWrapperConfig(o.view));
    } catch {
      wrapperBinary = null;
    }
    const rt = readRuntimeStateSafely(o.view, report, live, wrapperBinary, lister);
    runtime = rt.snapshot;
    runtimeError = rt.error;
  };

  return {
    poll(report, live) {
      if (!o.enabled) return Promise.resolve();
      inFlight ??= pollOnce(report, live).finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    model(report, live, events) {
      if (!o.enabled || (!cri && !runtime)) return null;
      const m = buildContainerModel({ nowMs: o.clock(), cri, runtime, report, live, events, wrapperBinary, limits: { ...STATUS_LIMITS, ...o.limits } });
      if (runtimeError) m.notes.push(`runtime roots: ${runtimeError}`);
      if (!health.up && health.lastError) m.notes.push(`CRI: ${health.lastError}`);
      return m;
    },
    health: () => ({ ...health, failures: { ...health.failures } }),
    status(model) {
      return {
        model,
        cri: { ...health, failures: { ...health.failures } },
        runtimeState: {
          up: runtime !== null,
          lastReadAt: runtime?.readAt ?? null,
          lastError: runtimeError,
          roots: runtime?.roots ?? [],
        },
      };
    },
    close() {
      client?.close();
    },
  };
}
