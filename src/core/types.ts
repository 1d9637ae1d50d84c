/**
 * Shared plain-data types of crio-sentinel's pipeline.
 *
 *   sources (config files, journal, CRI-O socket, node facts)
 *     -> pure core (config engine, classifier, correlator, findings)
 *     -> outputs (metrics, HTTP, CLI)
 *
 * Everything here is data: no behaviour, no I/O. Modules of the core take these
 * values plus an injected FileView and Clock and return new values.
 */

import type { ContainersStatus, CriSourceHealth } from '../containers/types.js';

// ---------------------------------------------------------------- clock & files

/** Injected clock: milliseconds since the epoch. */
export type Clock = () => number;

export type FileKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'other';

export interface FileStat {
  kind: FileKind;
  size: number;
  /** permission bits (mode & 0o7777) */
  mode: number;
  mtimeMs: number;
}

/**
 * Read-only view of a host file system, rooted at `--root`.
 * All paths given to it are HOST paths ("/etc/crio/crio.conf"); the view maps them under the root.
 * Implementations never throw for a missing path (they return null); other failures throw
 * FileViewError carrying an errno-style code.
 */
export interface FileView {
  /** lstat (does not follow a final symlink); null when the path does not exist. */
  lstat(path: string): FileStat | null;
  /** stat (follows symlinks); null when missing or a dangling link. */
  stat(path: string): FileStat | null;
  /**
   * Entry names of a directory as raw bytes (non-UTF-8 names are kept). With maxEntries, a
   * directory holding more is refused (FileViewError code 'E2BIG') without keeping its names.
   */
  readdirRaw(path: string, maxEntries?: number): Buffer[];
  /** Read a whole file, refusing (FileViewError code 'EFBIG') when larger than maxBytes. */
  readFile(path: string, maxBytes: number): Buffer;
  /** True when the path resolves to a regular file with an execute bit. */
  isExecutable(path: string): boolean;
  /** Resolve a symlink target as the host would see it (host path), or null. */
  readlink(path: string): string | null;
}

export class FileViewError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'FileViewError';
  }
}

// ---------------------------------------------------------------- findings

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

// ---------------------------------------------------------------- config engine

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

/** Inputs to the engine besides the file view. Unset flags are undefined; env is the CRI-O process env. */
export interface ConfigInputs {
  /** --config / -c; "" skips the main file */
  config?: string;
  /** --config-dir / -d; "" skips drop-ins */
  configDir?: string;
  /** --default-runtime */
  defaultRuntime?: string;
  /** --runtimes (may be given several times) */
  runtimes?: string[];
  /** CONTAINER_CONFIG, CONTAINER_CONFIG_DIR, CONTAINER_DEFAULT_RUNTIME, CONTAINER_RUNTIMES … */
  env?: Record<string, string | undefined>;
  /** CRI-O version, e.g. "1.31.0"; null when unknown (newest rules apply) */
  crioVersion: string | null;
}

// ---------------------------------------------------------------- journal

/** One journal entry, normalised from export, JSON or plain-text input. */
export interface JournalEntry {
  /** __CURSOR, when the source has one */
  cursor: string | null;
  /** __REALTIME_TIMESTAMP in microseconds since the epoch (fits a double until year 2255) */
  realtimeUs: number;
  /** _SYSTEMD_UNIT (or UNIT for PID 1 lines); null when absent */
  unit: string | null;
  /** SYSLOG_IDENTIFIER */
  identifier: string | null;
  /** _TRANSPORT: stdout, syslog, kernel, journal, audit … */
  transport: string | null;
  pid: number | null;
  /** _STREAM_ID, used to join multi-line klog records */
  streamId: string | null;
  bootId: string | null;
  /** MESSAGE decoded as UTF-8 (invalid bytes replaced) */
  message: string;
}

/** Why an input record was skipped; each reason is a metric label value. */
export type SkipReason =
  | 'truncated'
  | 'no_message'
  | 'invalid_utf8'
  | 'oversize'
  | 'malformed'
  | 'no_timestamp'
  | 'binary_garbage';

/** Health of a journal source, rendered by /readyz, /api/v1/status and metrics. */
export interface SourceHealth {
  up: boolean;
  /** 'off' when deliberately disabled (e.g. no journal on this host and none requested) */
  mode: 'follow' | 'file' | 'off';
  restarts: number;
  lastEntryAtUs: number | null;
  lastError: string | null;
}

// ---------------------------------------------------------------- events (journal -> correlator)

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

/** Counter sink the daemon turns into Prometheus counters; label values are bounded by the caller. */
export interface EventCounters {
  killFailure(reason: string, runtime: string, defaultRuntime: string): void;
  stopRpcFailure(rpc: 'StopContainer' | 'StopPodSandbox' | 'KillContainer' | 'KillPodSandbox', defaultRuntime: string): void;
  execPermissionDenied(defaultRuntime: string): void;
  apparmorDenial(operation: string, comm: string): void;
}

// ---------------------------------------------------------------- daemon status (/api/v1/status)

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
