/**
 * Findings about the RUNNING CRI-O and the node (catalogue origin 'live'), pure:
 * - pending-runtime-change: the files resolve to a different default runtime or handler set than
 *   the one CRI-O runs (crio-config.md §14.12). After a SIGHUP, GET /config already shows the new
 *   default but the runtime layer keeps the old one until CRI-O starts again
 *   (runtime-failure-mechanisms.md §10), so the journal's runtime-layer default wins when known;
 * - default-changed-under-running-pods: the runtime-layer default changed at a CRI-O start and
 *   containers are failing to stop or exec since (symptoms from the event pipeline);
 * - crio-live-config-unavailable: the socket could not be read;
 * - nvidia-default-without-gpu: an NVIDIA default runtime on a node without an NVIDIA GPU.
 */
import type { ConfigReport, EventSnapshot, Finding, LiveCrio, NodeFacts } from '../../core/types.js';
import { isNvidiaHandler } from '../../config/nvidia.js';
import { compareWithLive, type LiveComparison } from '../../live/compare.js';
import { catalogueEntry } from '../catalogue.js';

function finding(id: string, summary: string, evidence: string[], remediation: string, subject?: Finding['subject']): Finding {
  const f: Finding = { id, severity: catalogueEntry(id).severity, summary, evidence, remediation };
  if (subject) f.subject = subject;
  return f;
}

const SOURCE_TEXT: Record<NonNullable<LiveComparison['runningSource']>, string> = {
  'journal-start': 'journal, last CRI-O start',
  api: 'GET /config on the CRI-O socket',
  journal: 'CRI-O journal lines',
};

function pending(report: ConfigReport | null, cmp: LiveComparison): Finding | null {
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
  return finding(
    'pending-runtime-change',
    `CRI-O runs "${cmp.runningDefault}" but its files now resolve to "${target}": the change is pending`,
    evidence,
    `The on-disk CRI-O config differs from the running one. On the next restart (or SIGHUP on >= 1.26) pods without a RuntimeClass switch to "${target}". Drain the node first, or revert the change.`,
  );
}

function defaultChanged(events: EventSnapshot | null): Finding | null {
  if (!events) return null;
  const current = events.crio.runtimeLayerDefault ?? events.defaultRuntimeTimeline[events.defaultRuntimeTimeline.length - 1]?.defaultRuntime ?? null;
  if (!current) return null;
  const startMs = events.crio.lastStartAt ? Date.parse(events.crio.lastStartAt) : null;
  let old: { at: string; defaultRuntime: string } | null = null;
  for (const e of events.defaultRuntimeTimeline) {
    if (e.defaultRuntime === current) continue;
    if (startMs !== null && Number.isFinite(startMs) && Date.parse(e.at) >= startMs) continue;
    old = e;
  }
  if (!old) return null;
  const stuck = events.stuckTerminating.filter((p) => !p.resolved);
  const loops = events.execPermissionDenied.filter((e) => e.loop);
  const kills = events.killFailures;
  if (stuck.length === 0 && loops.length === 0 && kills.length === 0) return null;
  const evidence: string[] = [`default runtime was "${old.defaultRuntime}" (${old.at}), CRI-O ${events.crio.lastStartAt ? `started ${events.crio.lastStartAt} ` : ''}with "${current}"`];
  const pod = (ns: string | null | undefined, p: string | null | undefined): string => `${ns ?? '?'}/${p ?? '?'}`;
  for (const p of stuck.slice(0, 5)) evidence.push(`pod ${pod(p.namespace, p.pod)} stuck Terminating for ${Math.round(p.stuckSeconds)} s`);
  for (const k of kills.slice(0, 5)) evidence.push(`container ${k.containerId.slice(0, 13)} kill failed ${k.count}x (${k.reason})${k.runtimePath ? ` via ${k.runtimePath}` : ''}`);
  for (const l of loops.slice(0, 5)) evidence.push(`container ${l.containerId.slice(0, 13)} exec permission denied ${l.count}x`);
  return finding(
    'default-changed-under-running-pods',
    `Default runtime changed from "${old.defaultRuntime}" to "${current}" while pods created under it are still running and failing`,
    evidence,
    `Running pods created with "${old.defaultRuntime}" are now managed by "${current}". Recreate or drain these pods, or restore default_runtime = "${old.defaultRuntime}".`,
  );
}

function liveUnavailable(live: LiveCrio): Finding | null {
  if (live.source === 'api') return null;
  const evidence = [live.lastError ? `CRI-O socket: ${live.lastError}` : 'CRI-O socket not read yet'];
  if (live.source === 'journal') evidence.push(`falling back to the CRI-O journal lines (default "${live.defaultRuntime ?? 'unknown'}")`);
  return finding(
    'crio-live-config-unavailable',
    "CRI-O's running configuration cannot be read from its socket",
    evidence,
    "crio-sentinel cannot read CRI-O's running default runtime directly and falls back to journal lines and files. Enable enable_metrics or grant socket access (the socket is mode 0660, root).",
  );
}

function nvidiaWithoutGpu(report: ConfigReport | null, live: LiveCrio, facts: NodeFacts, cmp: LiveComparison): Finding | null {
  if (facts.nvidiaGpus !== 0) return null;
  const eff = report?.effective;
  const candidates: [string, string | null | undefined, string][] = [];
  if (eff) candidates.push([eff.defaultRuntime.name, eff.runtimes[eff.defaultRuntime.name]?.runtimePath, 'files']);
  if (cmp.runningDefault) candidates.push([cmp.runningDefault, live.runtimes?.[cmp.runningDefault]?.runtimePath, 'running CRI-O']);
  const hit = candidates.find(([n, p]) => isNvidiaHandler(n, p ?? ''));
  if (!hit) return null;
  return finding(
    'nvidia-default-without-gpu',
    `Default runtime "${hit[0]}" is NVIDIA's, but this node has no NVIDIA GPU`,
    [`default runtime "${hit[0]}" (${hit[2]})`, 'node facts: 0 NVIDIA GPUs found'],
    'Every pod on this node runs through the NVIDIA wrapper for nothing. Keep the node on CRI-O\'s own runtime (crun or runc) and select NVIDIA only through a RuntimeClass on GPU nodes.',
  );
}

/** All live findings, in no particular order (mergeFindings sorts). */
export function liveFindings(
  report: ConfigReport | null,
  live: LiveCrio,
  events: EventSnapshot | null,
  facts: NodeFacts,
  _crioVersion: string | null,
): Finding[] {
  const cmp = compareWithLive(report, live, events);
  return [pending(report, cmp), defaultChanged(events), liveUnavailable(live), nvidiaWithoutGpu(report, live, facts, cmp)].filter(
    (f): f is Finding => f !== null,
  );
}
