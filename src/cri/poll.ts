/**
 * One CRI poll: Version, Status, ListPodSandbox, ListContainers, then ContainerStatus(verbose) of
 * each container (bounded concurrency, a limit on how many, an overall deadline). The result is a
 * plain CriSnapshot; a failing list call fails the poll (CriError), a failing status call only marks
 * that container (`statusError`) and keeps its list entry.
 *
 * CRI-O 1.32's ContainerStatus(verbose) info map (observed in the lab) has ONE key, "info", whose
 * value is a JSON object {"sandboxID", "pid", "runtimeSpec", "privileged"}; crictl flattens it.
 * Only "pid" is read, from the text before "runtimeSpec" (the spec, ~10 KB per container, is not
 * parsed); a map with a top-level "pid" key (other CRI runtimes) is read too.
 */
import type { CriContainer, CriContainerState, CriSandbox, CriSnapshot } from '../containers/types.js';
import { CriError, type CriClient, type Obj } from './client.js';

export interface CriPollOptions {
  /** containers asked for their status per poll (default 2000); the rest keep their list entry */
  maxStatus?: number;
  /** parallel ContainerStatus calls (default 32: chosen on grpc-js, where 8 cost twice the CPU of 32 for 200 containers; not re-measured on the HTTP/2 client) */
  concurrency?: number;
  /** the whole poll's budget, ms (default 10 000): statuses not done by then are marked */
  deadlineMs?: number;
  /**
   * ContainerStatus answers kept across polls (the daemon's): a container is asked again only when
   * it is new or its listed state changed, so a steady poll is four calls whatever the node runs
   * (a unary call costs ~0.15 ms CPU; bench cri-poll). Pruned to the listed ids.
   */
  statusCache?: Map<string, { state: CriContainerState; pid: number | null; reason: string | null; exitCode: number | null }>;
  /** "cri-o" (default): any other runtime name is a not-crio degradation */
  expectRuntime?: string | null;
  now?: () => number;
}

const STATES: Record<string, CriContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** int64 nanoseconds (as a decimal string) to ISO, or null for 0/garbage. */
export function nanosToIso(v: unknown): string | null {
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  if (!/^\d{1,20}$/.test(s) || /^0+$/.test(s)) return null;
  const ms = Number(BigInt(s) / 1_000_000n);
  return Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : null;
}

const ID = /^[0-9a-f]{12,128}$/;

function sandboxOf(o: Obj): CriSandbox | null {
  const id = str(o.id);
  if (!ID.test(id)) return null;
  const md = (o.metadata as Obj | null) ?? {};
  return {
    id,
    namespace: str(md.namespace),
    name: str(md.name),
    uid: str(md.uid),
    state: o.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    runtimeHandler: str(o.runtimeHandler),
    createdAt: nanosToIso(o.createdAt),
  };
}

function containerOf(o: Obj): CriContainer | null {
  const id = str(o.id);
  if (!ID.test(id)) return null;
  const md = (o.metadata as Obj | null) ?? {};
  return {
    id,
    podSandboxId: str(o.podSandboxId),
    name: str(md.name),
    attempt: typeof md.attempt === 'number' ? md.attempt : 0,
    state: STATES[str(o.state)] ?? 'unknown',
    createdAt: nanosToIso(o.createdAt),
    pid: null,
    reason: null,
    exitCode: null,
    statusError: null,
  };
}

/**
 * The client returns the same list object for an answer equal to the previous one (src/cri/client.ts),
 * so the parsed entries of a list are remembered per list object and copied (the poll fills in each
 * container's status): a steady poll does not parse 200 ids and timestamps again.
 */
const parsedLists = new WeakMap<Obj[], readonly object[]>();
function mapOnce<T extends object>(list: Obj[], parse: (o: Obj) => T | null): T[] {
  let parsed = parsedLists.get(list) as readonly T[] | undefined;
  if (!parsed) {
    parsed = list.map(parse).filter((x): x is T => x !== null);
    parsedLists.set(list, parsed);
  }
  return parsed.map((x) => ({ ...x }));
}

