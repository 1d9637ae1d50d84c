/**
 * The container source's edge: one CRI poll and one read of the runtime roots, then the pure model.
 * Used by `crio-sentinel pods` (once) and the daemon (every poll). Never throws: a failing part
 * becomes null plus an error text, and the model says what it could not see.
 */
import type { ConfigReport, EventSnapshot, LiveCrio } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import { buildContainerModel } from '../containers/model.js';
import { runtimeRootsToRead } from '../containers/roots.js';
import type { ContainerModel, CriErrorKind, CriSnapshot, RuntimeStateSnapshot } from '../containers/types.js';
import { readRuntimeRoots, type BoundedLister } from '../live/runtime-state.js';
import { CriError, type CriClient } from './client.js';
import { pollCri, type CriPollOptions } from './poll.js';

export interface CriPollResult {
  snapshot: CriSnapshot | null;
  error: string | null;
  errorKind: CriErrorKind | null;
}

export async function pollCriSafely(client: CriClient, opts?: CriPollOptions): Promise<CriPollResult> {
  try {
    return { snapshot: await pollCri(client, opts), error: null, errorKind: null };
  } catch (e) {
    if (e instanceof CriError) return { snapshot: null, error: e.message, errorKind: e.kind };
    return { snapshot: null, error: e instanceof Error ? e.message : String(e), errorKind: 'rpc-error' };
  }
}

export interface RuntimeReadResult {
  snapshot: RuntimeStateSnapshot | null;
  error: string | null;
}

export function readRuntimeStateSafely(
  view: FileView,
  report: ConfigReport | null,
  live: LiveCrio | null,
  wrapperBinary: string | null,
  listDir: BoundedLister | undefined,
): RuntimeReadResult {
  try {
    const roots = runtimeRootsToRead(report, live, wrapperBinary);
    return { snapshot: readRuntimeRoots(view, roots, listDir ? { listDir } : {}), error: null };
  } catch (e) {
    return { snapshot: null, error: e instanceof Error ? e.message : String(e) };
  }
}

export function modelOf(
  nowMs: number,
  cri: CriSnapshot | null,
  runtime: RuntimeStateSnapshot | null,
  report: ConfigReport | null,
  live: LiveCrio | null,
  events: EventSnapshot | null,
  wrapperBinary: string | null,
  limits?: { pods?: number; containersPerPod?: number; containers?: number },
): ContainerModel {
  return buildContainerModel({ nowMs, cri, runtime, report, live, events, wrapperBinary, ...(limits ? { limits } : {}) });
}
