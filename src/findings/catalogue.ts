/**
 * The findings catalogue: THE single place for a finding's id, severity rules, title and
 * remediation template. Detectors (src/findings/detectors/, one per source) say only what they saw
 * (summary, evidence, subject, params); evaluateFindings() (src/findings/engine.ts) turns each
 * draft into a Finding with the severity and remediation below. Every output enumerates this list
 * (metrics export crio_sentinel_finding_active for every id, so series never vanish).
 */
import type { Finding, Severity } from '../core/contracts.js';
import type { FindingDraft } from './types.js';

/** Which source's detector raises a finding. */
export type FindingSource = 'config' | 'events' | 'live' | 'containers' | 'node';

/** Template parameters: what a detector measured; a template copes with a missing one. */
export type Params = Readonly<Record<string, string | undefined>>;

export interface CatalogueEntry {
  id: string;
  /** the default severity (the `severity` label of crio_sentinel_finding_active) */
  severity: Severity;
  title: string;
  source: FindingSource;
  /**
   * A severity rule beyond the default, from the draft's params and the ids active on the node at
   * the same evaluation. Absent = always the default.
   */
  severityRule?: (p: Params, active: ReadonlySet<string>) => Severity;
  /** what to do, plain words */
  remediation: (p: Params) => string;
}

const DROPIN_DIR = '/etc/crio/crio.conf.d';
const NVIDIA_CFG = '/etc/nvidia-container-runtime/config.toml';
const dirOf = (p: Params): string => p.dir ?? DROPIN_DIR;
const atLine = (p: Params): string => (p.line ? ` (line ${p.line})` : '');

