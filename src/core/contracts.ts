/**
 * The stable JSON contracts of crio-sentinel: what `check --output json`, `scan --output json`,
 * `pods --output json` and `/api/v1/status` print, and what every output (CLI text, the status page,
 * metrics) renders. Plain data, no behaviour. Changing a field here changes a documented contract
 * (README: "check JSON", "scan JSON", "pods JSON", "/api/v1/status").
 */
import type { ContainersStatus, CriSourceHealth } from '../containers/types.js';

export type Severity = 'critical' | 'warning' | 'info';

/** A finding as every output renders it (CLI text/JSON, API, page, metrics). */
export interface Finding {
  /** stable kebab-case id from src/findings/catalogue.ts */
  id: string;
  severity: Severity;
  /** one line, plain words */
  summary: string;
  /** concrete evidence: "file /etc/crio/crio.conf.d/99-nvidia.conf line 4: default_runtime = \"nvidia\"" */
  evidence: string[];
  /** what to do, plain words, may span several sentences */
  remediation: string;
  /** optional subject, for per-pod/per-container findings */
  subject?: { namespace?: string; pod?: string; podUID?: string; containerId?: string; file?: string; handler?: string };
}

/** Where a value came from. Paths are host paths (no --root prefix). */
export type Provenance =
  | { file: string; line: number | null }
  | { builtin: true }
  | { flag: string };

export interface RuntimeHandlerView {
  runtimePath: string;
  runtimeType: string;
  runtimeRoot: string;
  monitorPath: string;
  isNvidia: boolean;
  source: Provenance;
}

export type FileStatus = 'applied' | 'missing' | 'error' | 'ignored';

export interface FileReport {
  /** host path */
  path: string;
  status: FileStatus;
  error?: string;
}

/**
 * The `crio-sentinel check --output json` contract (README: "check JSON").
 * `effective` is null only when the configuration cannot be resolved at all (a fatal parse error).
 */
export interface ConfigReport {
  crioVersion: string | null;
  files: FileReport[];
  effective: {
    defaultRuntime: { name: string; source: Provenance };
    runtimes: Record<string, RuntimeHandlerView>;
  } | null;
  /**
   * false when a bound (entries, depth, bytes, a device) stopped the evaluation: then
   * `crioWouldStart` and `effective` say nothing, and the finding config-not-evaluated explains why
   */
  evaluated: boolean;
  crioWouldStart: boolean;
  startError: string | null;
  lowLevelRuntime: { wrapper: string; binary: string | null } | null;
  findings: Finding[];
}

/** Health of a journal source, rendered by /readyz, /api/v1/status and metrics. */
export interface SourceHealth {
  up: boolean;
  /** 'off' when deliberately disabled (e.g. no journal on this host and none requested) */
  mode: 'follow' | 'file' | 'off';
  restarts: number;
  lastEntryAtUs: number | null;
  lastError: string | null;
}

/** A bounded list's full count: `shown` rows are in the list, `total` exist, `truncated` when cut. */
export interface ListTotal {
  total: number;
  shown: number;
  truncated: boolean;
}

/**
 * What the event pipeline knows at a point in time. It is the `scan --output json` contract
 * (README: "scan JSON") and the `events` part of /api/v1/status. Times are ISO 8601 strings.
 */
export interface EventSnapshot {
  entries: number;
  killFailures: { containerId: string; count: number; reason: string; runtimePath: string | null; namespace?: string; pod?: string }[];
  stopRpcFailures: number;
  /** `loop`: a loop was ever detected; `active`: the loop is going on at snapshot time */
  execPermissionDenied: { containerId: string; count: number; loop: boolean; active: boolean; namespace?: string; pod?: string; container?: string }[];
  stuckTerminating: {
    namespace: string | null;
    pod: string | null;
    podUID: string | null;
    containerIds: string[];
    firstStopAt: string;
    resolved: boolean;
    /** seconds since the first stop request, at snapshot time */
    stuckSeconds: number;
  }[];
  /** the full counts behind the bounded lists above (at most 200 rows each) */
  totals: {
    /** containers with kill failures; `failures` sums every container's count, listed or not */
    killFailures: ListTotal & { failures: number };
    execPermissionDenied: ListTotal & { failures: number; loops: number; activeLoops: number };
    /** pods ever stuck; `stuck` are still stuck */
    stuckTerminating: ListTotal & { stuck: number };
  };
  defaultRuntimeTimeline: { at: string; defaultRuntime: string; source: string }[];
  /** what the journal says about the running CRI-O */
  crio: {
    version: string | null;
    lastStartAt: string | null;
    /** the default CRI-O reports (startup dump, `Set config default_runtime`, reload) */
    configuredDefault: string | null;
    /** the default the runtime layer uses (changes only on a CRI-O start; see runtime-failure-mechanisms.md §10) */
    runtimeLayerDefault: string | null;
    handlers: string[] | null;
  };
}

/** The running CRI-O as read from its socket (GET /config, /info) or, failing that, its journal lines. */
export interface LiveCrio {
  source: 'api' | 'journal' | 'none';
  defaultRuntime: string | null;
  runtimes: Record<string, { runtimePath: string; runtimeRoot: string; runtimeType: string }> | null;
  /** storage/cgroup facts from GET /info */
  info: Record<string, unknown> | null;
  /** process facts (systeminformation): pid, start time, real flags and CONTAINER_* env */
  process: { pid: number; startedAt: string | null; args: string[]; env: Record<string, string> } | null;
  lastError: string | null;
}

export interface NodeFacts {
  name: string;
  kernel: string | null;
  os: string | null;
  nvidiaGpus: number | null;
  gpuModels: string[];
}

/** The /api/v1/status contract; also what metrics, the page and readiness are computed from. */
export interface DaemonStatus {
  version: string;
  node: NodeFacts;
  generatedAt: string;
  crioVersion: string | null;
  config: {
    report: ConfigReport | null;
    lastReloadAt: string | null;
    reloads: { success: number; failure: number };
    lastError: string | null;
  };
  live: LiveCrio;
  /** files resolve to a different default or runtime set than the running CRI-O */
  drift: boolean;
  events: EventSnapshot | null;
  findings: Finding[];
  /**
   * Per-container runtime risk (issue #9): the container model from the last CRI poll and runtime-roots
   * read, pods at risk bounded (src/containers/types.ts; README "pods JSON" has the model's shape).
   * Absent only in status values built without the container source.
   */
  containers?: ContainersStatus;
  sources: {
    journal: SourceHealth;
    crioApi: { up: boolean; lastError: string | null };
    nodeFacts: { up: boolean; lastError: string | null };
    /** the CRI source (gRPC on the CRI-O socket); absent as `containers` is */
    cri?: CriSourceHealth;
  };
  ready: { ok: boolean; reason: string };
}
