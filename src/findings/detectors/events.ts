/**
 * Event findings (runtime-failure-mechanisms.md §8), derived from correlator state at `now`;
 * never stored. Ids: stop-failures-under-nvidia-default, exec-permission-denied-loop,
 * pod-stuck-terminating, handler-missing-for-pods, apparmor-signal-denied, reload-failed.
 */
import type { Finding } from '../../core/types.js';
import { catalogueEntry } from '../catalogue.js';
import type { ContainerState, Correlator, Evidence } from '../../events/correlator.js';
import { runtimeLabel } from '../../events/correlator.js';
import type { DefaultTimeline, DefaultValue } from '../../events/default-timeline.js';
import { stuckPods } from '../../events/stuck-pods.js';

const MAX_SUBJECTS = 20;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function short(id: string): string {
  return id.slice(0, 12);
}

export function containerLabel(c: ContainerState): string {
  const where = c.namespace && c.pod ? ` (${c.namespace}/${c.pod}${c.name ? `/${c.name}` : ''})` : c.name ? ` (${c.name})` : '';
  return `container ${c.id}${where}`;
}

function lines(ev: Evidence[]): string[] {
  return ev.map((e) => e.text);
}

function finding(id: string, summary: string, evidence: string[], remediation: string, subject?: Finding['subject']): Finding {
  const e = catalogueEntry(id);
  const f: Finding = { id, severity: e.severity, summary, evidence, remediation };
  if (subject) f.subject = subject;
  return f;
}

function defaultLine(tl: DefaultTimeline, v: DefaultValue | null | undefined, what: string): string {
  return `default runtime in force ${what}: ${tl.describe(v ?? null)}`;
}

function isNvidiaFailure(tl: DefaultTimeline, c: ContainerState): boolean {
  if (c.killFailures > 0 && runtimeLabel(c.runtimePath).startsWith('nvidia-container-runtime')) return true;
  const d = c.killFailures > 0 ? c.defaultAtFailure : c.defaultAtKubeletFailure;
  return !!d && tl.isNvidia(d.name);
}