/** config-parse-error: one text per kind of fatal load error (crio-config.md: what CRI-O does with each). */
function parseErrorRemediation(p: Params): string {
  const dir = dirOf(p);
  switch (p.kind) {
    case 'not-regular':
      return `Remove ${p.file}. CRI-O reads every non-directory entry of ${dir}/ as a TOML file; a FIFO makes it block forever at startup, a socket or device makes it fail.`;
    case 'oversize':
      return `Move ${p.file} out of ${dir}/. CRI-O parses every non-directory entry there, whatever its name, and one bad file blocks startup and reload.`;
    case 'unreadable':
      return `Check ${p.file} (owner, mode, name). crio-sentinel could not read it, so the effective configuration is unknown; if it is not meant to be a CRI-O config, move it out of ${dir}/.`;
    case 'missing-main':
      return `Create ${p.file} or fix the --config flag / CONTAINER_CONFIG variable in the CRI-O unit or its environment file.`;
    case 'flag':
      return 'Fix the value (format name:path:root:type[:privileged_without_host_devices[:runtime_config_path[:container_min_memory]]]), or move the runtime into a drop-in table.';
    case 'walk':
      return `Fix the drop-in directory ${dir}/ (${p.detail ?? 'it cannot be walked'}). CRI-O walks it recursively at startup and reload and fails when it cannot.`;
    default:
      return `Fix or remove ${p.file}${atLine(p)}. CRI-O parses every non-directory entry in ${dir}/, whatever its name, and one bad file blocks startup and reload; later files are not applied.`;
  }
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  // ------------------------------------------------------------------ config (the files)
  {
    id: 'nvidia-default-runtime',
    severity: 'warning',
    title: "NVIDIA wrapper is CRI-O's default runtime",
    source: 'config',
    // raised while stops fail under it, or its change hit running pods
    severityRule: (_p, active) =>
      active.has('stop-failures-under-nvidia-default') || active.has('default-changed-under-running-pods') ? 'critical' : 'warning',
    remediation: (p) =>
      `Do not make ${p.handler} CRI-O's default runtime. Remove default_runtime from ${p.file ?? 'the file that sets it'} and keep its [crio.runtime.runtimes.${p.handler}] table. ` +
      `Create a RuntimeClass with handler: ${p.handler} and set runtimeClassName: ${p.handler} on GPU pods, or use CDI through the GPU Operator. ` +
      'Drain the node before restarting CRI-O (`crio-sentinel fix` prints the change).',
  },
  {
    id: 'default-runtime-undefined',
    severity: 'critical',
    title: 'default_runtime names no runtime table',
    source: 'config',
    remediation: (p) =>
      `Add [crio.runtime.runtimes.${p.handler}] or correct default_runtime (${p.where}). CRI-O refuses to start with this config, and a reload is rejected.`,
  },
  {
    id: 'config-parse-error',
    severity: 'critical',
    title: 'A CRI-O config file does not parse',
    source: 'config',
    remediation: parseErrorRemediation,
  },
  {
    id: 'config-not-evaluated',
    severity: 'critical',
    title: 'The CRI-O configuration is too large to evaluate',
    source: 'config',
    remediation: (p) =>
      `crio-sentinel did not evaluate the configuration (${p.detail ?? 'a limit was reached'}) and gives no answer rather than a wrong one. ` +
      `Clean up ${dirOf(p)}/: CRI-O reads every entry there at every start and reload.`,
  },
  {
    id: 'crio-config-rejected',
    severity: 'critical',
    title: "CRI-O's validation rejects the configuration",
    source: 'config',
    remediation: (p) => `Fix the setting CRI-O names (${p.error ?? 'see the evidence'}). CRI-O will not start with this configuration, and a reload is rejected.`,
  },
  {
    id: 'stray-dropin-file',
    severity: 'warning',
    title: 'Unintended entry in the drop-in directory',
    source: 'config',
    remediation: (p) => `Move ${p.file} out of ${dirOf(p)}/. CRI-O applies it like any other drop-in, in byte-wise name order, whatever its name.`,
  },
  {
    id: 'default-runtime-binary-missing',
    severity: 'critical',
    title: 'Default runtime binary missing: CRI-O will not start',
    source: 'config',
    remediation: (p) => `Install the runtime binary or fix runtime_path of [crio.runtime.runtimes.${p.handler}] (${p.where}). CRI-O will not start.`,
  },
  {
    id: 'runtime-binary-missing',
    severity: 'warning',
    title: 'Runtime handler binary missing: handler dropped',
    source: 'config',
    remediation: (p) =>
      `Install the binary or remove the table [crio.runtime.runtimes.${p.handler}] (${p.where}). Until then, pods with RuntimeClass handler "${p.handler}" fail with "failed to find runtime handler ${p.handler}".`,
  },
  {
    id: 'nvidia-dropin-ignored',
    severity: 'warning',
    title: 'NVIDIA drop-in in a directory CRI-O never reads',
    source: 'config',
    remediation: (p) =>
      p.wrongDir === 'true'
        ? `CRI-O never reads ${p.file} (nvidia-ctk 1.18.0–1.19.0 writes there). Re-run nvidia-ctk runtime configure with toolkit ≥ 1.19.1 or with --drop-in-config=/etc/crio/crio.conf.d/99-nvidia.toml, or move the file to ${p.target}` +
          `${p.defaultValue ? ` after removing its default_runtime line (it would make ${p.defaultValue} the default for every pod)` : ''}. Pods with RuntimeClass nvidia fail with "failed to find runtime handler nvidia" until then.`
        : `CRI-O never reads ${p.file} (${p.reason}). Move the NVIDIA table into a file CRI-O reads (${p.target})${p.defaultValue ? ', without its default_runtime line' : ''}, or remove the file.`,
  },
  {
    id: 'runc-handler-deleted',
    severity: 'warning',
    title: 'CRI-O <= 1.25.0 deletes the runc handler',
    source: 'config',
    remediation: () =>
      'CRI-O ≤ 1.25.0 drops the runc handler when another default is set; pods with RuntimeClass handler runc fail with "failed to find runtime handler runc". ' +
      'Upgrade CRI-O to ≥ 1.26, or re-declare [crio.runtime.runtimes.runc] in a later drop-in that does not set default_runtime.',
  },
  {
    id: 'low-level-runtime-mismatch',
    severity: 'critical',
    title: 'NVIDIA wrapper drives a different low-level runtime',
    source: 'config',
    remediation: (p) =>
      `Make the NVIDIA wrapper use the runtime that created the containers: put ${p.creator} first in [nvidia-container-runtime] runtimes of ${NVIDIA_CFG} and keep runtime_root unchanged (${p.root}); ` +
      `better, do not make ${p.handler} the default (see nvidia-default-runtime). Drain the node before switching runtimes.`,
  },
  {
    id: 'apparmor-confined-runc',
    severity: 'warning',
    title: 'Wrapper forwards to AppArmor-confined /usr/sbin/runc',
    source: 'config',
    // critical when this CRI-O's crio-default profile denies runc's signals (< 1.31)
    severityRule: (p) => (p.signalsDenied === 'true' ? 'critical' : 'warning'),
    remediation: () =>
      'Containers driven by /usr/sbin/runc cannot be signalled under CRI-O < 1.31\'s crio-default profile (kill fails with "unable to signal init: permission denied"). ' +
      `Upgrade CRI-O to ≥ 1.31, or route the NVIDIA wrapper to CRI-O's own runtime binary (put it first in runtimes of ${NVIDIA_CFG}), or keep default_runtime unchanged.`,
  },
  {
    id: 'nvidia-handler-without-runtime-root',
    severity: 'info',
    title: 'NVIDIA handler has no runtime_root',
    source: 'config',
    remediation: (p) =>
      `The ${p.handler} handler uses CRI-O's default root (/run/crun on ≥ 1.31, /run/runc on ≤ 1.30). Set runtime_root in [crio.runtime.runtimes.${p.handler}] to match the runtime the wrapper actually uses${p.binary ? ` (${p.binary}: /run/${p.family ?? 'runc'})` : ''}.`,
  },
  {
    id: 'cli-override-lost-on-reload',
    severity: 'info',
    title: 'CLI/env override is lost on SIGHUP',
    source: 'config',
    remediation: (p) =>
      p.what === 'runtimes'
        ? `A SIGHUP re-reads only the files and rebuilds the runtime map from them: handlers set by ${p.flag} disappear on the next reload. Define them as [crio.runtime.runtimes.<name>] tables in a drop-in instead.`
        : `A SIGHUP (systemctl reload crio) re-reads only the files: the next reload will switch the default to "${p.filesDefault}". Put default_runtime = "${p.value}" in a drop-in instead.`,
  },
  // ------------------------------------------------------------------ live (running CRI-O vs files)
  {
    id: 'pending-runtime-change',
    severity: 'warning',
    title: 'Files differ from the runtime CRI-O is running',
    source: 'live',
    remediation: (p) =>
      `The on-disk CRI-O config differs from the running one. At the next CRI-O restart, pods without a RuntimeClass switch to "${p.target}" ` +
      '(a SIGHUP is not enough: real CRI-O 1.31.0 and 1.32.13 log the new default on reload but keep driving containers with the old one until they restart). ' +
      `${p.pods ? `Pods that will move: ${p.pods}. ` : ''}Drain the node first, or revert the change.`,
  },
  {
    id: 'crio-live-config-unavailable',
    severity: 'info',
    title: 'Running CRI-O config not readable',
    source: 'live',
    remediation: () =>
      "crio-sentinel cannot read CRI-O's running default runtime directly and falls back to journal lines and files. Enable enable_metrics or grant socket access (the socket is mode 0660, root).",
  },
  // ------------------------------------------------------------------ node facts
  {
    id: 'nvidia-default-without-gpu',
    severity: 'info',
    title: 'NVIDIA default runtime on a node without NVIDIA GPU',
    source: 'node',
    remediation: () =>
      "Every pod on this node runs through the NVIDIA wrapper for nothing. Keep the node on CRI-O's own runtime (crun or runc) and select NVIDIA only through a RuntimeClass on GPU nodes.",
  },
  // ------------------------------------------------------------------ containers (CRI + runtime roots: src/findings/detectors/containers.ts)
  {
    id: 'containers-will-change-runtime',
    severity: 'warning',
    title: 'Running containers will be driven by another runtime after the next CRI-O start',
    source: 'containers',
    remediation: (p) =>
      `Do not restart CRI-O with these files while ${p.count ?? 'these'} container(s) run${p.pods ? ` (${p.pods})` : ''}: after the start, ` +
      `${p.handlerAfter ? `handler "${p.handlerAfter}"` : 'the new runtime'} looks for them where ${p.createdFamily ?? 'the runtime that created them'} did not put them` +
      `${p.createdRoot ? ` (their state is in ${p.createdRoot})` : ''}, and stop, exec and kill fail. Drain the node first, or revert the change (\`crio-sentinel pods\` lists the containers).`,
  },
  {
    id: 'containers-driven-by-other-runtime',
    severity: 'critical',
    title: 'Containers are driven by a runtime that did not create them',
    source: 'containers',
    remediation: (p) =>
      `CRI-O now drives ${p.count ?? 'these'} container(s)${p.pods ? ` (${p.pods})` : ''} with ${p.handlerNow ? `"${p.handlerNow}"` : 'a runtime'} that cannot see them` +
      `${p.createdRoot ? ` (their state is in ${p.createdRoot}, ${p.createdFamily ?? ''})` : ''}: stop, exec and kill fail. Restore the handler or default_runtime they were created with and restart CRI-O, then drain the node.`,
  },
  {
    id: 'container-orphaned-in-runtime',
    severity: 'critical',
    title: 'CRI-O reports containers exited that a low-level runtime still runs',
    source: 'containers',
    remediation: (p) =>
      `${p.count ?? 'These'} container(s)${p.pods ? ` (${p.pods})` : ''} are exited or unknown to CRI-O but their processes live on under ${p.createdFamily ?? 'the low-level runtime'}` +
      `${p.createdRoot ? ` (${p.createdRoot})` : ''}: their memory and GPU memory stay allocated and kubelet may start second copies. ` +
      'Restore the runtime configuration that created them and restart CRI-O so it sees them again, or stop them with that runtime directly (e.g. runc --root <root> kill <id> KILL), then drain the node.',
  },
  {
    id: 'container-unknown-to-crio',
    severity: 'warning',
    title: 'A runtime root runs containers CRI-O does not list',
    source: 'containers',
    remediation: (p) =>
      `${p.count ?? 'These'} container(s) created by CRI-O still run under ${p.createdFamily ?? 'a low-level runtime'}${p.createdRoot ? ` (${p.createdRoot})` : ''} but CRI-O no longer lists them: nothing will stop them. ` +
      'Check whether another CRI-O instance owns them; otherwise stop them with the runtime that holds them and remove their state.',
  },
  // ------------------------------------------------------------------ events (the journal)
  {
    id: 'default-changed-under-running-pods',
    severity: 'critical',
    title: 'Default runtime changed under running pods',
    source: 'events',
    remediation: (p) =>
      `Running pods created with "${p.old}" are now managed by "${p.current}". Recreate or drain these pods, or restore default_runtime = "${p.old}".`,
  },
  {
    id: 'stop-failures-under-nvidia-default',
    severity: 'critical',
    title: 'Container stops fail through the NVIDIA runtime',
    source: 'events',
    remediation: () =>
      'Stops are failing through the NVIDIA runtime. Immediate relief: remove `default_runtime = "nvidia"` from the drop-in and restart CRI-O ' +
      '(the report confirms this restores normal stops). Then create a RuntimeClass with `handler: nvidia` for GPU pods. See the correlated mechanism finding ' +
      '(apparmor-confined-runc, low-level-runtime-mismatch, apparmor-signal-denied).',
  },
  {
    id: 'exec-permission-denied-loop',
    severity: 'warning',
    title: 'Exec probes fail with permission denied in a loop',
    source: 'events',
    remediation: (p) =>
      `Exec into ${p.target} fails with permission denied on every probe. Check whether the pod now runs under a different runtime ` +
      "(default runtime switch, AppArmor denials); otherwise check the binary's mode and noexec mounts.",
  },
  {
    id: 'pod-stuck-terminating',
    severity: 'critical',
    title: 'Pod stuck in Terminating',
    source: 'events',
    remediation: (p) =>
      `${p.target} cannot be stopped. Fix the correlated cause (runtime routing, AppArmor, missing handler); kubelet's retries then complete the deletion. ` +
      'A force delete removes only the API object and leaves the container running on the node.',
  },
  {
    id: 'handler-missing-for-pods',
    severity: 'critical',
    title: 'Pods use a runtime handler CRI-O does not have',
    source: 'events',
    remediation: (p) =>
      `Restore [crio.runtime.runtimes.${p.handler}] and its binary, restart CRI-O, and let the pods terminate. Remove a handler only when no pod uses it.`,
  },
  {
    id: 'apparmor-signal-denied',
    severity: 'critical',
    title: 'AppArmor denies signals to containers',
    source: 'events',
    remediation: (p) =>
      `AppArmor blocks signals from ${p.peers} to containers. Upgrade CRI-O to >= 1.31 (its crio-default profile accepts runc signals), ` +
      'or stop routing CRI-O through the confined binary (e.g. do not make the NVIDIA wrapper the default runtime).',
  },
  {
    // CRI-O 1.32.13 lab (docs/crio-lab.md): journal side of containers-driven-by-other-runtime / container-orphaned-in-runtime
    id: 'containers-state-lost-at-start',
    severity: 'critical',
    title: 'CRI-O lost track of running containers at its start',
    source: 'events',
    remediation: (p) =>
      p.handlerGone === 'true'
        ? `Restore the runtime handler these containers were created with and restart CRI-O, then drain the node. Pods: ${p.pods ?? 'see the evidence'}.`
        : `The runtime CRI-O drives these containers with now ("${p.current}") is not the one that created them. Restore the previous default_runtime ` +
          '(remove default_runtime from the drop-in) and restart CRI-O so the creating runtime drives them again, then drain the node. ' +
          'Until then CRI-O cannot stop them, kubelet may start second copies, and their processes (and GPU memory) stay. ' +
          `Pods: ${p.pods ?? 'see the evidence'}.`,
  },
  {
    id: 'reload-failed',
    severity: 'warning',
    title: 'Last CRI-O reload was rejected',
    source: 'events',
    remediation: () =>
      'The last SIGHUP was rejected and the running config is unchanged (runtime settings may be partly updated). Fix the files and reload again, or restart after draining.',
  },
];

