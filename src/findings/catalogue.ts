/**
 * The findings catalogue: one row per stable finding id (runtime-failure-mechanisms.md §8).
 * Every output enumerates this list (metrics export crio_sentinel_finding_active for every id,
 * so series never vanish). Detection logic lives with the data it reads:
 *   src/config/findings.ts  (files), src/events/findings.ts (journal), src/live/findings.ts (running CRI-O, node).
 */
import type { Finding, Severity } from '../core/types.js';

export interface CatalogueEntry {
  id: string;
  /** the default severity; some findings are raised (see escalate()) */
  severity: Severity;
  title: string;
  /** which part of the pipeline raises it */
  origin: 'config' | 'events' | 'live';
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  { id: 'nvidia-default-runtime', severity: 'warning', title: 'NVIDIA wrapper is CRI-O\'s default runtime', origin: 'config' },
  { id: 'default-runtime-undefined', severity: 'critical', title: 'default_runtime names no runtime table', origin: 'config' },
  { id: 'config-parse-error', severity: 'critical', title: 'A CRI-O config file does not parse', origin: 'config' },
  { id: 'stray-dropin-file', severity: 'warning', title: 'Unintended entry in the drop-in directory', origin: 'config' },
  { id: 'default-runtime-binary-missing', severity: 'critical', title: 'Default runtime binary missing: CRI-O will not start', origin: 'config' },
  { id: 'runtime-binary-missing', severity: 'warning', title: 'Runtime handler binary missing: handler dropped', origin: 'config' },
  { id: 'nvidia-dropin-ignored', severity: 'warning', title: 'NVIDIA drop-in in a directory CRI-O never reads', origin: 'config' },
  { id: 'runc-handler-deleted', severity: 'warning', title: 'CRI-O <= 1.25.0 deletes the runc handler', origin: 'config' },
  { id: 'low-level-runtime-mismatch', severity: 'critical', title: 'NVIDIA wrapper drives a different low-level runtime', origin: 'config' },
  { id: 'apparmor-confined-runc', severity: 'warning', title: 'Wrapper forwards to AppArmor-confined /usr/sbin/runc', origin: 'config' },
  { id: 'nvidia-handler-without-runtime-root', severity: 'info', title: 'NVIDIA handler has no runtime_root', origin: 'config' },
  { id: 'cli-override-lost-on-reload', severity: 'info', title: 'CLI/env override is lost on SIGHUP', origin: 'config' },
  { id: 'pending-runtime-change', severity: 'warning', title: 'Files differ from the runtime CRI-O is running', origin: 'live' },
  { id: 'default-changed-under-running-pods', severity: 'critical', title: 'Default runtime changed under running pods', origin: 'live' },
  { id: 'crio-live-config-unavailable', severity: 'info', title: 'Running CRI-O config not readable', origin: 'live' },
  { id: 'nvidia-default-without-gpu', severity: 'info', title: 'NVIDIA default runtime on a node without NVIDIA GPU', origin: 'live' },
  { id: 'stop-failures-under-nvidia-default', severity: 'critical', title: 'Container stops fail through the NVIDIA runtime', origin: 'events' },
  { id: 'exec-permission-denied-loop', severity: 'warning', title: 'Exec probes fail with permission denied in a loop', origin: 'events' },
  { id: 'pod-stuck-terminating', severity: 'critical', title: 'Pod stuck in Terminating', origin: 'events' },
  { id: 'handler-missing-for-pods', severity: 'critical', title: 'Pods use a runtime handler CRI-O does not have', origin: 'events' },
  { id: 'apparmor-signal-denied', severity: 'critical', title: 'AppArmor denies signals to containers', origin: 'events' },
  { id: 'reload-failed', severity: 'warning', title: 'Last CRI-O reload was rejected', origin: 'events' },
];

const BY_ID = new Map(CATALOGUE.map((e) => [e.id, e]));

export function catalogueEntry(id: string): CatalogueEntry {
  const e = BY_ID.get(id);
  if (!e) throw new Error(`unknown finding id ${id}`);
  return e;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Merge findings from every origin into one list:
 * - `nvidia-default-runtime` is raised to critical when stop failures under the nvidia default,
 *   or a default change under running pods, are active (catalogue rule);
 * - sorted by severity, then id, stable otherwise.
 */
export function mergeFindings(...groups: Finding[][]): Finding[] {
  const all = groups.flat();
  const active = new Set(all.map((f) => f.id));
  const raise = active.has('stop-failures-under-nvidia-default') || active.has('default-changed-under-running-pods');
  const out = all.map((f) =>
    f.id === 'nvidia-default-runtime' && raise && f.severity !== 'critical' ? { ...f, severity: 'critical' as const } : f,
  );
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.f.id.localeCompare(b.f.id) || a.i - b.i)
    .map((x) => x.f);
}

/** Exit status convention of monitoring check plugins: 0 ok/info, 1 warning, 2 critical. */
export function exitStatusFor(findings: Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.severity === 'critical')) return 2;
  if (findings.some((f) => f.severity === 'warning')) return 1;
  return 0;
}
