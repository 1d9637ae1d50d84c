/**
 * Contracts of the per-container runtime model (issue #9): what the CRI source, the runtime-roots
 * reader and the pure model exchange, and what `crio-sentinel pods --output json`, the `containers`
 * section of /api/v1/status and the container metrics render. Plain data, no behaviour.
 *
 *   CRI-O (gRPC, src/cri/)          -> CriSnapshot
 *   runtime roots (src/live/runtime-state.ts) -> RuntimeStateSnapshot
 *   + ConfigReport (files) + LiveCrio + EventSnapshot (runtime-layer default)
 *     -> buildContainerModel() (src/containers/model.ts) -> ContainerModel
 *
 * Names here are a contract (README "pods JSON"); add fields, never rename.
 */

// ---------------------------------------------------------------- CRI source

/** CRI container states, lower-cased from runtime.v1.ContainerState. */
export type CriContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface CriSandbox {
  id: string;
  namespace: string;
  name: string;
  uid: string;
  /** 'ready' | 'notready' */
  state: 'ready' | 'notready';
  /** RunPodSandbox's runtime_handler; "" = the default runtime */
  runtimeHandler: string;
  createdAt: string | null;
}

export interface CriContainer {
  id: string;
  podSandboxId: string;
  name: string;
  attempt: number;
  state: CriContainerState;
  createdAt: string | null;
  /** from ContainerStatus(verbose).info.pid; null when not asked, not given or 0 */
  pid: number | null;
  /** ContainerStatus reason/message (e.g. "Error", "OOMKilled"), when CRI-O gave one */
  reason: string | null;
  exitCode: number | null;
  /** a ContainerStatus call for this container failed (the list entry is still used) */
  statusError: string | null;
}

/** Why a CRI poll did not answer (a metric label value; bounded). */
export type CriErrorKind = 'unreachable' | 'timeout' | 'not-crio' | 'garbage' | 'rpc-error' | 'too-large';
export const CRI_ERROR_KINDS: readonly CriErrorKind[] = ['unreachable', 'timeout', 'not-crio', 'garbage', 'rpc-error', 'too-large'];

export interface CriSnapshot {
  /** ISO time the poll finished */
  polledAt: string;
  runtimeName: string | null;
  runtimeVersion: string | null;
  runtimeApiVersion: string | null;
  /** Status RPC: RuntimeReady condition; null when Status failed */
  runtimeReady: boolean | null;
  sandboxes: CriSandbox[];
  containers: CriContainer[];
  /** containers beyond the poll's limit were not asked for their status (their list entry is kept) */
  statusSkipped: number;
}

/** Health of the CRI source, as /api/v1/status `sources.cri` and the cri source metrics render it. */
export interface CriSourceHealth {
  up: boolean;
  /** 'off' = not configured (no socket given / --no-cri) */
  mode: 'poll' | 'off';
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorKind: CriErrorKind | null;
  /** failed polls by kind since start */
  failures: Partial<Record<CriErrorKind, number>>;
}

// ---------------------------------------------------------------- runtime roots

export type RuntimeFamily = 'runc' | 'crun';

/** Why an entry of a runtime root was skipped (a metric label value; bounded). */
export type RuntimeStateSkip =
  | 'not-a-directory'
  | 'no-state-file'
  | 'unreadable'
  | 'too-large'
  | 'broken-json'
  | 'id-mismatch'
  | 'symlink-loop'
  /** 1 per root whose entries went beyond the limit (the rest were not looked at) */
  | 'over-limit';

/** One container whose state a low-level runtime keeps under a root. */
export interface RuntimeHolding {
  id: string;
  /** host path of the root that holds the state ("/run/runc") */
  root: string;
  /** runc: <id>/state.json; crun: <id>/status */
  family: RuntimeFamily;
  pid: number | null;
  /** clock ticks since boot (/proc/<pid>/stat field 22) recorded by the runtime, to detect pid reuse */
  startTime: number | null;
  bundle: string | null;
  created: string | null;
  /** io.container.manager annotation ("cri-o", "libpod" …) when the state names it */
  manager: string | null;
  /** io.kubernetes.cri-o.SandboxID annotation, when present */
  sandboxId: string | null;
  /** pod from the state's annotations, when present */
  pod: { namespace: string | null; name: string | null; uid: string | null } | null;
  /** is the init process alive (pid exists and its start time matches)? null = cannot tell (no /proc) */
  alive: boolean | null;
}

export interface RuntimeRootRead {
  root: string;
  /** why this root was read: handler names that use it, or "wrapper:<handler>" */
  usedBy: string[];
  exists: boolean;
  /** directory entries seen (before the limit) */
  entries: number;
  holdings: number;
  skipped: Partial<Record<RuntimeStateSkip, number>>;
  /** the entry limit cut the read short: holdings beyond it are unknown */
  truncated: boolean;
  error: string | null;
}

export interface RuntimeStateSnapshot {
  readAt: string;
  /** whether /proc could be consulted for liveness (root "/" or a mounted /proc) */
  procAvailable: boolean;
  roots: RuntimeRootRead[];
  holdings: RuntimeHolding[];
}