const BY_ID = new Map(CATALOGUE.map((e) => [e.id, e]));

export function catalogueEntry(id: string): CatalogueEntry {
  const e = BY_ID.get(id);
  if (!e) throw new Error(`unknown finding id ${id}`);
  return e;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** A draft as a Finding: the catalogue's severity rule (given the ids active alongside) and remediation. */
export function finalizeDraft(d: FindingDraft, active: ReadonlySet<string>): Finding {
  const e = catalogueEntry(d.id);
  const p = d.params ?? {};
  const f: Finding = {
    id: d.id,
    severity: e.severityRule ? e.severityRule(p, active) : e.severity,
    summary: d.summary,
    evidence: d.evidence,
    remediation: e.remediation(p),
  };
  if (d.subject) f.subject = d.subject;
  return f;
}

/** Sorted by severity, then id, stable otherwise: the order every output shows. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.f.id.localeCompare(b.f.id) || a.i - b.i)
    .map((x) => x.f);
}

/**
 * Re-apply the catalogue's cross-finding severity rules to findings evaluated separately (e.g. the
 * config findings a ConfigReport carries, evaluated where the files were read) and sort.
 */
export function mergeFindings(...groups: Finding[][]): Finding[] {
  const all = groups.flat();
  const active = new Set(all.map((f) => f.id));
  const out = all.map((f) => {
    const e = BY_ID.get(f.id);
    if (!e?.severityRule) return f;
    const raised = e.severityRule({}, active);
    // a rule never lowers a severity a draft-specific rule already set (e.g. apparmor-confined-runc)
    return RANK[raised] < RANK[f.severity] ? { ...f, severity: raised } : f;
  });
  return sortFindings(out);
}

/** Exit status convention of monitoring check plugins: 0 ok/info, 1 warning, 2 critical. */
export function exitStatusFor(findings: Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.severity === 'critical')) return 2;
  if (findings.some((f) => f.severity === 'warning')) return 1;
  return 0;
}
