/**
 * The per-container runtime model (issue #9 item 3), pure: joins what CRI-O lists (CriSnapshot),
 * what the low-level runtimes hold (RuntimeStateSnapshot), the files (ConfigReport: what the next
 * CRI-O start will use) and the running CRI-O (LiveCrio + the journal's runtime-layer default:
 * what drives containers now), and classifies every container's risk.
 *
 * For each container:
 *   handler            the sandbox's runtime_handler; "" follows the default
 *   createdBy          the runtime root whose state holds it (and the family: state.json = runc,
 *                      status = crun), i.e. the runtime that can operate on it
 *   drivenNow          handler ("" -> the runtime layer's default) looked up in the running CRI-O's
 *                      handler map; an NVIDIA handler forwards to the wrapper's resolution
 *   drivenAfterRestart handler ("" -> the files' default) looked up in the files' handlers
 * A driver "mismatches" the holder when the handler is gone, the root differs, or both families are
 * known and differ: the runtime then looks for the container where it is not (stop/exec/kill fail).
 */
import type { ConfigReport, EventSnapshot, LiveCrio } from '../core/contracts.js';
import { isNvidiaHandler, runtimeFamily } from '../config/nvidia.js';
import { compareWithLive } from '../live/compare.js';
import {
  CONTAINER_RISKS,
  CONTAINER_STATES,
  type ContainerModel,
  type ContainerRisk,
  type ContainerStateLabel,
  type ContainerView,
  type CriSandbox,
  type CriSnapshot,
  type PodAtRisk,
  type RuntimeDriver,
  type RuntimeFamily,
  type RuntimeHolding,
  type RuntimeStateSnapshot,
} from './types.js';

export interface ContainerModelInputs {
  nowMs: number;
  cri: CriSnapshot | null;
  runtime: RuntimeStateSnapshot | null;
  report: ConfigReport | null;
  live: LiveCrio | null;
  events: EventSnapshot | null;
  /** the binary an NVIDIA wrapper forwards to (config.toml's first available runtime); null = unknown */
  wrapperBinary: string | null;
  limits?: { pods?: number; containersPerPod?: number; containers?: number };
}

export const MODEL_LIMITS = { pods: 50, containersPerPod: 20, containers: 5000 } as const;

/** Default state root of a low-level runtime family when a handler names none. */
export function defaultRootOf(family: RuntimeFamily | null): string | null {
  return family ? `/run/${family}` : null;
}

interface HandlerInfo {
  runtimePath: string;
  runtimeRoot: string;
}

/**
 * The driver of handler `name` in `map`. An empty runtime_root (GET /config shows "" for a handler
 * that sets none) is CRI-O's default root, which the config engine put into the files' effective
 * handler (`fallbackRoots`): CRI-O 1.32.13 was seen passing --root /run/crun to such a handler in the
 * lab while /config showed runtime_root = "". Last resort: the low-level runtime's own default.
 */
function driverFor(
  name: string,
  map: Record<string, HandlerInfo> | null,
  wrapperBinary: string | null,
  fallbackRoots: Record<string, HandlerInfo> | null = null,
): RuntimeDriver | null {
  if (!map) return null;
  const h = map[name];
  if (!h) return { handler: name, runtimePath: null, binary: null, family: null, root: null, known: false };
  const nvidia = isNvidiaHandler(name, h.runtimePath);
  const binary = nvidia ? (wrapperBinary ?? null) : h.runtimePath || null;
  // an unresolved wrapper: its path may still name the family it forwards to
  const family = runtimeFamily(binary) ?? (nvidia && !binary ? null : runtimeFamily(h.runtimePath));
  const root = h.runtimeRoot || fallbackRoots?.[name]?.runtimeRoot || defaultRootOf(family);
  return { handler: name, runtimePath: h.runtimePath || null, binary, family, root, known: true };
}

function sameDriver(a: RuntimeDriver | null, b: RuntimeDriver | null): boolean {
  if (!a || !b) return a === b;
  return a.known === b.known && a.root === b.root && a.family === b.family && a.binary === b.binary;
}

/** Does this driver miss the container the holder created? null = cannot tell. */
function mismatch(d: RuntimeDriver, holder: { root: string; family: RuntimeFamily }): string | null {
  if (!d.known) return `handler "${d.handler}" does not exist`;
  if (d.root !== null && d.root !== holder.root) return `${d.binary ?? d.runtimePath ?? d.handler} --root ${d.root}, but its state is in ${holder.root}`;
  if (d.family !== null && d.family !== holder.family) return `${d.binary ?? d.handler} (${d.family}), but ${holder.family} created it (${holder.root})`;
  return null;
}