/** The container's pid from a ContainerStatus(verbose) info map, without parsing the runtime spec. */
export function infoPid(info: Record<string, string>): number | null {
  const ok = (n: number): number | null => (Number.isSafeInteger(n) && n > 0 ? n : null);
  if (info.pid !== undefined) return ok(Number(info.pid));
  const text = info.info;
  if (typeof text !== 'string') return null;
  const cut = text.indexOf('"runtimeSpec"');
  const head = cut >= 0 ? text.slice(0, cut) : text.slice(0, 4096);
  const m = /"pid"\s*:\s*(\d{1,10})\s*[,}]/.exec(head);
  if (m) return ok(Number(m[1]));
  if (cut < 0 || text.length > 1 << 20) return null;
  // "pid" after the spec: parse the whole object (bounded above)
  try {
    const o = JSON.parse(text) as { pid?: unknown };
    return typeof o.pid === 'number' ? ok(o.pid) : null;
  } catch {
    return null;
  }
}

/** A promise that also rejects when the poll's budget runs out (a call that never settles cannot hold the poll). */
function beforeDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CriError('timeout', 'no answer before the poll deadline', 'ContainerStatus')), Math.max(0, ms));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function pollCri(client: CriClient, opts: CriPollOptions = {}): Promise<CriSnapshot> {
  const now = opts.now ?? Date.now;
  const started = now();
  const deadline = started + (opts.deadlineMs ?? 10_000);
  const v = await client.version();
  const expect = opts.expectRuntime === undefined ? 'cri-o' : opts.expectRuntime;
  if (expect && v.runtimeName !== expect) {
    throw new CriError('not-crio', `the CRI runtime on this socket is "${v.runtimeName || '(no name)'}" ${v.runtimeVersion}, not ${expect}`, 'Version');
  }
  let runtimeReady: boolean | null = null;
  try {
    const st = await client.status(false);
    const conds = ((st.status as Obj | null)?.conditions as Obj[] | undefined) ?? [];
    const rr = conds.find((c) => c.type === 'RuntimeReady');
    runtimeReady = rr ? rr.status === true : null;
  } catch (e) {
    if (e instanceof CriError && e.kind !== 'rpc-error') throw e;
  }
  const sandboxes = mapOnce(await client.listPodSandbox(), sandboxOf);
  const containers = mapOnce(await client.listContainers(), containerOf);

  const maxStatus = Math.max(0, opts.maxStatus ?? 2000);
  const cache = opts.statusCache;
  let todo = containers.slice(0, maxStatus);
  if (cache) {
    const listedIds = new Set(containers.map((c) => c.id));
    for (const k of cache.keys()) if (!listedIds.has(k)) cache.delete(k);
    todo = todo.filter((c) => {
      const hit = cache.get(c.id);
      if (!hit || hit.state !== c.state) return true;
      c.pid = hit.pid;
      c.reason = hit.reason;
      c.exitCode = hit.exitCode;
      return false;
    });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const c = todo[next++];
      if (!c) return;
      if (now() > deadline) {
        c.statusError = 'not asked: the poll ran out of time';
        continue;
      }
      try {
        const r = await beforeDeadline(client.containerStatus(c.id, true), deadline - now());
        const s = r.status;
        if (s) {
          c.state = STATES[str(s.state)] ?? c.state;
          c.reason = str(s.reason) || null;
          const code = typeof s.exitCode === 'number' ? s.exitCode : null;
          c.exitCode = c.state === 'exited' ? code : null;
        }
        c.pid = infoPid(r.info);
        cache?.set(c.id, { state: c.state, pid: c.pid, reason: c.reason, exitCode: c.exitCode });
      } catch (e) {
        c.statusError = errText(e);
      }
    }
  };
  const n = Math.min(Math.max(1, opts.concurrency ?? 32), Math.max(1, todo.length));
  await Promise.all(Array.from({ length: n }, worker));
  return {
    polledAt: new Date(now()).toISOString(),
    runtimeName: v.runtimeName || null,
    runtimeVersion: v.runtimeVersion || null,
    runtimeApiVersion: v.runtimeApiVersion || null,
    runtimeReady,
    sandboxes,
    containers,
    statusSkipped: Math.max(0, containers.length - maxStatus),
  };
}
