/**
 * THE pattern catalogue: one row per log format of log-formats.md (§5 A*, §6 B*, §7 C*, §8 D*,
 * §4.3 conmon, §10 kernel AppArmor). Adding a format = one row here + one example in
 * test/events/patterns.test.ts.
 *
 * A row is applied to:
 *   crio    – the Go-unquoted logrus `msg` (ctx.fields = the other logrus fields, unquoted);
 *   kubelet – the klog record after the header (`"msg" k=v…` or legacy free text); multi-line
 *             records are flattened first by the joiner (err=<…> becomes err="…");
 *   conmon, kernel, systemd – the MESSAGE.
 * Before any regex runs, the classifier checks the row's `prefilter` (a fixed substring) — and for
 * crio/kubelet it only looks at rows whose prefilter starts with the record's first word.
 */
import type { Event, EventKind, EventSource, FailureReason, PodSyncAction } from './event.js';
import { goUnquote } from './go-unquote.js';

export interface PatternContext {
  /** logrus fields (crio) or lazily parsed klog key/values (kubelet); empty for others */
  fields(): Record<string, string>;
  /** crio logrus level or klog severity letter */
  level: string;
}

/** what a row extracts; `kind` overrides the row's kind (PLEG ContainerDied). */
export type Extracted = Omit<Event, 'kind' | 'pattern' | 'source' | 'atMs' | 'line' | 'level'> & { kind?: EventKind };

export interface PatternRow {
  id: string;
  source: EventSource;
  kind: EventKind;
  /** fixed substring that must occur in the input before the regex is tried */
  prefilter: string;
  /** true: try the row on every record of its source (prefilter checked with includes) instead of by first word */
  anywhere?: boolean;
  regex: RegExp;
  /** versions that print this form (documentation; see log-formats.md) */
  versions: string;
  /** fields of the event; null = matched the regex but is not an event after all */
  extract(m: RegExpExecArray, ctx: PatternContext): Extracted | null;
}

// ---------------------------------------------------------------- helpers shared by rows

const HEX64 = /^[0-9a-f]{64}$/;

/** Normalise every container-ID form of log-formats.md §9 to 64 hex, or undefined. */
export function normalizeContainerId(v: string | undefined): string | undefined {
  if (!v) return undefined;
  let s = v.trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1);
  const scheme = s.indexOf('://');
  if (scheme >= 0) s = s.slice(scheme + 3);
  else if (s.startsWith('{')) {
    const m = /"ID":"([0-9a-f]{64})"/.exec(s) ?? /^\{"[^"]+" "([0-9a-f]{64})"\}$/.exec(s) ?? /ID:([0-9a-f]{64})/.exec(s);
    s = m?.[1] ?? '';
  }
  return HEX64.test(s) ? s : undefined;
}

