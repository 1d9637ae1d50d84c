/**
 * The live detector: the RUNNING CRI-O against its files (catalogue source "live"), pure.
 * - pending-runtime-change: the files resolve to a different default runtime or handler set than
 *   the one CRI-O runs. After a SIGHUP, GET /config already shows the new default but the runtime
 *   layer keeps the old one until CRI-O starts again, so the journal's runtime-layer default wins
 *   when known (src/live/compare.ts). Raised by `scan` too: there the running default comes from
 *   the journal alone. Names the pods that will move when the container model knows them.
 * - crio-live-config-unavailable: the socket could not be read (only where a live source exists).
 */
import type { ConfigReport, EventSnapshot, LiveCrio } from '../../core/contracts.js';
import { compareWithLive, type LiveComparison } from '../../live/compare.js';
import type { FindingDraft } from '../types.js';

/** Pods whose containers move to another runtime at the next CRI-O start (from the container model). */
export interface MovingPods {
  /** "namespace/pod", at most a bounded number */
  pods: string[];
  /** how many pods in all */
  total: number;
}

const SOURCE_TEXT: Record<NonNullable<LiveComparison['runningSource']>, string> = {
  'journal-start': 'journal, last CRI-O start',
  api: 'GET /config on the CRI-O socket',
  journal: 'CRI-O journal lines',
};

/** How many pod names a finding lists before it says "… and N more". */
const MAX_PODS_NAMED = 20;

export function podList(m: MovingPods): string {
  const shown = m.pods.slice(0, MAX_PODS_NAMED);
  const more = m.total - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` … and ${more} more (showing ${shown.length} of ${m.total})` : ''}`;
}

function pending(report: ConfigReport | null, cmp: LiveComparison, moving: MovingPods | null): FindingDraft | null {
  if (!cmp.drift) return null;
  const target = cmp.filesDefault ?? 'the new default';
  const evidence = [...cmp.differences];
  if (cmp.runningSource) evidence.push(`running default "${cmp.runningDefault}" from ${SOURCE_TEXT[cmp.runningSource]}`);
  if (cmp.reloadedDefault) {
    evidence.push(
      `GET /config already shows default_runtime "${cmp.reloadedDefault}" after a reload, but CRI-O's runtime layer keeps "${cmp.runningDefault}" until it restarts`,
    );
  }
  const src = report?.effective?.defaultRuntime.source;
  if (src && 'file' in src) evidence.push(`files: default_runtime set in ${src.file}${src.line !== null ? ` line ${src.line}` : ''}`);
  const params: Record<string, string> = { target };
  if (moving && moving.total > 0) {
    evidence.push(`${moving.total} running pod(s) will move to another runtime at the next CRI-O start: ${podList(moving)}`);
    params.pods = podList(moving);
  }
  return {
    id: 'pending-runtime-change',
    summary: `CRI-O runs "${cmp.runningDefault}" but its files now resolve to "${target}": the change is pending${moving && moving.total > 0 ? ` for ${moving.total} running pod(s)` : ''}`,
    evidence,
    params,
  };
}

function liveUnavailable(live: LiveCrio): FindingDraft | null {
  if (live.source === 'api') return null;
  const evidence = [live.lastError ? `CRI-O socket: ${live.lastError}` : 'CRI-O socket not read yet'];
  if (live.source === 'journal') evidence.push(`falling back to the CRI-O journal lines (default "${live.defaultRuntime ?? 'unknown'}")`);
  return { id: 'crio-live-config-unavailable', summary: "CRI-O's running configuration cannot be read from its socket", evidence };
}

export interface LiveSources {
  config?: ConfigReport | null;
  live?: LiveCrio | null;
  events?: { snapshot: EventSnapshot } | null;
  movingPods?: MovingPods | null;
}

const NO_LIVE: LiveCrio = { source: 'none', defaultRuntime: null, runtimes: null, info: null, process: null, lastError: null };

export function detectLive(s: LiveSources): FindingDraft[] {
  const out: FindingDraft[] = [];
  const cmp = compareWithLive(s.config ?? null, s.live ?? NO_LIVE, s.events?.snapshot ?? null);
  const p = pending(s.config ?? null, cmp, s.movingPods ?? null);
  if (p) out.push(p);
  if (s.live) {
    const u = liveUnavailable(s.live);
    if (u) out.push(u);
  }
  return out;
}