export function eventFindings(cor: Correlator, tl: DefaultTimeline, nowMs: number): Finding[] {
  const th = cor.thresholds;
  const out: Finding[] = [];

  // ---------------------------------------------------------------- stop failures under the nvidia default
  const failing: ContainerState[] = [];
  for (const c of cor.containers()) {
    if (c.killFailures === 0 && c.kubeletFailures === 0) continue;
    if (!isNvidiaFailure(tl, c)) continue;
    const last = Math.max(c.lastKillFailAtMs ?? -Infinity, c.lastKubeletFailAtMs ?? -Infinity);
    const resolved = cor.resolvedAtMs(c, nowMs) !== undefined;
    if (!resolved || nowMs - last <= th.recentMs) failing.push(c);
  }
  if (failing.length > 0) {
    failing.sort((a, b) => b.killFailures - a.killFailures);
    const ev: string[] = [];
    for (const c of failing.slice(0, 5)) {
      const first = c.firstKillFailAtMs ?? c.firstKubeletFailAtMs!;
      const last = Math.max(c.lastKillFailAtMs ?? -Infinity, c.lastKubeletFailAtMs ?? -Infinity);
      ev.push(
        `${containerLabel(c)}: ${c.killFailures} CRI-O kill failure(s), ${c.kubeletFailures} kubelet stop/kill failure(s) from ${iso(first)} to ${iso(last)}${c.killReason ? `, reason ${c.killReason}` : ''}`,
      );
      if (c.runtimePath) ev.push(`runtime that ran: ${c.runtimePath}${c.runtimeRoot ? ` --root ${c.runtimeRoot}` : ''}`);
      ev.push(defaultLine(tl, c.defaultAtFailure ?? c.defaultAtKubeletFailure, `at ${iso(first)}`));
      ev.push(...lines(c.evidence).slice(0, 3));
    }
    if (failing.length > 5) ev.push(`… and ${failing.length - 5} more container(s)`);
    out.push(
      finding(
        'stop-failures-under-nvidia-default',
        `${failing.length} container(s) cannot be stopped through the NVIDIA runtime (${failing.reduce((n, c) => n + c.killFailures, 0)} kill failures)`,
        ev,
        'Stops are failing through the NVIDIA runtime. Immediate relief: remove `default_runtime = "nvidia"` from the drop-in and restart CRI-O ' +
          '(the report confirms this restores normal stops). Then create a RuntimeClass with `handler: nvidia` for GPU pods. See the correlated mechanism finding ' +
          '(apparmor-confined-runc, low-level-runtime-mismatch, apparmor-signal-denied).',
      ),
    );
  }

  // ---------------------------------------------------------------- exec permission-denied loops
  let loops = 0;
  for (const c of cor.containers()) {
    if (!cor.execLoopActive(c, nowMs)) continue;
    if (++loops > MAX_SUBJECTS) continue;
    const subject: Finding['subject'] = { containerId: c.id };
    if (c.namespace) subject.namespace = c.namespace;
    if (c.pod) subject.pod = c.pod;
    if (c.podUID) subject.podUID = c.podUID;
    const target = c.namespace && c.pod ? `${c.namespace}/${c.pod}${c.name ? `/${c.name}` : ''}` : `container ${short(c.id)}`;
    out.push(
      finding(
        'exec-permission-denied-loop',
        `Exec into ${target} fails with permission denied on every probe (${c.execTotal} failures since ${iso(c.execLoopFirstAtMs ?? c.execLastAtMs!)})`,
        [
          `${containerLabel(c)}: ${c.execTotal} permission-denied exec failure(s), >= ${th.execLoopCount} within ${th.execLoopWindowMs / 1000} s, last at ${iso(c.execLastAtMs!)}`,
          defaultLine(tl, c.execDefault, `when the loop started`),
          ...lines(c.execEvidence).slice(0, 3),
        ],
        `Exec into ${target} fails with permission denied on every probe. Check whether the pod now runs under a different runtime ` +
          '(default runtime switch, AppArmor denials); otherwise check the binary\'s mode and noexec mounts.',
        subject,
      ),
    );
  }

  // ---------------------------------------------------------------- pods stuck Terminating
  let stuckCount = 0;
  for (const s of stuckPods(cor, nowMs)) {
    if (s.resolvedAtMs !== null) continue;
    if (++stuckCount > MAX_SUBJECTS) continue;
    const name = s.namespace && s.pod ? `${s.namespace}/${s.pod}` : `container ${short(s.containers[0]!.id)}`;
    const mins = Math.round((nowMs - s.firstStopAtMs) / 60000);
    const ev: string[] = [`stop first requested at ${iso(s.firstStopAtMs)} (${mins} min ago); no exit confirmed (conmon exit, PLEG ContainerDied, container finished)`];
    for (const c of s.containers.slice(0, 4)) {
      ev.push(
        `${containerLabel(c)}: ${c.crioStopRequests || c.stopRequests} stop request(s), grace ${c.graceS ?? th.defaultGraceS} s, ${c.killFailures} kill failure(s), ${c.kubeletFailures} kubelet failure(s)` +
          (c.weakStoppedAtMs !== undefined ? `; CRI-O printed "Stopped container" at ${iso(c.weakStoppedAtMs)} but kill failures continued (weak evidence)` : ''),
      );
      if (c.runtimePath) ev.push(`runtime that ran: ${c.runtimePath}${c.runtimeRoot ? ` --root ${c.runtimeRoot}` : ''}`);
      ev.push(defaultLine(tl, c.defaultAtFailure ?? c.defaultAtKubeletFailure ?? tl.inForce(), 'at the first failure'));
      ev.push(...lines(c.evidence).slice(-2));
    }
    const subject: Finding['subject'] = { containerId: s.containers[0]!.id };
    if (s.namespace) subject.namespace = s.namespace;
    if (s.pod) subject.pod = s.pod;
    if (s.podUID) subject.podUID = s.podUID;
    out.push(
      finding(
        'pod-stuck-terminating',
        `${name} stuck Terminating for ${mins} min`,
        ev,
        `${name} cannot be stopped. Fix the correlated cause (runtime routing, AppArmor, missing handler); kubelet's retries then complete the deletion. ` +
          'A force delete removes only the API object and leaves the container running on the node.',
        subject,
      ),
    );
  }

  // ---------------------------------------------------------------- missing handlers
  for (const [handler, h] of cor.handlerMissing()) {
    if (nowMs - h.lastAtMs > th.recentMs) continue;
    out.push(
      finding(
        'handler-missing-for-pods',
        `Pods use runtime handler "${handler}", which CRI-O does not have (${h.count} error(s))`,
        [`last seen ${iso(h.lastAtMs)}`, ...lines(h.evidence).slice(-3)],
        `Restore [crio.runtime.runtimes.${handler}] and its binary, restart CRI-O, and let the pods terminate. Remove a handler only when no pod uses it.`,
      ),
    );
  }

  // ---------------------------------------------------------------- AppArmor signal denials
  const aa = cor.apparmor();
  if (aa.signalDenials > 0 && aa.lastSignalAtMs !== undefined && nowMs - aa.lastSignalAtMs <= th.recentMs) {
    out.push(
      finding(
        'apparmor-signal-denied',
        `AppArmor denied ${aa.signalDenials} signal(s) from ${aa.peers.join(', ')} to containers`,
        [`last at ${iso(aa.lastSignalAtMs)}`, ...lines(aa.evidence).slice(-3)],
        `AppArmor blocks signals from ${aa.peers.join('/')} to containers. Upgrade CRI-O to >= 1.31 (its crio-default profile accepts runc signals), ` +
          'or stop routing CRI-O through the confined binary (e.g. do not make the NVIDIA wrapper the default runtime).',
      ),
    );
  }

  // ---------------------------------------------------------------- reload failure
  const rf = cor.reloadFailure();
  if (rf) {
    out.push(
      finding(
        'reload-failed',
        `The last CRI-O reload was rejected at ${iso(rf.atMs)}`,
        [`${iso(rf.atMs)} crio: ${rf.line.slice(0, 600)}`],
        'The last SIGHUP was rejected and the running config is unchanged (runtime settings may be partly updated). Fix the files and reload again, or restart after draining.',
      ),
    );
  }
  return out;
}