/** Classify an error text into the bounded reason set. */
export function reasonOf(text: string): FailureReason {
  if (text.includes('failed to find runtime handler')) return 'handler_missing';
  if (/permission denied|operation not permitted|signaling init process caused/i.test(text)) return 'permission_denied';
  if (text.includes('DeadlineExceeded') || text.includes('context deadline exceeded')) return 'deadline_exceeded';
  // the runtime that ran has no state for the container (CRI-O 1.32.13 lab: runc and crun wording)
  if (text.includes('container does not exist') || /error opening file `[^`]*\/status`: No such file or directory/.test(text)) return 'state_missing';
  if (/no such process|container not running|invalid process|process not found|no such file or directory/i.test(text)) return 'no_such_process';
  return 'other';
}

const HANDLER_MISSING = /failed to find runtime handler (\S+) from runtime list/;

function handlerMissingIn(text: string): string | undefined {
  if (!text.includes('failed to find runtime handler')) return undefined;
  return HANDLER_MISSING.exec(text)?.[1];
}

/** Bound evidence text. */
export function clip(s: string, max = 600): string {
  return s.length <= max ? s : s.slice(0, max) + '...';
}

/** `ns/pod` (klog.KObj) split. */
function splitPod(v: string | undefined): { namespace?: string; pod?: string } {
  if (!v) return {};
  const i = v.indexOf('/');
  if (i <= 0) return { pod: v };
  return { namespace: v.slice(0, i), pod: v.slice(i + 1) };
}

/** `<ns>/<pod>/<ctr>` (CRI-O description) split. */
function splitDescription(v: string | undefined): { namespace?: string; pod?: string; container?: string } {
  if (!v) return {};
  const parts = v.split('/');
  if (parts.length < 3) return {};
  return { namespace: parts[0]!, pod: parts[1]!, container: parts.slice(2).join('/') };
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Parse the B9 aggregate `failed to "KillContainer" for "trainer" with KillContainerError: "…"` (escaped or not). */
export function parseSyncActions(err: string): PodSyncAction[] {
  const out: PodSyncAction[] = [];
  const re = /failed to \\?"(KillContainer|KillPodSandbox)\\?" for \\?"([^"\\]+)\\?" with (?:KillContainerError|KillPodSandboxError): ((?:\\?"(?:[^"\\]|\\.)*?\\?")|[^,\]]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(err)) !== null && out.length < 16) {
    out.push({ action: m[1] as PodSyncAction['action'], target: m[2]!, reason: reasonOf(m[3] ?? '') });
  }
  return out;
}

/** Kill-failure error text: the runtime command, its --root, the stderr (A4-err). */
export function parseKillCommand(err: string): { runtimePath?: string; runtimeRoot?: string } {
  const m = /`(\/[^\s`]+) ([^`]*?)kill [0-9a-f]{12,64} \w+`/.exec(err) ?? /`(\/[^\s`]+) ([^`]*)`/.exec(err);
  if (!m) return {};
  const root = /--root[= ](\S+)/.exec(m[2] ?? '');
  return stripUndefined({ runtimePath: m[1], runtimeRoot: root?.[1] });
}

/** The runtime table names and default_runtime of a `Current CRI-O configuration:` TOML dump. */
export function parseConfigDump(body: string): { defaultRuntime?: string; handlers: string[] } {
  const d = /^\s*default_runtime\s*=\s*"([^"]*)"/m.exec(body);
  const handlers: string[] = [];
  const re = /^\s*\[crio\.runtime\.runtimes\.("?)([^\]"]+)\1\]\s*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null && handlers.length < 64) if (!handlers.includes(m[2]!)) handlers.push(m[2]!);
  return stripUndefined({ defaultRuntime: d?.[1] || undefined, handlers });
}

/** Generic `key="v"` / key=v scanner for kernel audit bodies. */
export function parseAuditFields(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-z_]+)=(?:"([^"]*)"|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out[m[1]!] ??= m[2] ?? m[3] ?? '';
  return out;
}

// ---------------------------------------------------------------- rows

const CID = '([0-9a-f]{64})';

/** extract for CRI-O rows whose regex is `…<cid>: <ns>/<pod>/<ctr>` */
function cidDesc(kind: 'container' | 'sandbox') {
  return (m: RegExpExecArray): Extracted => {
    const d = { namespace: m[2], pod: m[3] };
    return kind === 'container' ? stripUndefined({ containerId: m[1], ...d, container: m[4] }) : stripUndefined({ sandboxId: m[1], ...d });
  };
}

/** extract for structured kubelet rows carrying pod/podUID/containerName/containerID/err */
function kubeletContainer(extra?: (f: Record<string, string>) => Partial<Extracted>) {
  return (_m: RegExpExecArray, ctx: PatternContext): Extracted | null => {
    const f = ctx.fields();
    const err = f.err;
    const base: Extracted = {
      containerId: normalizeContainerId(f.containerID),
      ...splitPod(f.pod),
      podUID: f.podUID ?? f.podID,
      container: f.containerName,
      gracePeriodS: num(f.gracePeriod),
      ...(err !== undefined ? { error: clip(err), reason: reasonOf(err), handler: handlerMissingIn(err) } : {}),
      ...(extra ? extra(f) : {}),
    };
    return stripUndefined(base);
  };
}

export const PATTERNS: readonly PatternRow[] = [
  // ------------------------------------------------------------ (a) CRI-O stop/kill
  {
    id: 'A1', source: 'crio', kind: 'stop-requested', prefilter: 'Stopping container: ', versions: 'all',
    regex: /^Stopping container: ([0-9a-f]{12,64}) \(timeout: (\d+)s\)$/,
    extract: (m) => ({ containerId: normalizeContainerId(m[1]) ?? m[1]!, gracePeriodS: Number(m[2]) }),
  },
  {
    id: 'A2', source: 'crio', kind: 'stopped-weak', prefilter: 'Stopped container ', versions: 'all',
    regex: new RegExp(`^Stopped container ${CID}: ([^/]+)/([^/]+)/(.+)$`), extract: cidDesc('container'),
  },
  {
    id: 'A3', source: 'crio', kind: 'stop-timeout', prefilter: 'Stopping container ', versions: '1.32.13 (lab, docs/crio-lab.md), >=1.33',
    regex: new RegExp(`^Stopping container ${CID} with stop signal\\((\\w+)\\) timed out\\. Killing\\.\\.\\.$`),
    extract: (m) => ({ containerId: m[1]!, signal: m[2]! }),
  },
  {
    id: "A3'", source: 'crio', kind: 'stop-timeout', prefilter: 'Stopping container ', versions: '1.29.5-1.32',
    regex: new RegExp(`^Stopping container ${CID} with stop signal timed out\\. Killing\\.\\.\\.$`),
    extract: (m) => ({ containerId: m[1]! }),
  },
  {
    id: "A3''", source: 'crio', kind: 'stop-timeout', prefilter: 'Stopping container ', versions: '1.28-1.29.0',
    regex: new RegExp(`^Stopping container ${CID} with stop signal timed out\\. Killing$`),
    extract: (m) => ({ containerId: m[1]! }),
  },
  {
    id: "A3'''", source: 'crio', kind: 'stop-timeout', prefilter: 'Stopping container ', versions: '<=1.27',
    regex: new RegExp(`^Stopping container ${CID} with stop signal timed out: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!) }),
  },
  {
    id: 'A4', source: 'crio', kind: 'kill-failed', prefilter: 'Killing container ', versions: '>=1.28',
    regex: new RegExp(`^Killing container ${CID} failed: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!), ...parseKillCommand(m[2]!) }),
  },
  {
    id: 'A5', source: 'crio', kind: 'blocked-process', prefilter: 'Detected process ', versions: '>=1.29.5',
    regex: new RegExp(`^Detected process \\((\\d+)\\) blocked in uninterruptible sleep for more than (\\d+) seconds for container ${CID}`),
    extract: (m) => ({ containerId: m[3]!, error: `pid ${m[1]} in state D for ${m[2]} s` }),
  },
  {
    id: "A5'", source: 'crio', kind: 'blocked-process', prefilter: 'Detected process ', versions: '>=1.33',
    regex: new RegExp(`^Detected process \\((\\d+)\\) in state (\\S+) blocked for more than (\\d+) seconds for container ${CID}`),
    extract: (m) => ({ containerId: m[4]!, error: `pid ${m[1]} in state ${m[2]} for ${m[3]} s` }),
  },
  {
    id: 'A6', source: 'crio', kind: 'container-error', prefilter: 'Failed to unpause container ', versions: 'all',
    regex: /^Failed to unpause container k8s_([^_]+)_([^_]+)_([^_]+)_([0-9a-f-]{36})_\d+: (.*)$/s,
    extract: (m) => ({ container: m[1]!, pod: m[2]!, namespace: m[3]!, podUID: m[4]!, error: clip(m[5]!), reason: reasonOf(m[5]!) }),
  },
  {
    id: 'A7', source: 'crio', kind: 'container-error', prefilter: 'Failed to ', versions: 'all',
    regex: new RegExp(`^Failed to (?:unmount container|run post-stop hook for container) ${CID}: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    id: 'A7n', source: 'crio', kind: 'container-error', prefilter: 'NRI stop container request of ', versions: 'all',
    regex: new RegExp(`^NRI stop container request of ${CID} failed: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    id: 'A7w', source: 'crio', kind: 'container-error', prefilter: 'Unable to write containers ', versions: 'all',
    regex: new RegExp(`^Unable to write containers ${CID} state to disk: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    id: 'A8', source: 'crio', kind: 'sandbox-stop-requested', prefilter: 'Stopping pod sandbox: ', versions: 'all',
    regex: new RegExp(`^Stopping pod sandbox: ${CID}$`), extract: (m) => ({ sandboxId: m[1]! }),
  },
  {
    id: 'A8w', source: 'crio', kind: 'sandbox-stopped-weak', prefilter: 'Could not get sandbox ', versions: 'all',
    regex: new RegExp(`^Could not get sandbox ${CID}, it's probably been stopped already`), extract: (m) => ({ sandboxId: m[1]! }),
  },
  {
    id: 'A9', source: 'crio', kind: 'sandbox-stopped-weak', prefilter: 'Stopped pod sandbox', versions: 'all',
    regex: new RegExp(`^Stopped pod sandbox(?: \\(already stopped\\))?: ${CID}$`), extract: (m) => ({ sandboxId: m[1]! }),
  },
  {
    id: 'A10', source: 'crio', kind: 'cni-delete', prefilter: 'Deleting pod ', versions: 'all',
    regex: /^Deleting pod ([^_\s]+)_(\S+) from CNI network "([^"]*)"/,
    extract: (m) => ({ namespace: m[1]!, pod: m[2]! }),
  },
  {
    id: 'A11', source: 'crio', kind: 'handler-missing', prefilter: 'failed to find runtime handler ', anywhere: true, versions: 'all',
    regex: /failed to find runtime handler (\S+) from runtime list/,
    extract: (m, ctx) => ({ handler: m[1]!, reason: 'handler_missing', ...cridFields(ctx) }),
  },
  // CRI-O 1.32.13 at start, restoring a container (observed in the lab, docs/crio-lab.md): the runtime it
  // drives the container with now cannot read its state; CRI-O then lists it EXITED (exit code 255,
  // reason Error) although the process may still run under the runtime that created it.
  {
    id: 'A12', source: 'crio', kind: 'container-state-lost', prefilter: 'Failed to update container state for ', versions: '1.32.13 (lab)',
    regex: new RegExp(`^Failed to update container state for ${CID}: (.*)$`, 's'),
    extract: (m) => ({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    // the handler the container was created with is gone: CRI-O keeps listing it in its last state
    id: 'A13', source: 'crio', kind: 'container-state-lost', prefilter: 'Error updating the container status ', versions: '1.32.13 (lab)',
    regex: new RegExp(`^Error updating the container status "${CID}": (.*)$`, 's'),
    extract: (m) => stripUndefined({ containerId: m[1]!, error: clip(m[2]!), reason: reasonOf(m[2]!), handler: handlerMissingIn(m[2]!) }),
  },
  // pairing lines (server/container_create.go, container_start.go, sandbox_run_linux.go, *_remove.go)
  {
    id: 'P1', source: 'crio', kind: 'container-created', prefilter: 'Created container ', versions: 'all',
    regex: new RegExp(`^Created container ${CID}: ([^/]+)/([^/]+)/(.+)$`), extract: cidDesc('container'),
  },
  {
    id: 'P2', source: 'crio', kind: 'container-started', prefilter: 'Started container', versions: 'all (fields >= ~1.22, legacy "<id>: <desc>")',
    regex: new RegExp(`^Started container(?: ${CID}: ([^/]+)/([^/]+)/(.+))?$`),
    extract: (m, ctx) => {
      if (m[1]) return cidDesc('container')(m);
      const f = ctx.fields();
      const id = normalizeContainerId(f.containerID);
      if (!id) return null;
      return stripUndefined({ containerId: id, sandboxId: normalizeContainerId(f.sandboxID), ...splitDescription(f.description) });
    },
  },
  {
    id: 'P3', source: 'crio', kind: 'sandbox-created', prefilter: 'Ran pod sandbox ', versions: 'all',
    regex: new RegExp(`^Ran pod sandbox ${CID} with infra container: ([^/]+)/([^/]+)/POD$`), extract: cidDesc('sandbox'),
  },
  {
    id: 'P4', source: 'crio', kind: 'container-removed', prefilter: 'Removed container ', versions: 'server/container_remove.go (checked in cri-o sources; not in log-formats.md)',
    regex: new RegExp(`^Removed container ${CID}: ([^/]+)/([^/]+)/(.+)$`), extract: cidDesc('container'),
  },
  {
    id: 'P5', source: 'crio', kind: 'sandbox-removed', prefilter: 'Removed pod sandbox: ', versions: 'server/sandbox_remove.go (checked in cri-o sources; very old releases wrote it in lower case)',
    regex: new RegExp(`^Removed pod sandbox: ${CID}$`), extract: (m) => ({ sandboxId: m[1]! }),
  },
  {
    id: 'E1', source: 'crio', kind: 'exec-error-crio', prefilter: 'Unhandled Error: error executing command in container', versions: 'all',
    regex: /^Unhandled Error: error executing command in container: (.*)$/s,
    extract: (m) => ({ error: clip(m[1]!), reason: reasonOf(m[1]!) }),
  },
  // ------------------------------------------------------------ (d) CRI-O startup / config / reload
  {
    id: 'D0', source: 'crio', kind: 'crio-fatal', prefilter: 'level=fatal', anywhere: true, versions: 'all',
    regex: /^([\s\S]+)$/,
    extract: (m, ctx) => (ctx.level === 'fatal' ? { error: clip(m[1]!, 2000) } : null),
  },
  {
    id: 'D1', source: 'crio', kind: 'crio-start', prefilter: 'Starting CRI-O, version: ', versions: 'all',
    regex: /^Starting CRI-O, version: ([^,]+), git: ([^(]*)\((\w+)\)$/,
    extract: (m) => ({ version: m[1]!.trim() }),
  },
  {
    id: 'D2', source: 'crio', kind: 'config-file', prefilter: 'Updating config from ', versions: '>= ~1.26 (not in 1.24.6)',
    regex: /^Updating config from (single file|drop-in file|path): (.+)$/,
    extract: (m) => ({ option: m[1]!, file: m[2]! }),
  },
  {
    id: 'D3', source: 'crio', kind: 'runtime-handler', prefilter: 'Using runtime handler ', versions: '~>=1.30',
    regex: /^Using runtime handler (.+)$/s,
    extract: (m) => ({ handler: clip(m[1]!, 300) }),
  },
  {
    id: 'D3e', source: 'crio', kind: 'runtime-handler-error', prefilter: 'Unable to ', versions: '~>=1.30',
    regex: /^Unable to (?:determine version of|load OCI features for) runtime handler "([^"]+)": (.*)$/s,
    extract: (m) => ({ handler: m[1]!, error: clip(m[2]!) }),
  },
  {
    id: 'D3g', source: 'crio', kind: 'runtime-handler-error', prefilter: 'Getting ', versions: '~>=1.30',
    regex: /^Getting (\S+) OCI runtime features failed: (.*)$/s,
    extract: (m) => ({ handler: m[1]!, error: clip(m[2]!) }),
  },
  {
    id: 'D4', source: 'crio', kind: 'handler-ignored', prefilter: 'Runtime handler "', versions: 'all',
    regex: /^Runtime handler "([^"]+)" is being ignored due to: (.*)$/s,
    extract: (m) => ({ handler: m[1]!, error: clip(m[2]!) }),
  },
  {
    id: 'D5', source: 'crio', kind: 'default-builtin', prefilter: 'Defaulting to ', versions: 'all (debug level only)',
    regex: /^Defaulting to "([^"]+)" as the runtime since default_runtime is not set$/,
    extract: (m) => ({ value: m[1]! }),
  },
  {
    id: 'D6', source: 'crio', kind: 'config-dump', prefilter: 'Current CRI-O configuration:', versions: '>=1.32 at start; after every reload',
    regex: /^Current CRI-O configuration:\n([\s\S]*)$/,
    extract: (m) => {
      const d = parseConfigDump(m[1]!);
      return stripUndefined({ value: d.defaultRuntime, handler: d.handlers.join(',') || undefined });
    },
  },
  {
    id: 'D7', source: 'crio', kind: 'default-flag', prefilter: 'FLAG: --default-runtime=', versions: '>=1.32',
    regex: /^FLAG: --default-runtime="([^"]*)"\n?$/,
    extract: (m) => ({ value: m[1]! }),
  },
  {
    id: 'D8', source: 'crio', kind: 'reload-watcher', prefilter: 'Registered SIGHUP reload watcher', versions: 'all',
    regex: /^Registered SIGHUP reload watcher$/, extract: () => ({}),
  },
  {
    id: 'D8ok', source: 'crio', kind: 'reload-done', prefilter: 'Configuration reload completed', versions: 'all',
    regex: /^Configuration reload completed$/, extract: () => ({}),
  },
  {
    id: 'D8err', source: 'crio', kind: 'reload-failed', prefilter: 'Unable to reload configuration', versions: 'all',
    regex: /^Unable to reload configuration: (.*)$/s,
    extract: (m) => ({ error: clip(m[1]!, 1000) }),
  },
  {
    id: 'D9', source: 'crio', kind: 'reload-start', prefilter: 'Reloading configuration', versions: 'all',
    regex: /^Reloading configuration$/, extract: () => ({}),
  },
  {
    id: 'D10', source: 'crio', kind: 'config-set', prefilter: 'Set config ', versions: '>= ~1.20',
    regex: /^Set config ([a-z_]+) to "((?:[^"\\]|\\.)*)"$/,
    extract: (m) => ({ option: m[1]!, value: goUnquote(m[2]!) }),
  },
  {
    id: 'D11', source: 'crio', kind: 'runtimes-updated', prefilter: 'Updating runtime configuration', versions: '>=1.26',
    regex: /^Updating runtime configuration$/, extract: () => ({}),
  },
  {
    id: 'D13', source: 'crio', kind: 'node-config', prefilter: 'Node configuration value for ', versions: 'all',
    regex: /^Node configuration value for (.+) is (.+)$/, extract: () => ({}),
  },
  // ------------------------------------------------------------ systemd PID 1 about crio.service (D12)
  {
    id: 'D12', source: 'systemd', kind: 'systemd-reload', prefilter: 'Reload', anywhere: true, versions: 'systemd wording varies',
    regex: /^(Reloading|Reloaded) (?:crio\.service|Container Runtime Interface for OCI)/,
    extract: (m) => ({ option: m[1]! }),
  },
  // ------------------------------------------------------------ conmon (§4.3)
  {
    id: 'M1', source: 'conmon', kind: 'container-exited', prefilter: ' exited with status ', anywhere: true, versions: 'conmon 2.x',
    regex: /^conmon ([0-9a-f]{20}) <[a-z]+>: container (\d+) exited with status (-?\d+)/,
    extract: (m) => ({ containerPrefix: m[1]!, exitCode: Number(m[3]) }),
  },
  // ------------------------------------------------------------ kernel AppArmor (§10)
  {
    id: 'K1', source: 'kernel', kind: 'apparmor-denied', prefilter: 'apparmor="DENIED"', anywhere: true, versions: 'AppArmor',
    regex: /apparmor="DENIED" operation="([^"]+)"/,
    extract: (m) => {
      const f = parseAuditFields(m.input.slice(m.index));
      return stripUndefined({ operation: m[1]!, profile: f.profile, comm: f.comm, peer: f.peer, signal: f.signal });
    },
  },
  // ------------------------------------------------------------ (b) kubelet stop failures
  {
    id: 'B1', source: 'kubelet', kind: 'stop-requested', prefilter: '"Killing container with a grace period', versions: 'k8s >= 1.21, --v>=2 (override: --v>=3)',
    regex: /^"Killing container with a grace period(?: override)?"/, extract: kubeletContainer(),
  },
  {
    id: 'B2', source: 'kubelet', kind: 'kubelet-kill-failed', prefilter: '"Container termination failed with gracePeriod"', versions: 'k8s >= 1.21',
    regex: /^"Container termination failed with gracePeriod"/, extract: kubeletContainer(),
  },
  {
    id: 'B2L', source: 'kubelet', kind: 'kubelet-kill-failed', prefilter: 'Container "', versions: 'legacy (k8s <= 1.20)',
    regex: /^Container "[a-z-]+:\/\/([0-9a-f]{64})" termination failed with gracePeriod (\d+): (.*)$/s,
    extract: (m) => ({ containerId: m[1]!, gracePeriodS: Number(m[2]), error: clip(m[3]!), reason: reasonOf(m[3]!) }),
  },
  {
    id: 'B3', source: 'kubelet', kind: 'container-exited', prefilter: '"Container exited normally"', versions: 'k8s >= 1.21, --v>=3',
    regex: /^"Container exited normally"/, extract: kubeletContainer(),
  },
  {
    id: 'B4', source: 'kubelet', kind: 'kubelet-kill-failed', prefilter: '"Kill container failed"', versions: 'k8s >= 1.21',
    regex: /^"Kill container failed"/, extract: kubeletContainer(),
  },
  {
    id: 'B5', source: 'kubelet', kind: 'kubelet-kill-failed', prefilter: '"killContainer for pod failed"', versions: 'k8s >= 1.21',
    regex: /^"killContainer for pod failed"/, extract: kubeletContainer(),
  },
  {
    id: 'B6', source: 'kubelet', kind: 'sandbox-kill-failed', prefilter: '"Failed to stop sandbox"', versions: 'k8s >= 1.21',
    regex: /^"Failed to stop sandbox"/,
    extract: (_m, ctx) => stripUndefined({ sandboxId: normalizeContainerId(ctx.fields().podSandboxID) }),
  },
  {
    id: 'B6L', source: 'kubelet', kind: 'sandbox-kill-failed', prefilter: 'Failed to stop sandbox {', versions: 'legacy',
    regex: /^Failed to stop sandbox \{"[^"]+" "([0-9a-f]{64})"\}/, extract: (m) => ({ sandboxId: m[1]! }),
  },
  {
    id: 'B7', source: 'kubelet', kind: 'stop-rpc-failed', prefilter: '"StopContainer from runtime service failed"', versions: 'k8s >= 1.21 (remote_runtime.go, log.go:32)',
    regex: /^"StopContainer from runtime service failed"/, extract: kubeletContainer(() => ({ rpc: 'StopContainer' })),
  },
  {
    id: 'B7L', source: 'kubelet', kind: 'stop-rpc-failed', prefilter: 'StopContainer "', versions: 'legacy',
    regex: /^StopContainer "([0-9a-f]{64})" from runtime service failed: (.*)$/s,
    extract: (m) => ({ containerId: m[1]!, rpc: 'StopContainer', error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    id: 'B8', source: 'kubelet', kind: 'stop-rpc-failed', prefilter: '"StopPodSandbox from runtime service failed"', versions: 'k8s >= 1.21',
    regex: /^"StopPodSandbox from runtime service failed"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      const err = f.err ?? '';
      return stripUndefined({ sandboxId: normalizeContainerId(f.podSandboxID), rpc: 'StopPodSandbox' as const, error: clip(err), reason: reasonOf(err) });
    },
  },
  {
    id: 'B8L', source: 'kubelet', kind: 'stop-rpc-failed', prefilter: 'StopPodSandbox "', versions: 'legacy',
    regex: /^StopPodSandbox "([0-9a-f]{64})" from runtime service failed: (.*)$/s,
    extract: (m) => ({ sandboxId: m[1]!, rpc: 'StopPodSandbox', error: clip(m[2]!), reason: reasonOf(m[2]!) }),
  },
  {
    id: 'B10', source: 'kubelet', kind: 'pod-sync-error', prefilter: '"Unhandled Error"', versions: 'k8s >= 1.31 (duplicates B11)',
    regex: /^"Unhandled Error" err=/,
    extract: (_m, ctx) => syncError(ctx.fields().err ?? '', undefined, undefined, true),
  },
  {
    id: 'B10L', source: 'kubelet', kind: 'pod-sync-error', prefilter: 'failed to "Kill', versions: 'k8s <= 1.30 ErrorDepth (duplicates B11)',
    regex: /^\[?failed to "(?:KillContainer|KillPodSandbox)"/,
    extract: (m) => syncError(m.input, undefined, undefined, true),
  },
  {
    id: 'B9L', source: 'kubelet', kind: 'pod-sync-error', prefilter: 'Failed killing the pod ', versions: 'legacy kubelet_pods.go',
    regex: /^Failed killing the pod "([^"]+)": (.*)$/s,
    extract: (m) => syncError(m[2]!, m[1], undefined, true),
  },
  {
    id: 'B11', source: 'kubelet', kind: 'pod-sync-error', prefilter: '"Error syncing pod, skipping"', versions: 'k8s >= 1.21',
    regex: /^"Error syncing pod, skipping"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      return syncError(f.err ?? '', f.pod, f.podUID, false);
    },
  },
  {
    id: 'B11L', source: 'kubelet', kind: 'pod-sync-error', prefilter: 'Error syncing pod ', versions: 'legacy (<= 1.20)',
    regex: /^Error syncing pod ([0-9a-f-]{36}) \("([^"]+)"\), skipping: (.*)$/s,
    extract: (m) => {
      // "<name>_<ns>(<uid>)"
      const full = /^(.+)_([^_(]+)\(/.exec(m[2]!);
      return syncError(m[3]!, full ? `${full[2]}/${full[1]}` : undefined, m[1], false);
    },
  },
  {
    id: 'B12d', source: 'kubelet', kind: 'pod-deleted', prefilter: '"SyncLoop DELETE"', versions: '--v>=2',
    regex: /^"SyncLoop DELETE".*pods=\["([^"]+)"/, extract: (m) => splitPod(m[1]),
  },
  {
    id: 'B12r', source: 'kubelet', kind: 'sandbox-removed', prefilter: '"SyncLoop REMOVE"', versions: '--v>=2',
    regex: /^"SyncLoop REMOVE".*pods=\["([^"]+)"/, extract: (m) => splitPod(m[1]),
  },
  {
    id: 'B12p', source: 'kubelet', kind: 'container-started', prefilter: '"SyncLoop (PLEG): event for pod"', versions: '--v>=2',
    regex: /^"SyncLoop \(PLEG\): event for pod" pod="([^"]+)" event=(?:\{"ID":"([^"]+)","Type":"(\w+)","Data":"([^"]*)"\}|&\{ID:(\S+) Type:(\w+) Data:(\S*)\})/,
    extract: (m) => {
      const type = m[3] ?? m[6];
      const id = normalizeContainerId(m[4] ?? m[7]);
      if (!id || (type !== 'ContainerStarted' && type !== 'ContainerDied')) return null;
      return { kind: type === 'ContainerDied' ? 'container-exited' : 'container-started', containerId: id, podUID: m[2] ?? m[5]!, ...splitPod(m[1]), option: type };
    },
  },
  {
    id: 'B13', source: 'kubelet', kind: 'container-exited', prefilter: '"Generic (PLEG): container finished"', versions: '--v>=2',
    regex: /^"Generic \(PLEG\): container finished"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      const id = normalizeContainerId(f.containerID);
      return id ? stripUndefined({ containerId: id, podUID: f.podID, exitCode: num(f.exitCode) }) : null;
    },
  },
  {
    id: 'B14', source: 'kubelet', kind: 'pod-status-failed', prefilter: '"PodSandboxStatus of sandbox for pod"', versions: 'k8s >= 1.21',
    regex: /^"PodSandboxStatus of sandbox for pod"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      return stripUndefined({ sandboxId: normalizeContainerId(f.podSandboxID), ...splitPod(f.pod), error: clip(f.err ?? ''), reason: reasonOf(f.err ?? '') });
    },
  },
  {
    id: 'A11k', source: 'kubelet', kind: 'handler-missing', prefilter: 'failed to find runtime handler ', anywhere: true, versions: 'all',
    regex: /failed to find runtime handler (\S+) from runtime list/,
    extract: (m, ctx) => {
      const f = ctx.fields();
      return stripUndefined({ handler: m[1]!, reason: 'handler_missing' as const, ...splitPod(f.pod), podUID: f.podUID });
    },
  },
  // ------------------------------------------------------------ (c) exec
  {
    id: 'C1', source: 'kubelet', kind: 'exec-failed', prefilter: '"ExecSync cmd from runtime service failed"', versions: 'k8s >= 1.21; multi-line when the error has \\n',
    regex: /^"ExecSync cmd from runtime service failed"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      const err = f.err ?? '';
      return stripUndefined({ containerId: normalizeContainerId(f.containerID), error: clip(err), reason: reasonOf(err), option: f.cmd });
    },
  },
  {
    id: 'C1L', source: 'kubelet', kind: 'exec-failed', prefilter: 'ExecSync ', versions: 'legacy',
    regex: /^ExecSync ([0-9a-f]{64}) '([^']*)' from runtime service failed: (.*)$/s,
    extract: (m) => ({ containerId: m[1]!, option: m[2]!, error: clip(m[3]!), reason: reasonOf(m[3]!) }),
  },
  {
    id: 'C2', source: 'kubelet', kind: 'probe-errored', prefilter: '"Probe ', versions: '--v>=1',
    regex: /^"Probe (?:errored|failed)"/,
    extract: (_m, ctx) => {
      const f = ctx.fields();
      const err = f.err ?? f.output ?? '';
      return stripUndefined({ ...splitPod(f.pod), podUID: f.podUID, container: f.containerName, error: clip(err), reason: reasonOf(err), option: f.probeType });
    },
  },
];

/** CRI-O lines carry containerID/sandboxID fields on RPC lines. */
function cridFields(ctx: PatternContext): Partial<Extracted> {
  const f = ctx.fields();
  return stripUndefined({ containerId: normalizeContainerId(f.containerID), sandboxId: normalizeContainerId(f.sandboxID) });
}

function syncError(err: string, pod: string | undefined, podUID: string | undefined, duplicate: boolean): Extracted | null {
  const actions = parseSyncActions(err);
  const handler = handlerMissingIn(err);
  if (actions.length === 0 && !handler) return null;
  const reason: FailureReason = handler ? 'handler_missing' : (actions[0]?.reason ?? reasonOf(err));
  return stripUndefined({ ...splitPod(pod), podUID, actions, error: clip(err), reason, handler, duplicate: duplicate || undefined });
}