// ---------------------------------------------------------------- the model

/** Which low-level runtime, under which root, a CRI-O handler drives a container with. */
export interface RuntimeDriver {
  /** the handler CRI-O resolves for the container (the sandbox's, or the default's name) */
  handler: string;
  /** the handler's runtime_path (may be a wrapper) */
  runtimePath: string | null;
  /** the low-level binary that finally acts (the wrapper's resolution for NVIDIA handlers) */
  binary: string | null;
  family: RuntimeFamily | null;
  /** the --root the runtime uses: runtime_root, else the low-level runtime's default root */
  root: string | null;
  /** false when CRI-O has no such handler (handler removed): every operation fails */
  known: boolean;
}

export type ContainerRisk =
  /** (i) the next CRI-O start drives it with another low-level runtime or root (warning) */
  | 'will-change-runtime'
  /** (ii) the runtime layer already drives it with another one: stop/exec/kill fail (critical) */
  | 'driven-by-other-runtime'
  /** (iii) CRI-O reports exited/unknown while a runtime still runs it (critical) */
  | 'orphaned-in-runtime'
  /** (iv) a runtime root runs it and CRI-O does not list it (warning) */
  | 'unknown-to-crio';

export const CONTAINER_RISKS: readonly ContainerRisk[] = ['will-change-runtime', 'driven-by-other-runtime', 'orphaned-in-runtime', 'unknown-to-crio'];

/** The finding id raised for each risk class (catalogue rows). */
export const RISK_FINDING: Record<ContainerRisk, string> = {
  'will-change-runtime': 'containers-will-change-runtime',
  'driven-by-other-runtime': 'containers-driven-by-other-runtime',
  'orphaned-in-runtime': 'container-orphaned-in-runtime',
  'unknown-to-crio': 'container-unknown-to-crio',
};

/** State label of the `crio_sentinel_containers{state}` gauge: CRI states plus "not-in-cri". */
export type ContainerStateLabel = CriContainerState | 'not-in-cri';
export const CONTAINER_STATES: readonly ContainerStateLabel[] = ['created', 'running', 'exited', 'unknown', 'not-in-cri'];

export interface ContainerView {
  id: string;
  /** container name (metadata.name); null for a container CRI-O does not list */
  name: string | null;
  podSandboxId: string | null;
  pod: { namespace: string | null; name: string | null; uid: string | null } | null;
  state: ContainerStateLabel;
  /** the sandbox's runtime_handler; "" = follows the default; null = unknown (not in CRI) */
  handler: string | null;
  /** the runtime root that holds its state, and its process; null = no runtime holds it */
  createdBy: { root: string; family: RuntimeFamily; pid: number | null; alive: boolean | null } | null;
  /** what CRI-O's runtime layer uses for its handler now (null = unknown: no live CRI-O knowledge) */
  drivenNow: RuntimeDriver | null;
  /** what the files make it after the next CRI-O start (null = the files do not resolve) */
  drivenAfterRestart: RuntimeDriver | null;
  risks: ContainerRisk[];
  /** one line per risk, plain words */
  why: string[];
}

export interface PodAtRisk {
  namespace: string | null;
  name: string | null;
  uid: string | null;
  podSandboxId: string | null;
  handler: string | null;
  risks: ContainerRisk[];
  containers: ContainerView[];
}

/** The model: also the `containers` section of /api/v1/status and `pods --output json` (README). */
export interface ContainerModel {
  generatedAt: string;
  /** false when the CRI source had no snapshot: the lists below come from the runtime roots alone */
  criAvailable: boolean;
  runtimeStateAvailable: boolean;
  /** the default CRI-O's runtime layer uses now, and where that came from */
  defaultNow: { handler: string | null; source: 'journal-start' | 'api' | 'journal' | null };
  /** the default after the next start (files) */
  defaultAfterRestart: string | null;
  counts: {
    /** containers known to CRI-O or held by a runtime root */
    total: number;
    byState: Record<ContainerStateLabel, number>;
    /** containers per risk class (a container may be in several) */
    atRisk: Record<ContainerRisk, number>;
    /** containers with at least one risk */
    atRiskTotal: number;
  };
  /** pods with at least one container at risk, worst first, at most `limits.pods` */
  podsAtRisk: PodAtRisk[];
  podsAtRiskTotal: number;
  /** podsAtRisk (or a pod's containers) were cut at the limits */
  truncated: boolean;
  /** every container, sorted by pod then name, at most MODEL_LIMITS.containers (the daemon passes a smaller limit) */
  containers: ContainerView[];
  containersTruncated: boolean;
  /** plain-word notes about degraded inputs ("runtime root /run/crun: 3 entries with broken JSON") */
  notes: string[];
}

/** The `containers` member of DaemonStatus (/api/v1/status): the model, or why there is none. */
export interface ContainersStatus {
  model: ContainerModel | null;
  cri: CriSourceHealth;
  runtimeState: { up: boolean; lastReadAt: string | null; lastError: string | null; roots: RuntimeRootRead[] };
}
