/**
 * One example per catalogue row (log-formats.md; real lines where the reference has one, composed
 * from the cited format string otherwise), plus the confounders of §11.
 * Adding a row to src/events/patterns.ts without an example here fails the first test.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createClassifier, createMessagePrefilter } from '../../src/events/classifier.js';
import type { Event, EventSource } from '../../src/events/event.js';
import { normalizeContainerId, parseSyncActions, PATTERNS, reasonOf } from '../../src/events/patterns.js';

const CID = '06ea17a8981d25b0315ff17bd1ebad3d95c15a3f8b764eaadb93612d9b61a54e';
const CID2 = '177a7ea3611fe6b138557deaf44941614b66c0ece1766308044c8b65c8ba2123';
const SID = 'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc';
const UID = '3f6c2a9e-8b1d-4c57-9e0a-5d2b7c41f8aa';
const POD = 'ml-train/llama-ft-7d9c8b5f4-x2k9q';

let seq = 0;
export function entry(source: EventSource | 'hyperkube', message: string, extra: Partial<JournalEntry> = {}): JournalEntry {
  const base: JournalEntry = {
    cursor: null,
    realtimeUs: 1_764_324_900_000_000 + seq++ * 1000,
    unit: null,
    identifier: null,
    transport: 'stdout',
    pid: 100,
    streamId: 's1',
    bootId: null,
    message,
  };
  switch (source) {
    case 'crio':
      Object.assign(base, { unit: 'crio.service', identifier: 'crio', pid: 1873 });
      break;
    case 'kubelet':
      Object.assign(base, { unit: 'kubelet.service', identifier: 'kubelet', pid: 2211 });
      break;
    case 'hyperkube':
      Object.assign(base, { unit: 'kubelet.service', identifier: 'hyperkube', pid: 3381926 });
      break;
    case 'conmon':
      Object.assign(base, { unit: `crio-conmon-${'f'.repeat(64)}.scope`, identifier: 'conmon', transport: 'syslog', pid: 48290 });
      break;
    case 'kernel':
      Object.assign(base, { identifier: 'kernel', transport: 'kernel', pid: null, streamId: null });
      break;
    case 'systemd':
      Object.assign(base, { unit: 'crio.service', identifier: 'systemd', transport: 'journal', pid: 1 });
      break;
  }
  return { ...base, ...extra };
}

const crio = (level: string, msg: string, fields = '', ts = '2025-11-28T10:15:00.671823211Z'): string =>
  `time="${ts}" level=${level} msg=${msg}${fields ? ' ' + fields : ''}`;

interface Example {
  source: EventSource | 'hyperkube';
  lines: string[];
  expect: Partial<Event>;
  extra?: Partial<JournalEntry>;
}

const EX: Record<string, Example> = {
  A1: {
    source: 'crio',
    lines: [crio('info', `"Stopping container: ${CID} (timeout: 86400s)"`, 'id=58934133-0c52-4748-9317-a9f602d02a76 name=/runtime.v1.RuntimeService/StopContainer', '2026-02-09T00:04:06.051104079Z')],
    expect: { kind: 'stop-requested', containerId: CID, gracePeriodS: 86400, level: 'info' },
  },
  A2: {
    source: 'crio',
    lines: [crio('info', `"Stopped container ${CID}: browsers-cookie-scanning/session-agent-59b4d6bd55-jfcfv/nginx"`, 'id=efcc4da9 name=/runtime.v1.RuntimeService/StopContainer', '2026-02-09T00:04:06.75109753Z')],
    expect: { kind: 'stopped-weak', containerId: CID, namespace: 'browsers-cookie-scanning', pod: 'session-agent-59b4d6bd55-jfcfv', container: 'nginx' },
  },
  A3: {
    source: 'crio',
    lines: [crio('warning', `"Stopping container ${CID} with stop signal(15) timed out. Killing..."`)],
    expect: { kind: 'stop-timeout', containerId: CID, signal: '15' },
  },
  "A3'": {
    source: 'crio',
    lines: [crio('warning', `"Stopping container ${CID} with stop signal timed out. Killing..."`, '', '2024-09-02 10:15:00.631835119Z')],
    expect: { kind: 'stop-timeout', containerId: CID },
  },
  "A3''": {
    source: 'crio',
    lines: [crio('warning', `"Stopping container ${CID} with stop signal timed out. Killing"`, '', '2023-12-01 10:15:00.631835119Z')],
    expect: { kind: 'stop-timeout', containerId: CID },
  },
  "A3'''": {
    source: 'crio',
    lines: [crio('warning', `"Stopping container ${CID} with stop signal timed out: timeout reached after 30 seconds waiting for container process to exit"`, 'id=x name=/runtime.v1.RuntimeService/StopContainer', '2022-12-09 10:15:00.631835119Z')],
    expect: { kind: 'stop-timeout', containerId: CID },
  },
  A4: {
    source: 'crio',
    lines: [
      crio(
        'error',
        `"Killing container ${CID} failed: \`/usr/bin/nvidia-container-runtime --root /run/runc --systemd-cgroup kill ${CID} KILL\` failed: time=\\"2025-11-28T10:15:00Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1"`,
      ),
    ],
    expect: { kind: 'kill-failed', containerId: CID, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc', level: 'error' },
  },
  A5: {
    source: 'crio',
    lines: [crio('error', `"Detected process (48231) blocked in uninterruptible sleep for more than 60 seconds for container ${CID}"`)],
    expect: { kind: 'blocked-process', containerId: CID },
  },
  "A5'": {
    source: 'crio',
    lines: [crio('warning', `"Detected process (48231) in state S blocked for more than 195 seconds for container ${CID}. One of the child processes might be in uninterruptible sleep."`)],
    expect: { kind: 'blocked-process', containerId: CID },
  },
  A6: {
    source: 'crio',
    lines: [crio('error', `"Failed to unpause container k8s_trainer_llama-ft-7d9c8b5f4-x2k9q_ml-train_${UID}_0: permission denied"`)],
    expect: { kind: 'container-error', container: 'trainer', pod: 'llama-ft-7d9c8b5f4-x2k9q', namespace: 'ml-train', podUID: UID },
  },
  A7: {
    source: 'crio',
    lines: [crio('error', `"Failed to unmount container ${CID2}: device or resource busy"`, 'id=17fc695a name=/runtime.v1.RuntimeService/StopContainer')],
    expect: { kind: 'container-error', containerId: CID2 },
  },
  A7n: {
    source: 'crio',
    lines: [crio('warning', `"NRI stop container request of ${CID2} failed: plugin timeout"`)],
    expect: { kind: 'container-error', containerId: CID2 },
  },
  A7w: {
    source: 'crio',
    lines: [crio('warning', `"Unable to write containers ${CID2} state to disk: no space left on device"`)],
    expect: { kind: 'container-error', containerId: CID2 },
  },
  A8: {
    source: 'crio',
    lines: [crio('info', `"Stopping pod sandbox: ${SID}"`, 'id=a663cf12 name=/runtime.v1.RuntimeService/StopPodSandbox', '2023-06-14 23:51:07.385586828-07:00')],
    expect: { kind: 'sandbox-stop-requested', sandboxId: SID },
  },
  A8w: {
    source: 'crio',
    lines: [crio('warning', `"Could not get sandbox ${SID}, it's probably been stopped already: not found"`)],
    expect: { kind: 'sandbox-stopped-weak', sandboxId: SID },
  },
  A9: {
    source: 'crio',
    lines: [crio('info', `"Stopped pod sandbox (already stopped): ${SID}"`, 'id=6b65a6a4 name=/runtime.v1.RuntimeService/StopPodSandbox', '2023-03-02 20:05:11.246671692Z')],
    expect: { kind: 'sandbox-stopped-weak', sandboxId: SID },
  },
  A10: {
    source: 'crio',
    lines: [crio('info', `"Deleting pod default_example-pod-2 from CNI network \\"crio\\" (type=bridge)"`, '', '2024-06-04 00:33:05.641760971+08:00')],
    expect: { kind: 'cni-delete', namespace: 'default', pod: 'example-pod-2' },
  },
  A11: {
    source: 'crio',
    lines: [crio('error', `"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to find runtime handler nvidia from runtime list map[crun:0xc000305680 runc:0xc000305980]"`)],
    expect: { kind: 'handler-missing', handler: 'nvidia', reason: 'handler_missing' },
  },
  // A12, A13: real lines from the CRI-O 1.32.13 lab (docs/crio-lab.md, test/fixtures/lab/)
  A12: {
    source: 'crio',
    lines: [crio('error', `"Failed to update container state for ${CID}: stdout: , stderr: "`, '', '2026-12-02T17:42:56.155548155Z')],
    expect: { kind: 'container-state-lost', containerId: CID, reason: 'other', level: 'error' },
  },
  A13: {
    source: 'crio',
    lines: [
      crio(
        'warning',
        `"Error updating the container status \\"${CID}\\": failed to find runtime handler nvidia from runtime list map[crun:0xc000003680 runc:0xc000003380]"`,
        '',
        '2026-12-02T17:49:29.50605033Z',
      ),
    ],
    expect: { kind: 'container-state-lost', containerId: CID, handler: 'nvidia', reason: 'handler_missing' },
  },
  P1: {
    source: 'crio',
    lines: [crio('info', `"Created container ${CID}: ${POD}/trainer"`, 'id=23b8c1e9 name=/runtime.v1.RuntimeService/CreateContainer')],
    expect: { kind: 'container-created', containerId: CID, namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q', container: 'trainer' },
  },
  P2: {
    source: 'crio',
    lines: [crio('info', '"Started container"', `PID=48231 containerID=${CID} description=${POD}/trainer id=bd9c66b3 name=/runtime.v1.RuntimeService/StartContainer sandboxID=${SID}`)],
    expect: { kind: 'container-started', containerId: CID, sandboxId: SID, namespace: 'ml-train', container: 'trainer' },
  },
  P3: {
    source: 'crio',
    lines: [crio('info', `"Ran pod sandbox ${SID} with infra container: ${POD}/POD"`, 'id=bdd640fb name=/runtime.v1.RuntimeService/RunPodSandbox')],
    expect: { kind: 'sandbox-created', sandboxId: SID, namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q' },
  },
  P4: {
    source: 'crio',
    lines: [crio('info', `"Removed container ${CID2}: ${POD}/metrics-exporter"`, 'id=1 name=/runtime.v1.RuntimeService/RemoveContainer')],
    expect: { kind: 'container-removed', containerId: CID2, container: 'metrics-exporter' },
  },
  P5: {
    source: 'crio',
    lines: [crio('info', `"Removed pod sandbox: ${SID}"`, 'id=1 name=/runtime.v1.RuntimeService/RemovePodSandbox')],
    expect: { kind: 'sandbox-removed', sandboxId: SID },
  },
  E1: {
    source: 'crio',
    lines: [crio('error', '"Unhandled Error: error executing command in container: exec: \\"/usr/bin/nvidia-smi\\": permission denied"')],
    expect: { kind: 'exec-error-crio', reason: 'permission_denied' },
  },
  D0: {
    source: 'crio',
    lines: [crio('fatal', '"validating runtime config: default_runtime set to \\"nvidia\\", but no runtime entry table [crio.runtime.runtimes.nvidia] was found"', '', '2025-11-28T09:58:02.12Z')],
    expect: { kind: 'crio-fatal', level: 'fatal' },
  },
  D1: {
    source: 'crio',
    lines: [crio('info', '"Starting CRI-O, version: 1.25.1, git: unknown(clean)"', '', '2022-12-09 09:52:01.898059007Z')],
    expect: { kind: 'crio-start', version: '1.25.1' },
  },
  D2: {
    source: 'crio',
    lines: [crio('info', '"Updating config from drop-in file: /etc/crio/crio.conf.d/99-nvidia.conf"')],
    expect: { kind: 'config-file', file: '/etc/crio/crio.conf.d/99-nvidia.conf', option: 'drop-in file' },
  },
  D3: {
    source: 'crio',
    lines: [crio('info', '"Using runtime handler NVIDIA Container Runtime version 1.17.8, commit: f202b80a9b9d0db00d9b1d73c0128c8962c55f4d, spec: 1.2.1, , runc version 1.1.12-0ubuntu3, spec: 1.0.2-dev, go: go1.22.2, libseccomp: 2.5.5"')],
    expect: { kind: 'runtime-handler' },
  },
  D3e: {
    source: 'crio',
    lines: [crio('error', '"Unable to determine version of runtime handler \\"nvidia\\": exit status 1"')],
    expect: { kind: 'runtime-handler-error', handler: 'nvidia' },
  },
  D3g: {
    source: 'crio',
    lines: [crio('error', '"Getting /usr/bin/crun OCI runtime features failed: exit status 1: unknown command"', '', '2026-11-28 21:52:12.6Z')],
    expect: { kind: 'runtime-handler-error', handler: '/usr/bin/crun' },
  },
  D4: {
    source: 'crio',
    lines: [crio('warning', `"Runtime handler \\"nvidia\\" is being ignored due to: invalid runtime_path for runtime 'nvidia': stat /usr/bin/nvidia-container-runtime: no such file or directory"`)],
    expect: { kind: 'handler-ignored', handler: 'nvidia' },
  },
  D5: {
    source: 'crio',
    lines: [crio('debug', '"Defaulting to \\"crun\\" as the runtime since default_runtime is not set"', 'file="config/config.go:1220"')],
    expect: { kind: 'default-builtin', value: 'crun', level: 'debug' },
  },
  D6: {
    source: 'crio',
    lines: [
      crio(
        'info',
        '"Current CRI-O configuration:\\n[crio]\\n  root = \\"/var/lib/containers/storage\\"\\n  [crio.runtime]\\n    default_runtime = \\"nvidia\\"\\n    [crio.runtime.runtimes]\\n      [crio.runtime.runtimes.nvidia]\\n        runtime_path = \\"/usr/bin/nvidia-container-runtime\\"\\n      [crio.runtime.runtimes.runc]\\n        runtime_path = \\"/usr/sbin/runc\\"\\n"',
      ),
    ],
    expect: { kind: 'config-dump', value: 'nvidia', handler: 'nvidia,runc' },
  },
  D7: {
    source: 'crio',
    lines: [crio('info', '"FLAG: --default-runtime=\\"nvidia\\"\\n"')],
    expect: { kind: 'default-flag', value: 'nvidia' },
  },
  D8: { source: 'crio', lines: [crio('info', '"Registered SIGHUP reload watcher"')], expect: { kind: 'reload-watcher' } },
  D8ok: { source: 'crio', lines: [crio('info', '"Configuration reload completed"')], expect: { kind: 'reload-done' } },
  D8err: {
    source: 'crio',
    lines: [crio('error', '"Unable to reload configuration: unable to reload runtimes: default_runtime set to \\"nvidia\\", but no runtime entry table [crio.runtime.runtimes.nvidia] was found"')],
    expect: { kind: 'reload-failed', level: 'error' },
  },
  D9: { source: 'crio', lines: [crio('info', '"Reloading configuration"')], expect: { kind: 'reload-start' } },
  D10: { source: 'crio', lines: [crio('info', '"Set config default_runtime to \\"crun\\""')], expect: { kind: 'config-set', option: 'default_runtime', value: 'crun' } },
  D11: { source: 'crio', lines: [crio('info', '"Updating runtime configuration"')], expect: { kind: 'runtimes-updated' } },
  D13: { source: 'crio', lines: [crio('info', '"Node configuration value for hugetlb cgroup is true"', '', '2022-12-09 09:52:01.903968081Z')], expect: { kind: 'node-config' } },
  D12: { source: 'systemd', lines: ['Reloading crio.service - Container Runtime Interface for OCI (CRI-O)...'], expect: { kind: 'systemd-reload', option: 'Reloading' } },
  M1: {
    source: 'conmon',
    lines: ['conmon 177a7ea3611fe6b13855 <ninfo>: container 48302 exited with status 143'],
    extra: { unit: `crio-conmon-${CID2}.scope` },
    expect: { kind: 'container-exited', containerId: CID2, exitCode: 143 },
  },
  K1: {
    source: 'kernel',
    lines: ['audit: type=1400 audit(1764324900.123:456): apparmor="DENIED" operation="signal" class="signal" profile="crio-default" pid=48231 comm="runc" requested_mask="receive" denied_mask="receive" signal=kill peer="runc"'],
    expect: { kind: 'apparmor-denied', operation: 'signal', profile: 'crio-default', comm: 'runc', peer: 'runc', signal: 'kill' },
  },
  B1: {
    source: 'kubelet',
    lines: [
      `I1128 10:14:30.612281    2211 kuberuntime_container.go:809] "Killing container with a grace period override" pod="${POD}" podUID="${UID}" containerName="trainer" containerID="cri-o://${CID}" gracePeriod=0`,
    ],
    expect: { kind: 'stop-requested', containerId: CID, namespace: 'ml-train', podUID: UID, container: 'trainer', gracePeriodS: 0, level: 'I' },
  },
  B2: {
    source: 'kubelet',
    lines: [
      `E1120 06:50:36.124233    3828 kuberuntime_container.go:784] "Container termination failed with gracePeriod" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" pod="hbt/hbt-cronjob-x-28867922-nh7sp" podUID="1db2521d-ce5b-4cf9-94c8-b6cdf7450e4c" containerName="x-test" containerID="containerd://60d9681fc1f51cca1dd96c6694b145587c0a0ebd1faea39eed9eb209634bba9e" gracePeriod=30`,
    ],
    expect: { kind: 'kubelet-kill-failed', containerId: '60d9681fc1f51cca1dd96c6694b145587c0a0ebd1faea39eed9eb209634bba9e', reason: 'deadline_exceeded', pod: 'hbt-cronjob-x-28867922-nh7sp', gracePeriodS: 30 },
  },
  B2L: {
    source: 'kubelet',
    lines: [`E1008 16:42:17.288553    1636 kuberuntime_container.go:652] Container "cri-o://${CID}" termination failed with gracePeriod 30: rpc error: code = DeadlineExceeded desc = context deadline exceeded`],
    expect: { kind: 'kubelet-kill-failed', containerId: CID, reason: 'deadline_exceeded', gracePeriodS: 30 },
  },
  B3: {
    source: 'kubelet',
    lines: [`I1128 10:14:31.631200    2211 kuberuntime_container.go:815] "Container exited normally" pod="${POD}" podUID="${UID}" containerName="metrics-exporter" containerID="cri-o://${CID2}"`],
    expect: { kind: 'container-exited', containerId: CID2, container: 'metrics-exporter' },
  },
  B4: {
    source: 'kubelet',
    lines: [
      `E1128 10:17:00.651540    2211 kuberuntime_container.go:860] "Kill container failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" pod="${POD}" podUID="${UID}" containerName="trainer" containerID={"Type":"cri-o","ID":"${CID}"}`,
    ],
    expect: { kind: 'kubelet-kill-failed', containerId: CID, reason: 'deadline_exceeded', container: 'trainer' },
  },
  B5: {
    source: 'kubelet',
    lines: [
      `E1113 07:54:19.636900    2757 kuberuntime_manager.go:1100] "killContainer for pod failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerName="solace" containerID={"Type":"cri-o","ID":"${CID}"} pod="solace-caas-uat/kilo-production-d3no7i2udi8-solace-monitor-0"`,
    ],
    expect: { kind: 'kubelet-kill-failed', containerId: CID, container: 'solace', namespace: 'solace-caas-uat' },
  },
  B6: {
    source: 'kubelet',
    lines: [`E1128 10:19:00.681180    2211 kuberuntime_manager.go:1506] "Failed to stop sandbox" podSandboxID={"Type":"cri-o","ID":"${SID}"}`],
    expect: { kind: 'sandbox-kill-failed', sandboxId: SID },
  },
  B6L: {
    source: 'kubelet',
    lines: ['E0629 18:07:36.293591   96594 kuberuntime_manager.go:923] Failed to stop sandbox {"cri-o" "5b457b6bb989b9aad8157831100599811765823793722e7ab0c3b42cb8b31607"}'],
    expect: { kind: 'sandbox-kill-failed', sandboxId: '5b457b6bb989b9aad8157831100599811765823793722e7ab0c3b42cb8b31607' },
  },
  B7: {
    source: 'kubelet',
    lines: [`E1120 06:50:36.124178    3828 remote_runtime.go:366] "StopContainer from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="${CID}"`],
    expect: { kind: 'stop-rpc-failed', rpc: 'StopContainer', containerId: CID, reason: 'deadline_exceeded', level: 'E' },
  },
  B7L: {
    source: 'kubelet',
    lines: [`E1008 16:42:17.288674    1636 remote_runtime.go:243] StopContainer "${CID}" from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded`],
    expect: { kind: 'stop-rpc-failed', rpc: 'StopContainer', containerId: CID, reason: 'deadline_exceeded' },
  },
  B8: {
    source: 'kubelet',
    lines: [`E1126 17:31:49.900799    2098 remote_runtime.go:144] "StopPodSandbox from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" podSandboxID="${SID}"`],
    expect: { kind: 'stop-rpc-failed', rpc: 'StopPodSandbox', sandboxId: SID },
  },
  B8L: {
    source: 'kubelet',
    lines: [`E1126 17:31:49.900799    2098 remote_runtime.go:144] StopPodSandbox "${SID}" from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded`],
    expect: { kind: 'stop-rpc-failed', rpc: 'StopPodSandbox', sandboxId: SID },
  },
  B10: {
    source: 'kubelet',
    lines: [
      `E1128 10:19:00.681301    2211 kubelet.go:2140] "Unhandled Error" err="[failed to \\"KillContainer\\" for \\"trainer\\" with KillContainerError: \\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\\", failed to \\"KillPodSandbox\\" for \\"${UID}\\" with KillPodSandboxError: \\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\\"]" logger="UnhandledError"`,
    ],
    expect: { kind: 'pod-sync-error', duplicate: true, reason: 'deadline_exceeded' },
  },
  B10L: {
    source: 'kubelet',
    lines: [`E1128 10:19:00.681301    2211 kubelet.go:1980] failed to "KillContainer" for "trainer" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"`],
    expect: { kind: 'pod-sync-error', duplicate: true },
  },
  B9L: {
    source: 'kubelet',
    lines: [
      'E0629 18:07:36.293628   96594 kubelet_pods.go:1246] Failed killing the pod "pod-sandbox-pvc-ceph-blockdevice": failed to "KillPodSandbox" for "75480abb-8381-4be9-8667-a8cf82e1bd8f" with KillPodSandboxError: "rpc error: code = Unknown desc = failed to stop infra container for pod sandbox a8f76296ed2a95487acbbb7d284d38c76ed0f3ae8d2f71a638dede2c5a6d404f: failed to stop container k8s_POD_pod-sandbox-pvc-ceph-blockdevice_default_75480abb-8381-4be9-8667-a8cf82e1bd8f_0: ttrpc: closed: unknown"',
    ],
    expect: { kind: 'pod-sync-error', pod: 'pod-sandbox-pvc-ceph-blockdevice', reason: 'other' },
  },
  B11: {
    source: 'kubelet',
    lines: [
      `E1113 07:54:19.636989    2757 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"KillContainer\\" for \\"solace\\" with KillContainerError: \\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\\"" pod="solace-caas-uat/kilo-production-d3no7i2udi8-solace-monitor-0" podUID="7ce7a058-655b-422a-9d60-e37797eeaaee"`,
    ],
    expect: { kind: 'pod-sync-error', namespace: 'solace-caas-uat', podUID: '7ce7a058-655b-422a-9d60-e37797eeaaee', reason: 'deadline_exceeded' },
  },
  B11L: {
    source: 'kubelet',
    lines: [
      'E1008 16:43:11.974254    1636 pod_workers.go:191] Error syncing pod 572a81cb-8924-4858-bf87-4b534117d377 ("lil-upload-87f9547cf-htvnl_europrod(572a81cb-8924-4858-bf87-4b534117d377)"), skipping: error killing pod: failed to "KillContainer" for "lil-upload" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"',
    ],
    expect: { kind: 'pod-sync-error', namespace: 'europrod', pod: 'lil-upload-87f9547cf-htvnl', podUID: '572a81cb-8924-4858-bf87-4b534117d377' },
  },
  B12d: {
    source: 'kubelet',
    lines: [`I1128 10:14:30.611802    2211 kubelet.go:2530] "SyncLoop DELETE" source="api" pods=["${POD}"]`],
    expect: { kind: 'pod-deleted', namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q' },
  },
  B12r: {
    source: 'kubelet',
    lines: [`I1128 10:40:30.611802    2211 kubelet.go:2530] "SyncLoop REMOVE" source="api" pods=["${POD}"]`],
    expect: { kind: 'sandbox-removed', namespace: 'ml-train' },
  },
  B12p: {
    source: 'kubelet',
    lines: [`I1128 10:14:31.631002    2211 kubelet.go:2542] "SyncLoop (PLEG): event for pod" pod="${POD}" event={"ID":"${UID}","Type":"ContainerDied","Data":"${CID2}"}`],
    expect: { kind: 'container-exited', containerId: CID2, podUID: UID },
  },
  B13: {
    source: 'kubelet',
    lines: [`I1129 18:20:18.668292    2775 generic.go:334] "Generic (PLEG): container finished" podID="5da5612b-9738-493c-af51-a213072997f6" containerID="${CID}" exitCode=0`],
    expect: { kind: 'container-exited', containerId: CID, exitCode: 0, podUID: '5da5612b-9738-493c-af51-a213072997f6' },
  },
  B14: {
    source: 'kubelet',
    lines: [`E1126 17:29:38.193412    2098 kuberuntime_manager.go:1003] "PodSandboxStatus of sandbox for pod" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" podSandboxID="${SID}" pod="cattle-system/cattle-cluster-agent-8454887c89-6b5hb"`],
    expect: { kind: 'pod-status-failed', sandboxId: SID, namespace: 'cattle-system' },
  },
  A11k: {
    source: 'kubelet',
    lines: [
      `E1128 10:00:00.000000    2211 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to find runtime handler nvidia from runtime list map[crun:0xc000305680 runc:0xc000305980]" pod="gpu/job-1"`,
    ],
    expect: { kind: 'handler-missing', handler: 'nvidia', namespace: 'gpu', pod: 'job-1' },
  },
  C1: {
    source: 'kubelet',
    lines: [
      'E1128 10:12:01.540522    2211 log.go:32] "ExecSync cmd from runtime service failed" err=<',
      '\trpc error: code = Unknown desc = command error: time="2025-11-28T10:12:01Z" level=error msg="exec failed: unable to start container process: exec: \\"/usr/bin/nvidia-smi\\": permission denied"',
      '\t, stdout: , stderr: , exit code -1',
      ` > containerID="${CID}" cmd=["/usr/bin/nvidia-smi","-L"]`,
    ],
    expect: { kind: 'exec-failed', containerId: CID, reason: 'permission_denied', option: '["/usr/bin/nvidia-smi","-L"]' },
  },
  C1L: {
    source: 'kubelet',
    lines: [`E1202 13:06:06.257580   17325 remote_runtime.go:734] ExecSync ${CID} 'cat /tmp/healthy' from runtime service failed: rpc error: code = Unknown desc = command error: exec failed: unable to start container process: exec: "cat": permission denied`],
    expect: { kind: 'exec-failed', containerId: CID, reason: 'permission_denied' },
  },
  C2: {
    source: 'hyperkube',
    lines: [
      `E0623 14:08:28.608550 3381926 prober.go:104] "Probe errored" err="rpc error: code = NotFound desc = container is not created or running: checking if PID of c4743be5a13d8787a72acb82642057c03a9fd076dbfb36809fef960f287b1b29 is running failed: open /proc/2563009/stat: no such file or directory: container process not found" probeType="Liveness" pod="ccos-ingress/router-default-8d89fcb6d-pf8tx" podUID="913720ce-6f30-4612-8ba0-d451dc991303" containerName="router"`,
    ],
    expect: { kind: 'probe-errored', namespace: 'ccos-ingress', container: 'router', option: 'Liveness', reason: 'no_such_process' },
  },
};

function classifyLines(ex: Example): (Event | null)[] {
  const c = createClassifier();
  return ex.lines.map((l) => c.classify(entry(ex.source, l, ex.extra)));
}

describe('pattern catalogue', () => {
  it('has an example for every row and no example without a row', () => {
    const ids = PATTERNS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !(id in EX))).toEqual([]);
    expect(Object.keys(EX).filter((id) => !ids.includes(id))).toEqual([]);
  });

  for (const [id, ex] of Object.entries(EX)) {
    it(`row ${id} classifies its example`, () => {
      const out = classifyLines(ex);
      // multi-line records yield their event on the last entry only
      expect(out.slice(0, -1).every((e) => e === null)).toBe(true);
      const ev = out[out.length - 1];
      expect(ev, `row ${id}`).not.toBeNull();
      expect(ev!.pattern).toBe(id);
      expect(ev).toMatchObject(ex.expect);
    });
  }

  it('every row declares a prefilter that its example contains', () => {
    for (const row of PATTERNS) {
      const ex = EX[row.id]!;
      expect(ex.lines.join('\n').replace(/\\"/g, '"'), row.id).toContain(row.prefilter.replace(/\\"/g, '"'));
    }
  });
});

describe('byte-level message prefilter (journal parsers\' wantMessage)', () => {
  const want = createMessagePrefilter();
  it('keeps every line of every catalogue example', () => {
    for (const [id, ex] of Object.entries(EX)) for (const l of ex.lines) expect(want(Buffer.from(l)), `${id}: ${l.slice(0, 60)}`).toBe(true);
  });

  it('drops CRI-O and kubelet info lines no row can use, keeps what it cannot recognise', () => {
    expect(want(Buffer.from('time="2025-11-28 10:15:00.671823211Z" level=info msg="Checking image status: registry.k8s.io/pause:3.9" id=1 name=/runtime.v1.ImageService/ImageStatus'))).toBe(false);
    expect(want(Buffer.from('I1128 10:15:00.671823    2211 kubelet_getters.go:218] "Pod status updated" pod="ns/p1" status="Running"'))).toBe(false);
    // error records pass when they carry a catch-all row's text (a missing handler), fatal ones always
    expect(want(Buffer.from('time="2025-11-28T10:15:00Z" level=error msg="Anything at all"'))).toBe(false);
    expect(want(Buffer.from('time="2025-11-28T10:15:00Z" level=error msg="x: failed to find runtime handler nvidia from runtime list map[]"'))).toBe(true);
    expect(want(Buffer.from('time="2025-11-28T10:15:00Z" level=fatal msg="anything"'))).toBe(true);
    expect(want(Buffer.from('E1128 10:15:00.671823    2211 x.go:1] "Anything" err="x"'))).toBe(false);
    // an info header that opens a multi-line block passes so the joiner stays in step
    expect(want(Buffer.from('I1128 10:15:00.671823    2211 x.go:1] "Something" err=<'))).toBe(true);
    expect(want(Buffer.from('{"MESSAGE":"whole json line"}'))).toBe(true);
    expect(want(Buffer.from('Jun 14 23:51:07 appserv51 crio[3673640]: time="x" level=info msg="y"'))).toBe(true);
    // other units' messages and kubelet lines whose first word is shared with a row but not its text
    expect(want(Buffer.from('device 0000:3b:00.0 - persistence mode enabled.'))).toBe(false);
    expect(want(Buffer.from('I1128 10:15:00.671823    2211 kubelet.go:2470] "SyncLoop UPDATE" source="api" pods=["ns/p"]'))).toBe(false);
    expect(want(Buffer.from('W1128 10:15:00.671823    2211 cadvisor_stats_provider.go:1] "Partial failure issuing cadvisor.ContainerInfoV2"'))).toBe(false);
    expect(want(Buffer.from('E1128 10:15:00.671823    2211 kubelet.go:1] [failed to "KillContainer" for "a" with KillContainerError: "x", failed to "KillPodSandbox" for "u" with KillPodSandboxError: "y"]'))).toBe(true);
    expect(want(Buffer.from('E1128 10:15:00.671823    2211 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="failed to find runtime handler nvidia from runtime list map[]"'))).toBe(true);
    expect(want(Buffer.from('2025-11-28T10:15:00.1+00:00 host crio[1]: time="x" level=info msg="Checking image status"'))).toBe(true);
  });
});

describe('CRI-O 1.32.13 lab line shapes (docs/crio-lab.md)', () => {
  it('a kill through a runtime with no state for the container is state_missing, not a gone process', () => {
    // crun driven against a runc container (scenario c) and runc under another root (scenario d), verbatim
    expect(reasonOf(`\`/tmp/labc/bin/nvidia-container-runtime --root /run/crun kill ${CID} KILL\` failed: error opening file \`/run/crun/${CID}/status\`: No such file or directory\n : exit status 1`)).toBe('state_missing');
    expect(reasonOf(`\`/tmp/labd/bin/nvidia-container-runtime --root /run/other kill ${CID} KILL\` failed: time="2026-12-02T17:48:51Z" level=error msg="container does not exist"\n : exit status 1`)).toBe('state_missing');
    expect(reasonOf('kill: no such process')).toBe('no_such_process');
  });

  it('a short ID echoed from crictl resolves to the full ID seen before', () => {
    const c = createClassifier();
    c.classify(entry('crio', crio('info', `"Created container ${CID}: lab/p1/main"`, 'id=ea85c7e1 name=/runtime.v1.RuntimeService/CreateContainer')));
    const ev = c.classify(entry('crio', crio('info', `"Stopping container: ${CID.slice(0, 13)} (timeout: 0s)"`, 'id=4a23afa0 name=/runtime.v1.RuntimeService/StopContainer')));
    expect(ev).toMatchObject({ kind: 'stop-requested', containerId: CID, gracePeriodS: 0 });
    // unknown prefix: kept as given
    const other = c.classify(entry('crio', crio('info', `"Stopping container: ${CID2.slice(0, 13)} (timeout: 0s)"`)));
    expect(other!.containerId).toBe(CID2.slice(0, 13));
  });
});

describe('confounders and traps (log-formats.md §11)', () => {
  it('permission denied in a create error is neither a stop nor an exec failure', () => {
    const c = createClassifier();
    const ev = c.classify(
      entry(
        'crio',
        crio('error', '"Container creation error: runc create failed: unable to start container process: exec: \\"/bin/prometheus-config-reloader\\": permission denied"', 'id=1 name=/runtime.v1.RuntimeService/CreateContainer'),
      ),
    );
    expect(ev).toBeNull();
  });

  it('A3 alone is a stop timeout, not a kill failure', () => {
    const ev = classifyLines(EX.A3!)[0]!;
    expect(ev.kind).toBe('stop-timeout');
    expect(ev.reason).toBeUndefined();
  });

  it('strings that do not exist are not invented', () => {
    const c = createClassifier();
    expect(c.classify(entry('kubelet', `E1128 10:00:00.000000    2211 remote_runtime.go:1] "KillContainer from runtime service failed" containerID="${CID}"`))).toBeNull();
    expect(c.classify(entry('crio', crio('info', '"Using default runtime handler nvidia"')))).toBeNull();
  });

  it('the single-line ExecSync form (no newline in the error) is one record too', () => {
    const c = createClassifier();
    const ev = c.classify(
      entry(
        'kubelet',
        `E1202 13:06:06.257580   17325 remote_runtime.go:734] "ExecSync cmd from runtime service failed" err="rpc error: code = Unknown desc = command error: EOF, stdout: , stderr: , exit code -1" containerID="${CID}" cmd=[cat /tmp/healthy]`,
      ),
    );
    expect(ev).toMatchObject({ kind: 'exec-failed', pattern: 'C1', containerId: CID, reason: 'other', option: '[cat /tmp/healthy]' });
  });

  it('klog Probe errored verdicts are classified apart from exec attempts', () => {
    const ev = classifyLines(EX.C2!)[0]!;
    expect(ev.kind).toBe('probe-errored');
  });

  it('PRIORITY does not matter: the level comes from the line', () => {
    const ev = classifyLines(EX.A4!)[0]!;
    expect(ev.level).toBe('error');
  });

  it('CRI-O timestamps before and after 1.32 and bare msg values parse alike', () => {
    const c = createClassifier();
    for (const ts of ['2024-09-02 10:15:00.631835119Z', '2026-02-09T00:04:06.05110407Z', '2021-06-29T18:16:10+02:00', '2023-06-14 23:50:37.383837278-07:00']) {
      const ev = c.classify(entry('crio', crio('info', `"Stopping pod sandbox: ${SID}"`, '', ts)));
      expect(ev?.kind).toBe('sandbox-stop-requested');
    }
    const bare = c.classify(entry('crio', 'time="2025-01-01T00:00:00Z" level=info msg=Reloading'));
    expect(bare).toBeNull();
  });

  it('routes by identifier when the unit is missing, and by content for envelope-less lines', () => {
    const c = createClassifier();
    const k = c.classify({ ...entry('kubelet', EX.B7!.lines[0]!), unit: null, identifier: 'kubenswrapper' });
    expect(k?.kind).toBe('stop-rpc-failed');
    const bare = c.classify({ ...entry('crio', EX.A8!.lines[0]!), unit: null, identifier: null });
    expect(bare?.kind).toBe('sandbox-stop-requested');
    const noise = c.classify(entry('crio', 'some random daemon line'));
    expect(noise).toBeNull();
  });

  it('resolves a conmon 20-hex prefix through lines that named the full ID', () => {
    const c = createClassifier();
    const conmon = (id20: string): JournalEntry => ({ ...entry('conmon', `conmon ${id20} <ninfo>: container 48302 exited with status 137`), unit: 'crio.service' });
    // unknown yet: kept as a prefix
    const before = c.classify(conmon(CID.slice(0, 20)));
    expect(before?.containerPrefix).toBe(CID.slice(0, 20));
    expect(before?.containerId).toBeUndefined();
    c.classify(entry('crio', EX.A1!.lines[0]!));
    const after = c.classify(conmon(CID.slice(0, 20)));
    expect(after?.containerId).toBe(CID);
    expect(c.stats().unresolvedPrefixes).toBe(1);
  });
});

describe('helpers', () => {
  it('normalises every container ID form', () => {
    expect(normalizeContainerId(`cri-o://${CID}`)).toBe(CID);
    expect(normalizeContainerId(`{"Type":"cri-o","ID":"${CID}"}`)).toBe(CID);
    expect(normalizeContainerId(`{"cri-o" "${CID}"}`)).toBe(CID);
    expect(normalizeContainerId(CID)).toBe(CID);
    expect(normalizeContainerId('cri-o://abc')).toBeUndefined();
    expect(normalizeContainerId(undefined)).toBeUndefined();
  });

  it('classifies failure reasons', () => {
    expect(reasonOf('unable to signal init: permission denied')).toBe('permission_denied');
    expect(reasonOf('container_linux.go:392: signaling init process caused "permission denied"')).toBe('permission_denied');
    expect(reasonOf('failed to kill process: operation not permitted')).toBe('permission_denied');
    expect(reasonOf('rpc error: code = DeadlineExceeded desc = context deadline exceeded')).toBe('deadline_exceeded');
    expect(reasonOf('failed to find runtime handler nvidia from runtime list map[]')).toBe('handler_missing');
    expect(reasonOf('open pidfd: No such process')).toBe('no_such_process');
    expect(reasonOf('ttrpc: closed')).toBe('other');
  });

  it('parses the B9 aggregate with one and with two errors', () => {
    expect(parseSyncActions('failed to "KillContainer" for "trainer" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"')).toEqual([
      { action: 'KillContainer', target: 'trainer', reason: 'deadline_exceeded' },
    ]);
    const two = parseSyncActions(
      `[failed to \\"KillContainer\\" for \\"fvtt\\" with KillContainerError: \\"unable to signal init: permission denied\\", failed to \\"KillPodSandbox\\" for \\"${UID}\\" with KillPodSandboxError: \\"rpc error: code = DeadlineExceeded desc = x\\"]`,
    );
    expect(two.map((a) => [a.action, a.target, a.reason])).toEqual([
      ['KillContainer', 'fvtt', 'permission_denied'],
      ['KillPodSandbox', UID, 'deadline_exceeded'],
    ]);
  });
});
