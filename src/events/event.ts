/**
 * The typed event the classifier produces from one journal entry (or one joined kubelet record).
 * Plain data; the correlator consumes it.
 */

export type EventSource = 'crio' | 'kubelet' | 'conmon' | 'kernel' | 'systemd';

/**
 * state_missing: the runtime that ran has no state for the container (runc `container does not exist`,
 * crun `error opening file \`<root>/<id>/status\``): CRI-O drives it with another low-level runtime or
 * root than the one that created it (observed on CRI-O 1.32.13, docs/crio-lab.md).
 */
export type FailureReason = 'permission_denied' | 'deadline_exceeded' | 'handler_missing' | 'state_missing' | 'no_such_process' | 'other';

export type EventKind =
  // container lifecycle (pairing)
  | 'sandbox-created' //        Ran pod sandbox <sid> with infra container: ns/pod/POD
  | 'container-created' //      Created container <id>: ns/pod/ctr
  | 'container-started' //      Started container … / PLEG ContainerStarted
  | 'container-exited' //       conmon exited with status, B13, PLEG ContainerDied, B3 (strong)
  | 'container-removed' //      Removed container <id>: ns/pod/ctr (strong)
  | 'sandbox-removed' //        Removed pod sandbox: <sid>; SyncLoop REMOVE
  | 'pod-deleted' //            B12 SyncLoop DELETE
  // stop / kill
  | 'stop-requested' //         A1, B1, B1'
  | 'stop-timeout' //           A3 variants (normal alone)
  | 'kill-failed' //            A4 (CRI-O kill attempt failed; carries the runtime that ran)
  | 'kubelet-kill-failed' //    B2, B4, B5
  | 'stopped-weak' //           A2 (weak: CRI-O >= 1.28 prints it while the kill loop continues)
  | 'blocked-process' //        A5, A5'
  | 'sandbox-stop-requested' // A8
  | 'sandbox-stopped-weak' //   A9 (weak)
  | 'cni-delete' //             A10
  | 'container-error' //        A6, A7
  | 'stop-rpc-failed' //        B7 (StopContainer), B8 (StopPodSandbox)
  | 'sandbox-kill-failed' //    B6
  | 'pod-sync-error' //         B9-B11 aggregates
  | 'pod-status-failed' //      B14
  | 'handler-missing' //        A11 text anywhere
  | 'container-state-lost' //   A12, A13: at start CRI-O cannot read a restored container's state through the runtime it drives now
  // exec
  | 'exec-failed' //            C: ExecSync cmd from runtime service failed
  | 'probe-errored' //          C: Probe errored / Probe failed (verdict, not an exec attempt)
  | 'exec-error-crio' //        CRI-O "Unhandled Error: error executing command in container"
  // startup / config / reload
  | 'crio-fatal' //             D0
  | 'crio-start' //             D1
  | 'config-file' //            D2
  | 'runtime-handler' //        D3
  | 'runtime-handler-error' //  D3e
  | 'handler-ignored' //        D4
  | 'config-dump' //            D6
  | 'default-flag' //           D7
  | 'default-builtin' //        D5 (debug): no default_runtime set, built-in default used
  | 'reload-watcher' //         D8 registered
  | 'reload-done' //            D8 completed
  | 'reload-failed' //          D8 failure
  | 'reload-start' //           D9
  | 'config-set' //             D10
  | 'runtimes-updated' //       D11
  | 'systemd-reload' //         D12 (PID 1)
  | 'node-config' //            D13 (noise)
  // kernel
  | 'apparmor-denied';

export interface PodSyncAction {
  action: 'KillContainer' | 'KillPodSandbox';
  /** container name for KillContainer, pod UID for KillPodSandbox */
  target: string;
  reason: FailureReason;
}

export interface Event {
  kind: EventKind;
  /** catalogue row id (A4, B7, C1 …) */
  pattern: string;
  source: EventSource;
  /** entry time in ms since the epoch (from __REALTIME_TIMESTAMP) */
  atMs: number;
  /** severity as written in the line: logrus level or klog letter */
  level?: string;
  containerId?: string;
  /** a 20-hex conmon prefix that could not be resolved to a full ID */
  containerPrefix?: string;
  sandboxId?: string;
  namespace?: string;
  pod?: string;
  podUID?: string;
  container?: string;
  /** the runtime binary that ran (A4 command) and its --root */
  runtimePath?: string;
  runtimeRoot?: string;
  reason?: FailureReason;
  /** grace period / stop timeout in seconds (A1 `timeout`, B1 `gracePeriod`) */
  gracePeriodS?: number;
  exitCode?: number;
  rpc?: 'StopContainer' | 'StopPodSandbox';
  actions?: PodSyncAction[];
  /** D1 version */
  version?: string;
  /** D2 file, D2 kind */
  file?: string;
  /** D6/D7/D10 value (default runtime); D10 option name in `option` */
  value?: string;
  option?: string;
  /** D3 handler description; D4/D3e/A11 handler name */
  handler?: string;
  /** error text (reload failure, kill stderr, …), bounded */
  error?: string;
  /** kernel AppArmor */
  operation?: string;
  comm?: string;
  peer?: string;
  profile?: string;
  signal?: string;
  /** stamped by the correlator: the default runtime in force (runtime layer) when the event happened */
  defaultRuntime?: string;
  /** where that default came from ("journal: startup config dump; files: … line 5") */
  defaultSource?: string;
  /** true for records that duplicate another record of the same failure (B10 next to B11) */
  duplicate?: boolean;
  /** the message as logged (joined for multi-line kubelet records), truncated for evidence */
  line: string;
}