function describe(d: RuntimeDriver | null): string {
  if (!d) return 'unknown';
  if (!d.known) return `handler "${d.handler}" (missing)`;
  return `${d.handler} -> ${d.binary ?? d.runtimePath ?? '?'}${d.root ? ` --root ${d.root}` : ''}`;
}

const CRITICAL: ReadonlySet<ContainerRisk> = new Set(['driven-by-other-runtime', 'orphaned-in-runtime']);

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export function buildContainerModel(inp: ContainerModelInputs): ContainerModel {
  const limits = { ...MODEL_LIMITS, ...inp.limits };
  const notes: string[] = [];
  const { cri, runtime, report, live, events } = inp;

  // ---- the defaults and handler maps, now and after the next start
  const cmp = live ? compareWithLive(report, live, events) : null;
  const nowDefault = cmp?.runningDefault ?? events?.crio.runtimeLayerDefault ?? null;
  const nowSource = cmp?.runningSource ?? (events?.crio.runtimeLayerDefault ? 'journal-start' : null);
  const nowMap: Record<string, HandlerInfo> | null = live?.runtimes ?? null;
  const eff = report?.effective ?? null;
  const afterDefault = eff?.defaultRuntime.name ?? null;
  const afterMap: Record<string, HandlerInfo> | null = eff ? eff.runtimes : null;
  const wrapperBinary = inp.wrapperBinary ?? report?.lowLevelRuntime?.binary ?? null;
  if (!nowMap) notes.push("the running CRI-O's handler map is unknown (GET /config not read): \"driven now\" is unknown");
  if (!afterMap) notes.push('the files do not resolve: "after the next start" is unknown');

  // ---- runtime holdings by id (a container held in two roots keeps the live one)
  const held = new Map<string, RuntimeHolding>();
  for (const h of runtime?.holdings ?? []) {
    const prev = held.get(h.id);
    if (!prev || (prev.alive !== true && h.alive === true)) held.set(h.id, h);
  }
  if (!runtime) notes.push('the runtime roots were not read: "created by" is unknown');
  else {
    if (!runtime.procAvailable) notes.push('no /proc under the root: whether runtime-held processes are alive is unknown');
    for (const r of runtime.roots) {
      const skipped = Object.entries(r.skipped).filter(([, n]) => (n ?? 0) > 0);
      if (r.error) notes.push(`runtime root ${r.root}: ${r.error}`);
      if (skipped.length) notes.push(`runtime root ${r.root}: skipped ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')}${r.truncated ? ' (entry limit reached: holdings beyond it are unknown)' : ''}`);
    }
  }
  if (!cri) notes.push('CRI-O did not answer over CRI: containers are known from the runtime roots only');

  const sandboxes = new Map<string, CriSandbox>((cri?.sandboxes ?? []).map((s) => [s.id, s]));
  const views: ContainerView[] = [];
  const byState = emptyCounts(CONTAINER_STATES);
  const atRisk = emptyCounts(CONTAINER_RISKS);

  const evaluate = (v: ContainerView, holding: RuntimeHolding | undefined, active: boolean): void => {
    const handler = v.handler;
    if (handler !== null) {
      const nowName = handler || nowDefault;
      const afterName = handler || afterDefault;
      v.drivenNow = nowName ? driverFor(nowName, nowMap, wrapperBinary, afterMap) : null;
      v.drivenAfterRestart = afterName ? driverFor(afterName, afterMap, wrapperBinary) : null;
    }
    if (!active) return;
    const holder = holding ? { root: holding.root, family: holding.family } : null;
    let nowBad: string | null = null;
    if (v.drivenNow && holder) nowBad = mismatch(v.drivenNow, holder);
    else if (v.drivenNow && !v.drivenNow.known) nowBad = `handler "${v.drivenNow.handler}" does not exist in the running CRI-O`;
    if (nowBad) {
      v.risks.push('driven-by-other-runtime');
      v.why.push(`now: ${nowBad}: stop, exec and kill fail`);
    }
    const after = v.drivenAfterRestart;
    if (after) {
      let afterBad: string | null = null;
      if (holder) afterBad = mismatch(after, holder);
      else if (!after.known) afterBad = `handler "${after.handler}" is no longer in the files`;
      else if (v.drivenNow && !sameDriver(after, v.drivenNow)) afterBad = `${describe(v.drivenNow)} now, ${describe(after)} after the next start`;
      // already broken the same way now: the restart changes nothing
      if (afterBad && !(nowBad && sameDriver(after, v.drivenNow))) {
        v.risks.push('will-change-runtime');
        v.why.push(`after the next CRI-O start: ${afterBad}`);
      }
    }
  };

  // ---- containers CRI-O lists
  const listed = new Set<string>();
  for (const c of cri?.containers ?? []) {
    listed.add(c.id);
    const sb = sandboxes.get(c.podSandboxId);
    const h = held.get(c.id);
    const v: ContainerView = {
      id: c.id,
      name: c.name,
      podSandboxId: c.podSandboxId || null,
      pod: sb ? { namespace: sb.namespace || null, name: sb.name || null, uid: sb.uid || null } : (h?.pod ?? null),
      state: c.state,
      handler: sb ? sb.runtimeHandler : null,
      createdBy: h ? { root: h.root, family: h.family, pid: h.pid, alive: h.alive } : null,
      drivenNow: null,
      drivenAfterRestart: null,
      risks: [],
      why: [],
    };
    evaluate(v, h, c.state === 'running' || c.state === 'created');
    if ((c.state === 'exited' || c.state === 'unknown') && h && h.alive === true) {
      v.risks.push('orphaned-in-runtime');
      v.why.push(`CRI-O reports it ${c.state}, but ${h.family} (${h.root}) still runs pid ${h.pid ?? '?'}: its process and GPU memory live on`);
    }
    views.push(v);
  }
  // ---- infra containers of sandboxes (a pause container, when CRI-O did not drop it)
  for (const sb of sandboxes.values()) {
    const h = held.get(sb.id);
    listed.add(sb.id);
    if (!h) continue;
    const v: ContainerView = {
      id: sb.id,
      name: 'POD',
      podSandboxId: sb.id,
      pod: { namespace: sb.namespace || null, name: sb.name || null, uid: sb.uid || null },
      state: sb.state === 'ready' ? 'running' : 'exited',
      handler: sb.runtimeHandler,
      createdBy: { root: h.root, family: h.family, pid: h.pid, alive: h.alive },
      drivenNow: null,
      drivenAfterRestart: null,
      risks: [],
      why: [],
    };
    evaluate(v, h, sb.state === 'ready');
    if (sb.state !== 'ready' && h.alive === true) {
      v.risks.push('orphaned-in-runtime');
      v.why.push(`CRI-O reports the sandbox not ready, but ${h.family} (${h.root}) still runs its infra process pid ${h.pid ?? '?'}`);
    }
    views.push(v);
  }
  // ---- held by a runtime, not listed by CRI-O (only when CRI-O answered)
  // Another CRI-O instance sharing the runtime root (its bundles live under another runroot) is not
  // this one's: the bundle directories of the containers this CRI-O lists tell its runroot.
  const bundleParent = (h: RuntimeHolding): string | null => {
    const b = h.bundle?.replace(/\/userdata\/?$/, '') ?? null;
    if (!b || !b.endsWith(`/${h.id}`)) return null;
    return b.slice(0, -h.id.length - 1);
  };
  const ours = new Set<string>();
  for (const h of held.values()) {
    const p = listed.has(h.id) ? bundleParent(h) : null;
    if (p) ours.add(p);
  }
  let foreign = 0;
  for (const h of held.values()) {
    if (listed.has(h.id)) continue;
    const parent = bundleParent(h);
    if (ours.size > 0 && parent !== null && !ours.has(parent)) {
      foreign++;
      continue;
    }
    const crio = h.manager === 'cri-o' || h.sandboxId !== null;
    const v: ContainerView = {
      id: h.id,
      name: null,
      podSandboxId: h.sandboxId,
      pod: h.pod,
      state: 'not-in-cri',
      handler: null,
      createdBy: { root: h.root, family: h.family, pid: h.pid, alive: h.alive },
      drivenNow: null,
      drivenAfterRestart: null,
      risks: [],
      why: [],
    };
    if (cri && crio && h.alive !== false) {
      v.risks.push('unknown-to-crio');
      v.why.push(
        `${h.family} (${h.root}) ${h.alive === true ? `runs pid ${h.pid ?? '?'}` : 'holds its state (process state unknown)'} but CRI-O does not list it`,
      );
    }
    if (!crio && !cri) continue;
    if (!crio) continue; // another manager's container (podman …): not ours to judge
    views.push(v);
  }

  if (foreign > 0) notes.push(`${foreign} runtime-held container(s) belong to another CRI-O instance (bundles outside ${[...ours].join(', ')}): not counted`);
  for (const v of views) {
    byState[v.state]++;
    for (const r of new Set(v.risks)) atRisk[r]++;
  }
  const risky = views.filter((v) => v.risks.length > 0);

  // ---- pods at risk, worst first
  const pods = new Map<string, PodAtRisk>();
  for (const v of risky) {
    const key = v.podSandboxId ?? v.pod?.uid ?? `container:${v.id}`;
    let p = pods.get(key);
    if (!p) {
      p = {
        namespace: v.pod?.namespace ?? null,
        name: v.pod?.name ?? null,
        uid: v.pod?.uid ?? null,
        podSandboxId: v.podSandboxId,
        handler: v.handler,
        risks: [],
        containers: [],
      };
      pods.set(key, p);
    }
    for (const r of v.risks) if (!p.risks.includes(r)) p.risks.push(r);
    p.containers.push(v);
  }
  const weight = (p: PodAtRisk): number => (p.risks.some((r) => CRITICAL.has(r)) ? 1000000 : 0) + p.containers.length;
  const allPods = [...pods.values()].sort(
    (a, b) => weight(b) - weight(a) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  let truncated = allPods.length > limits.pods;
  const podsAtRisk = allPods.slice(0, limits.pods).map((p) => {
    p.risks.sort((a, b) => CONTAINER_RISKS.indexOf(a) - CONTAINER_RISKS.indexOf(b));
    if (p.containers.length > limits.containersPerPod) truncated = true;
    return { ...p, containers: p.containers.slice(0, limits.containersPerPod) };
  });

  const sorted = [...views].sort(
    (a, b) =>
      `${a.pod?.namespace ?? '~'}/${a.pod?.name ?? '~'}`.localeCompare(`${b.pod?.namespace ?? '~'}/${b.pod?.name ?? '~'}`) ||
      (a.name ?? '').localeCompare(b.name ?? '') ||
      a.id.localeCompare(b.id),
  );
  return {
    generatedAt: new Date(inp.nowMs).toISOString(),
    criAvailable: cri !== null,
    runtimeStateAvailable: runtime !== null,
    defaultNow: { handler: nowDefault, source: nowSource },
    defaultAfterRestart: afterDefault,
    counts: { total: views.length, byState, atRisk, atRiskTotal: risky.length },
    podsAtRisk,
    podsAtRiskTotal: allPods.length,
    truncated,
    containers: sorted.slice(0, limits.containers),
    containersTruncated: sorted.length > limits.containers,
    notes,
  };
}

/** Container states CRI-O still operates on (a runtime drives them). */
export function isActive(v: ContainerView): boolean {
  return v.state === 'running' || v.state === 'created';
}

export interface PodThatWillMove {
  namespace: string | null;
  name: string | null;
  uid: string | null;
  /** handler now -> after the next start ("" handler pods follow the default) */
  from: string | null;
  to: string | null;
  containers: number;
  /** at least one of its containers is in risk class will-change-runtime */
  atRisk: boolean;
}

/**
 * For the lead's `pending-runtime-change`: the running pods whose handler resolution changes at the
 * next CRI-O start (pods following the default when the default changes, or whose handler's low-level
 * runtime/root changes), with whether that move breaks them. Sorted: at risk first, then by name.
 */
export function podsThatWillMove(model: ContainerModel | null): PodThatWillMove[] {
  if (!model) return [];
  const pods = new Map<string, PodThatWillMove>();
  for (const v of model.containers) {
    if (!isActive(v) || !v.drivenAfterRestart) continue;
    const moves = v.risks.includes('will-change-runtime') || (v.drivenNow !== null && !sameDriver(v.drivenNow, v.drivenAfterRestart)) || v.drivenNow?.handler !== v.drivenAfterRestart.handler;
    if (!moves) continue;
    const key = v.podSandboxId ?? v.id;
    const p = pods.get(key) ?? {
      namespace: v.pod?.namespace ?? null,
      name: v.pod?.name ?? null,
      uid: v.pod?.uid ?? null,
      from: v.drivenNow?.handler ?? null,
      to: v.drivenAfterRestart.handler,
      containers: 0,
      atRisk: false,
    };
    p.containers++;
    p.atRisk ||= v.risks.includes('will-change-runtime');
    pods.set(key, p);
  }
  return [...pods.values()].sort((a, b) => Number(b.atRisk) - Number(a.atRisk) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** "lab/p1" or "?/?" — one way to name a pod in evidence and tables. */
export function podLabel(p: { namespace: string | null; name: string | null } | null): string {
  return p ? `${p.namespace ?? '?'}/${p.name ?? '?'}` : '(no pod)';
}

export function shortId(id: string): string {
  return id.slice(0, 13);
}

/**
 * The pods that move at the next CRI-O start in the shape `pending-runtime-change` takes
 * (src/findings/detectors/live.ts MovingPods): "namespace/pod" names, at most `max`, and the total.
 */
export function movingPodsOf(model: ContainerModel | null, max = 20): { pods: string[]; total: number } {
  const all = podsThatWillMove(model);
  return { pods: all.slice(0, max).map((p) => `${podLabel(p)}${p.atRisk ? ' (at risk)' : ''}`), total: all.length };
}
