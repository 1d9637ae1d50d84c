/**
 * Pods (or lone containers) that are or were stuck Terminating, derived from correlator state at a
 * given time; never stored. Read by the event snapshot and by the findings engine's event detector.
 */
import type { ContainerState, Correlator } from './correlator.js';

export interface StuckPod {
  namespace: string | null;
  pod: string | null;
  podUID: string | null;
  containers: ContainerState[];
  firstStopAtMs: number;
  resolvedAtMs: number | null;
}

/** Pods (or lone containers) that are or were stuck Terminating, as of `nowMs`. */
export function stuckPods(cor: Correlator, nowMs: number): StuckPod[] {
  const byKey = new Map<string, StuckPod>();
  for (const c of cor.containers()) {
    const stuckAt = cor.stuckAtMs(c);
    if (stuckAt === undefined || stuckAt > nowMs) continue;
    const resolvedAt = cor.resolvedAtMs(c, nowMs);
    if (resolvedAt !== undefined && resolvedAt < stuckAt) continue; // cleared before it counted as stuck
    const p = cor.podOf(c);
    // one row per pod instance: a pod recreated under the same name (a rollout) has a new UID
    const uid = c.podUID ?? p?.podUID ?? null;
    const key = p ? `${p.key}|${uid ?? ''}` : `container:${c.id}`;
    let s = byKey.get(key);
    if (!s) {
      s = {
        namespace: p?.namespace ?? c.namespace ?? null,
        pod: p?.pod ?? c.pod ?? null,
        podUID: uid,
        containers: [],
        firstStopAtMs: c.firstStopAtMs!,
        resolvedAtMs: resolvedAt ?? null,
      };
      byKey.set(key, s);
    } else {
      s.firstStopAtMs = Math.min(s.firstStopAtMs, c.firstStopAtMs!);
      if (resolvedAt === undefined) s.resolvedAtMs = null;
      else if (s.resolvedAtMs !== null) s.resolvedAtMs = Math.max(s.resolvedAtMs, resolvedAt);
    }
    s.containers.push(c);
  }
  return [...byKey.values()].sort((a, b) => a.firstStopAtMs - b.firstStopAtMs);
}
