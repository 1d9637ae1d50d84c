/**
 * Deterministic generator of realistic CRI-O GPU-node journals for the benchmarks.
 *
 * Mostly noise (kubelet and CRI-O info chatter, conmon, other units, kernel lines, a few
 * multi-line / coloured / invalid-UTF-8 messages that the export format stores as binary fields),
 * container lifecycles with many distinct container IDs, and incident bursts: kill-failure loops
 * through the NVIDIA wrapper, kubelet StopContainer DeadlineExceeded, 4-entry ExecSync
 * permission-denied records, reloads that change the default runtime, AppArmor denials,
 * missing runtime handlers. Message texts follow the formats in log-formats.md §4–§10.
 *
 * Output: journal export format, JSON lines (as `journalctl -o json` prints them), a real
 * `.journal` file through systemd-journal-remote, or JournalEntry objects in process.
 * Everything is streamed; memory does not grow with the number of entries.
 *
 *   node dist/bench/generate.js --entries 1000000 --format export|json|journal --out PATH
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import type { JournalEntry } from '../src/journal/entry.js';
import { createPrng, idHex, uuidFrom } from './prng.js';

// ------------------------------------------------------------------ options and entries

export interface GenOptions {
  /** number of journal entries to produce */
  entries: number;
  seed?: number;
  /** distinct container IDs over the whole stream (default entries / 50) */
  containers?: number;
  /** realtime of the last entry in µs since the epoch (default: now - 2 s); must be <= now for journal files */
  endUs?: number;
  /** mean spacing of entries in µs (default 36 ms: 1 M entries cover 10 h) */
  stepUs?: number;
  /** mean number of entries between two incidents (default 5000) */
  incidentEvery?: number;
  /** containers alive at once (default 512) */
  liveContainers?: number;
}

/** Static journal fields of one writer of log lines. */
export interface Emitter {
  name: string;
  unit: string | null;
  identifier: string;
  transport: string;
  comm: string | null;
  streamId: string | null;
  /** pre-rendered trusted/static fields, export text form (each "NAME=value\n") */
  staticText: string;
  /** the same as JSON members (',"NAME":"value"' …) */
  staticJson: string;
}

export interface GenEntry {
  realtimeUs: number;
  monotonicUs: number;
  emitter: Emitter;
  pid: number | null;
  /** per-entry unit (conmon scopes), overrides the emitter's */
  unit: string | null;
  /** string (valid Unicode) or raw bytes (invalid UTF-8) */
  message: string | Buffer;
}

export const BOOT_ID = '5e1d0c9b7a4f4e2c8d3b6a1f0e9c8d7b';
export const MACHINE_ID = '8c2f1e7d6b5a4c3e9f0a1b2c3d4e5f60';
export const HOSTNAME = 'gpu-node-07';
const CRIO_PID = 1873;
const KUBELET_PID = 2211;
const NVIDIA_RUNTIME = '/usr/bin/nvidia-container-runtime';

function jsonStr(s: string): string {
  return JSON.stringify(s);
}

/** An emitter's static fields (also used by bench/vs-npd.ts for the other units of a mixed journal). */
export function emitter(name: string, f: {
  unit: string | null; identifier: string; transport: string; comm?: string; exe?: string; cmdline?: string;
  streamId?: string; priority?: number; facility?: number; uid?: number;
}): Emitter {
  const fields: [string, string][] = [['_TRANSPORT', f.transport]];
  if (f.streamId) fields.push(['_STREAM_ID', f.streamId]);
  fields.push(['PRIORITY', String(f.priority ?? 6)]);
  if (f.facility !== undefined) fields.push(['SYSLOG_FACILITY', String(f.facility)]);
  fields.push(['SYSLOG_IDENTIFIER', f.identifier]);
  if (f.transport !== 'kernel') {
    fields.push(['_UID', String(f.uid ?? 0)], ['_GID', String(f.uid ?? 0)]);
    if (f.comm) fields.push(['_COMM', f.comm]);
    if (f.exe) fields.push(['_EXE', f.exe]);
    if (f.cmdline) fields.push(['_CMDLINE', f.cmdline]);
    fields.push(['_CAP_EFFECTIVE', '1ffffffffff']);
  }
  if (f.unit) {
    fields.push(['_SYSTEMD_CGROUP', `/system.slice/${f.unit}`], ['_SYSTEMD_UNIT', f.unit], ['_SYSTEMD_SLICE', 'system.slice']);
    fields.push(['_SYSTEMD_INVOCATION_ID', idHex(7, 40, f.unit.length * 131 + f.unit.charCodeAt(0), 4)]);
  }
  fields.push(['_MACHINE_ID', MACHINE_ID], ['_HOSTNAME', HOSTNAME]);
  return {
    name,
    unit: f.unit,
    identifier: f.identifier,
    transport: f.transport,
    comm: f.comm ?? null,
    streamId: f.streamId ?? null,
    staticText: fields.map(([k, v]) => `${k}=${v}\n`).join(''),
    staticJson: fields.map(([k, v]) => `,${jsonStr(k)}:${jsonStr(v)}`).join(''),
  };
}

export const EMITTERS = {
  crio: emitter('crio', { unit: 'crio.service', identifier: 'crio', transport: 'stdout', comm: 'crio', exe: '/usr/bin/crio', cmdline: '/usr/bin/crio', streamId: 'a0c2b6e3d9f14b7e8c5d2f1a0b9c8d7e', facility: 3 }),
  kubelet: emitter('kubelet', {
    unit: 'kubelet.service', identifier: 'kubelet', transport: 'stdout', comm: 'kubelet', exe: '/usr/bin/kubelet',
    cmdline: '/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --container-runtime-endpoint=unix:///var/run/crio/crio.sock --v=2',
    streamId: 'f3e2d1c0b9a84f7e6d5c4b3a29180716', facility: 3,
  }),
  conmon: emitter('conmon', { unit: null, identifier: 'conmon', transport: 'syslog', comm: 'conmon', exe: '/usr/bin/conmon', facility: 3 }),
  systemd: emitter('systemd', { unit: 'init.scope', identifier: 'systemd', transport: 'journal', comm: 'systemd', exe: '/usr/lib/systemd/systemd', cmdline: '/sbin/init', facility: 3 }),
  kernel: emitter('kernel', { unit: null, identifier: 'kernel', transport: 'kernel', facility: 0 }),
  // audit records reach the kernel log through kauditd's pr_notice: PRIORITY=5 (docs/journal.md, "Selection")
  kernelAudit: emitter('kernel-audit', { unit: null, identifier: 'kernel', transport: 'kernel', facility: 0, priority: 5 }),
  sshd: emitter('sshd', { unit: 'ssh.service', identifier: 'sshd', transport: 'syslog', comm: 'sshd', exe: '/usr/sbin/sshd', cmdline: 'sshd: core [priv]', facility: 10 }),
  logind: emitter('logind', { unit: 'systemd-logind.service', identifier: 'systemd-logind', transport: 'journal', comm: 'systemd-logind', exe: '/usr/lib/systemd/systemd-logind', cmdline: '/lib/systemd/systemd-logind', facility: 4 }),
  nm: emitter('nm', { unit: 'NetworkManager.service', identifier: 'NetworkManager', transport: 'syslog', comm: 'NetworkManager', exe: '/usr/sbin/NetworkManager', cmdline: '/usr/sbin/NetworkManager --no-daemon', facility: 3 }),
  nodeExporter: emitter('node-exporter', { unit: 'prometheus-node-exporter.service', identifier: 'prometheus-node-exporter', transport: 'stdout', comm: 'prometheus-node', exe: '/usr/bin/prometheus-node-exporter', cmdline: '/usr/bin/prometheus-node-exporter', streamId: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', uid: 65534 }),
  persistenced: emitter('nvidia-persistenced', { unit: 'nvidia-persistenced.service', identifier: 'nvidia-persistenced', transport: 'syslog', comm: 'nvidia-persiste', exe: '/usr/bin/nvidia-persistenced', cmdline: '/usr/bin/nvidia-persistenced --user nvidia-persistenced', facility: 3 }),
  dcgm: emitter('dcgm-exporter', { unit: 'dcgm-exporter.service', identifier: 'dcgm-exporter', transport: 'stdout', comm: 'dcgm-exporter', exe: '/usr/bin/dcgm-exporter', cmdline: '/usr/bin/dcgm-exporter -f /etc/dcgm-exporter/default-counters.csv', streamId: '9a8b7c6d5e4f30211203f4e5d6c7b8a9' }),
  gfd: emitter('gpu-feature-discovery', { unit: 'gpu-feature-discovery.service', identifier: 'gpu-feature-discovery', transport: 'journal', comm: 'gpu-feature-dis', exe: '/usr/bin/gpu-feature-discovery', cmdline: '/usr/bin/gpu-feature-discovery', facility: 3 }),
} as const;

// ------------------------------------------------------------------ message texts

const NAMESPACES = ['ml-train', 'ml-infer', 'kube-system', 'monitoring', 'gpu-operator', 'default', 'batch', 'data'];
const APPS = ['llama-ft', 'triton', 'vllm-server', 'etl-worker', 'node-exporter', 'dcgm-exporter', 'notebook', 'feature-store', 'ray-worker', 'trainer-job'];
const MAIN_CTR = ['trainer', 'server', 'worker', 'main', 'inference'];
const SIDE_CTR = ['metrics-exporter', 'istio-proxy', 'log-shipper'];
const IMAGES = ['nvcr.io/nvidia/pytorch:24.05-py3', 'registry.k8s.io/pause:3.10', 'nvcr.io/nvidia/tritonserver:24.08-py3', 'quay.io/prometheus/node-exporter:v1.8.2', 'docker.io/library/busybox:1.36'];

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** CRI-O and klog timestamp renderers; the ISO text of the current second is cached per generator. */
function createTimeFormat(): { crioTime(us: number): string; klogHeader(sev: 'I' | 'W' | 'E', us: number, src: string): string } {
  let cachedSec = -1;
  let cachedText = '';
  const isoSecond = (sec: number): string => {
    if (sec !== cachedSec) {
      cachedSec = sec;
      cachedText = new Date(sec * 1000).toISOString().slice(0, 19); // 2025-11-28T10:15:00
    }
    return cachedText;
  };
  return {
    // ISO time with 9 fraction digits as CRI-O >= 1.32 prints it
    crioTime: (us) => `${isoSecond(Math.floor(us / 1e6))}.${String(us % 1_000_000).padStart(6, '0')}${String((us * 7) % 1000).padStart(3, '0')}Z`,
    klogHeader: (sev, us, src) => {
      const iso = isoSecond(Math.floor(us / 1e6));
      return `${sev}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 19)}.${String(us % 1_000_000).padStart(6, '0')}    ${KUBELET_PID} ${src}] `;
    },
  };
}


// ------------------------------------------------------------------ the generator

interface ContainerInfo {
  id: string;
  ns: string;
  pod: string;
  podUID: string;
  sandbox: string;
  name: string;
  pid: number;
}

export interface JournalGenerator {
  /** the next entry, or null after `entries` entries */
  next(): GenEntry | null;
  /** counts by scenario, for reports and tests */
  readonly stats: { entries: number; containers: number; killLoops: number; killFailures: number; execRecords: number; reloads: number; binary: number };
}

export function createJournalGenerator(opts: GenOptions): JournalGenerator {
  const total = Math.max(0, Math.floor(opts.entries));
  const seed = (opts.seed ?? 20260) >>> 0;
  const containers = Math.max(1, Math.floor(opts.containers ?? Math.max(1, total / 50)));
  const stepUs = opts.stepUs ?? 36_000;
  const endUs = opts.endUs ?? (Date.now() - 2000) * 1000;
  const startUs = endUs - total * stepUs;
  const bootUs = startUs - 3_600_000_000;
  const incidentEvery = opts.incidentEvery ?? 5000;
  const liveCap = opts.liveContainers ?? 512;
  const rng = createPrng(seed);
  const { crioTime, klogHeader } = createTimeFormat();
  const crioLine = (us: number, level: string, msg: string, extra = ''): string => `time="${crioTime(us)}" level=${level} msg="${msg}"${extra}`;

  const stats = { entries: 0, containers: 0, killLoops: 0, killFailures: 0, execRecords: 0, reloads: 0, binary: 0 };
  const queue: { emitter: Emitter; pid: number | null; unit?: string; msg: (us: number) => string | Buffer }[] = [];
  let qi = 0;
  const live: (number | undefined)[] = new Array(liveCap);
  let nextIncidentAt = Math.floor(incidentEvery * (0.5 + rng.next()));
  let defaultRuntime = 'nvidia';
  let reqSeq = 0;
  let auditSeq = 1000;

  const cache = new Map<number, ContainerInfo>();
  const container = (i: number): ContainerInfo => {
    const hit = cache.get(i);
    if (hit) return hit;
    if (cache.size >= 4 * liveCap) cache.clear();
    const c = makeContainer(i);
    cache.set(i, c);
    return c;
  };
  const makeContainer = (i: number): ContainerInfo => {
    const podIdx = i >> 1;
    const ns = NAMESPACES[podIdx % NAMESPACES.length] as string;
    const app = APPS[(podIdx >>> 3) % APPS.length] as string;
    const h = idHex(seed, 2, podIdx, 2);
    return {
      id: idHex(seed, 1, i, 8),
      ns,
      pod: `${app}-${h.slice(0, 9)}-${h.slice(9, 14)}`,
      podUID: uuidFrom(seed, 3, podIdx),
      sandbox: idHex(seed, 4, podIdx, 8),
      name: i & 1 ? (SIDE_CTR[podIdx % SIDE_CTR.length] as string) : (MAIN_CTR[podIdx % MAIN_CTR.length] as string),
      pid: 40_000 + (i % 2_000_000),
    };
  };
  const reqId = (): string => uuidFrom(seed, 5, reqSeq++);

  const crio = (msg: (us: number) => string): void => void queue.push({ emitter: EMITTERS.crio, pid: CRIO_PID, msg });
  const kubelet = (msg: (us: number) => string): void => void queue.push({ emitter: EMITTERS.kubelet, pid: KUBELET_PID, msg });
  const conmon = (c: ContainerInfo, text: string): void =>
    void queue.push({ emitter: EMITTERS.conmon, pid: c.pid + 7, unit: `crio-conmon-${c.id}.scope`, msg: () => `conmon ${c.id.slice(0, 20)} <ninfo>: ${text}` });

  // --- episodes
  const startup = (): void => {
    const files = ['single file: /etc/crio/crio.conf', 'path: /etc/crio/crio.conf.d', 'drop-in file: /etc/crio/crio.conf.d/10-crio.conf', 'drop-in file: /etc/crio/crio.conf.d/99-nvidia.conf'];
    for (const f of files) crio((us) => crioLine(us, 'info', `Updating config from ${f}`));
    crio((us) => crioLine(us, 'info', 'Starting CRI-O, version: 1.33.4, git: fccf9cafe23f62551c31061398d1c85c558bfcc0(clean)'));
    crio((us) => crioLine(us, 'info', 'Using runtime handler crun version 1.21, commit: 10269840aa07fb7e6b7e1acff6198692d8ff5c88, rundir: /run/crun, spec: 1.0.0, +SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +YAJL'));
    crio((us) => crioLine(us, 'info', 'Using runtime handler NVIDIA Container Runtime version 1.17.8, commit: f202b80a9b9d0db00d9b1d73c0128c8962c55f4d, spec: 1.2.1, , runc version 1.1.12-0ubuntu3, spec: 1.0.2-dev, go: go1.22.2, libseccomp: 2.5.5'));
    crio((us) => crioLine(us, 'info', 'Using runtime handler runc version 1.1.12-0ubuntu3, spec: 1.0.2-dev, go: go1.22.2, libseccomp: 2.5.5'));
    crio((us) => crioLine(us, 'info', configDump('nvidia')));
    crio((us) => crioLine(us, 'info', 'Registered SIGHUP reload watcher'));
  };

  const startContainer = (): void => {
    const i = stats.containers++;
    const slot = i % liveCap;
    const old = live[slot];
    if (old !== undefined) stopContainer(old);
    live[slot] = i;
    const c = container(i);
    const rid = reqId();
    crio((us) => crioLine(us, 'info', `Created container ${c.id}: ${c.ns}/${c.pod}/${c.name}`, ` id=${rid} name=/runtime.v1.RuntimeService/CreateContainer`));
    const rid2 = reqId();
    crio((us) => crioLine(us, 'info', 'Started container', ` PID=${c.pid} containerID=${c.id} description=${c.ns}/${c.pod}/${c.name} id=${rid2} name=/runtime.v1.RuntimeService/StartContainer sandboxID=${c.sandbox}`));
    kubelet((us) => klogHeader('I', us, 'kubelet.go:2542') + `"SyncLoop (PLEG): event for pod" pod="${c.ns}/${c.pod}" event={"ID":"${c.podUID}","Type":"ContainerStarted","Data":"${c.id}"}`);
  };

  const stopContainer = (i: number): void => {
    const c = container(i);
    const rid = reqId();
    kubelet((us) => klogHeader('I', us, 'kuberuntime_container.go:809') + `"Killing container with a grace period" pod="${c.ns}/${c.pod}" podUID="${c.podUID}" containerName="${c.name}" containerID="cri-o://${c.id}" gracePeriod=30`);
    crio((us) => crioLine(us, 'info', `Stopping container: ${c.id} (timeout: 30s)`, ` id=${rid} name=/runtime.v1.RuntimeService/StopContainer`));
    conmon(c, `container ${c.pid} exited with status 143`);
    crio((us) => crioLine(us, 'info', `Stopped container ${c.id}: ${c.ns}/${c.pod}/${c.name}`, ` id=${rid} name=/runtime.v1.RuntimeService/StopContainer`));
    kubelet((us) => klogHeader('I', us, 'generic.go:358') + `"Generic (PLEG): container finished" podID="${c.podUID}" containerID="${c.id}" exitCode=143`);
  };

  const liveContainer = (): number | undefined => {
    for (let k = 0; k < 8; k++) {
      const v = live[rng.int(liveCap)];
      if (v !== undefined) return v;
    }
    return undefined;
  };

  const killLoop = (i: number): void => {
    const c = container(i);
    stats.killLoops++;
    const rid = reqId();
    kubelet((us) => klogHeader('I', us, 'kuberuntime_container.go:809') + `"Killing container with a grace period" pod="${c.ns}/${c.pod}" podUID="${c.podUID}" containerName="${c.name}" containerID="cri-o://${c.id}" gracePeriod=30`);
    crio((us) => crioLine(us, 'info', `Stopping container: ${c.id} (timeout: 30s)`, ` id=${rid} name=/runtime.v1.RuntimeService/StopContainer`));
    crio((us) => crioLine(us, 'warning', `Stopping container ${c.id} with stop signal(15) timed out. Killing...`));
    const n = 4 + rng.int(17);
    for (let k = 0; k < n; k++) {
      stats.killFailures++;
      crio((us) => crioLine(us, 'error', `Killing container ${c.id} failed: \`${NVIDIA_RUNTIME} --root /run/runc --systemd-cgroup kill ${c.id} KILL\` failed: time=\\"${crioTime(us).slice(0, 19)}Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1`));
    }
    const dl = 'rpc error: code = DeadlineExceeded desc = context deadline exceeded';
    kubelet((us) => klogHeader('E', us, 'log.go:32') + `"StopContainer from runtime service failed" err="${dl}" containerID="${c.id}"`);
    kubelet((us) => klogHeader('E', us, 'kuberuntime_container.go:813') + `"Container termination failed with gracePeriod" err="${dl}" pod="${c.ns}/${c.pod}" podUID="${c.podUID}" containerName="${c.name}" containerID="cri-o://${c.id}" gracePeriod=30`);
    kubelet((us) => klogHeader('E', us, 'kuberuntime_container.go:860') + `"Kill container failed" err="${dl}" pod="${c.ns}/${c.pod}" podUID="${c.podUID}" containerName="${c.name}" containerID={"Type":"cri-o","ID":"${c.id}"}`);
    kubelet((us) => klogHeader('E', us, 'pod_workers.go:1301') + `"Error syncing pod, skipping" err="failed to \\"KillContainer\\" for \\"${c.name}\\" with KillContainerError: \\"${dl}\\"" pod="${c.ns}/${c.pod}" podUID="${c.podUID}"`);
    if (rng.chance(0.5)) {
      conmon(c, `container ${c.pid} exited with status 137`);
      kubelet((us) => klogHeader('I', us, 'generic.go:358') + `"Generic (PLEG): container finished" podID="${c.podUID}" containerID="${c.id}" exitCode=137`);
    }
    // the container leaves the live set: it is stuck or gone
    const slot = live.indexOf(i);
    if (slot >= 0) live[slot] = undefined;
  };

  const execLoop = (i: number): void => {
    const c = container(i);
    const periods = 2 + rng.int(5);
    const body = (us: number): string => `\trpc error: code = Unknown desc = command error: time="${crioTime(us).slice(0, 19)}Z" level=error msg="exec failed: unable to start container process: exec: \\"/usr/bin/nvidia-smi\\": permission denied"`;
    for (let p = 0; p < periods; p++) {
      for (let k = 0; k < 3; k++) {
        stats.execRecords++;
        kubelet((us) => klogHeader('E', us, 'log.go:32') + '"ExecSync cmd from runtime service failed" err=<');
        kubelet(body);
        kubelet(() => '\t, stdout: , stderr: , exit code -1');
        kubelet(() => ` > containerID="${c.id}" cmd=["/usr/bin/nvidia-smi","-L"]`);
      }
      kubelet((us) => klogHeader('E', us, 'prober.go:107') + '"Probe errored" err=<');
      kubelet(body);
      kubelet(() => '\t, stdout: , stderr: , exit code -1');
      kubelet(() => ` > probeType="Readiness" pod="${c.ns}/${c.pod}" podUID="${c.podUID}" containerName="${c.name}" probeResult="unknown"`);
    }
  };

  const reload = (): void => {
    stats.reloads++;
    defaultRuntime = defaultRuntime === 'nvidia' ? 'crun' : 'nvidia';
    const to = defaultRuntime;
    queue.push({ emitter: EMITTERS.systemd, pid: 1, msg: () => 'Reloading crio.service - Container Runtime Interface for OCI (CRI-O)...' });
    crio((us) => crioLine(us, 'info', 'Reloading configuration'));
    crio((us) => crioLine(us, 'info', 'Updating config from single file: /etc/crio/crio.conf'));
    crio((us) => crioLine(us, 'info', 'Updating config from path: /etc/crio/crio.conf.d'));
    crio((us) => crioLine(us, 'info', 'Set config pinned_images to \\"[]\\"'));
    crio((us) => crioLine(us, 'info', `Set config default_runtime to \\"${to}\\"`));
    crio((us) => crioLine(us, 'info', 'Configuration reload completed'));
    crio((us) => crioLine(us, 'info', configDump(to)));
    queue.push({ emitter: EMITTERS.systemd, pid: 1, msg: () => 'Reloaded crio.service - Container Runtime Interface for OCI (CRI-O).' });
  };

  const apparmor = (): void => {
    const seq = auditSeq++;
    queue.push({
      emitter: EMITTERS.kernelAudit, pid: null,
      msg: (us) => `audit: type=1400 audit(${Math.floor(us / 1e6)}.${String(Math.floor(us / 1000) % 1000).padStart(3, '0')}:${seq}): apparmor="DENIED" operation="signal" class="signal" profile="crio-default" pid=${40_000 + rng.int(9999)} comm="runc" requested_mask="receive" denied_mask="receive" signal=kill peer="runc"`,
    });
  };

  const handlerMissing = (i: number): void => {
    const c = container(i);
    kubelet((us) => klogHeader('E', us, 'kuberuntime_sandbox.go:72') + `"Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to find runtime handler nvidia from runtime list map[crun:0xc000305680 runc:0xc000305980]" pod="${c.ns}/${c.pod}"`);
  };

  const incident = (): void => {
    const r = rng.next();
    const i = liveContainer();
    if (i === undefined) return apparmor();
    if (r < 0.45) killLoop(i);
    else if (r < 0.85) execLoop(i);
    else if (r < 0.92) reload();
    else if (r < 0.97) apparmor();
    else handlerMissing(i);
  };

  const noise = (): void => {
    const r = rng.next();
    const i = liveContainer() ?? 0;
    const c = container(i);
    if (r < 0.30) {
      const k = rng.int(4);
      if (k === 0) kubelet((us) => klogHeader('I', us, 'kubelet.go:2566') + `"SyncLoop (probe)" probe="readiness" status="ready" pod="${c.ns}/${c.pod}"`);
      else if (k === 1) kubelet((us) => klogHeader('I', us, 'kubelet.go:2447') + `"SyncLoop UPDATE" source="api" pods=["${c.ns}/${c.pod}"]`);
      else if (k === 2) kubelet((us) => klogHeader('I', us, 'reconciler_common.go:218') + `"operationExecutor.MountVolume started for volume \\"kube-api-access-${c.podUID.slice(0, 5)}\\" (UniqueName: \\"kubernetes.io/projected/${c.podUID}-kube-api-access-${c.podUID.slice(0, 5)}\\") pod \\"${c.pod}\\" (UID: \\"${c.podUID}\\") " pod="${c.ns}/${c.pod}"`);
      else kubelet((us) => klogHeader('W', us, 'cadvisor_stats_provider.go:525') + `"Partial failure issuing cadvisor.ContainerInfoV2" err="partial failures: [\\"/kubepods.slice/kubepods-burstable.slice/crio-${c.id}.scope\\": RecentStats: unable to find data in memory cache]"`);
    } else if (r < 0.52) {
      const k = rng.int(4);
      const rid = reqId();
      if (k === 0) crio((us) => crioLine(us, 'info', `Checking image status: ${rng.pick(IMAGES)}`, ` id=${rid} name=/runtime.v1.ImageService/ImageStatus`));
      else if (k === 1) crio((us) => crioLine(us, 'info', `Running pod sandbox: ${c.ns}/${c.pod}/POD`, ` id=${rid} name=/runtime.v1.RuntimeService/RunPodSandbox`));
      else if (k === 2) crio((us) => crioLine(us, 'info', `Removed container ${c.id}: ${c.ns}/${c.pod}/${c.name}`, ` id=${rid} name=/runtime.v1.RuntimeService/RemoveContainer`));
      else crio((us) => crioLine(us, 'info', `Deleting pod ${c.ns}_${c.pod} from CNI network \\"k8s-pod-network\\" (type=calico)`));
    } else if (r < 0.60) {
      conmon(c, 'addr{sun_family=AF_UNIX, sun_path=/proc/self/fd/12/attach}');
    } else if (r < 0.70) {
      queue.push({ emitter: EMITTERS.nodeExporter, pid: 911, msg: (us) => `ts=${new Date(Math.floor(us / 1000)).toISOString()} caller=collector.go:173 level=error msg="collector failed" name=hwmon duration_seconds=0.00${rng.int(9999)} err="open /sys/class/hwmon/hwmon3/device: no such file or directory"` });
    } else if (r < 0.78) {
      const k = rng.int(3);
      if (k === 0) queue.push({ emitter: EMITTERS.sshd, pid: 30_000 + rng.int(9999), msg: () => `Accepted publickey for core from 10.0.${rng.int(255)}.${rng.int(255)} port ${1024 + rng.int(60000)} ssh2: ED25519 SHA256:pTq3JkqQy0r1mMZcM5Y3x5uFh8yX4cS2a1C9m0d7e2Q` });
      else if (k === 1) queue.push({ emitter: EMITTERS.logind, pid: 812, msg: () => `New session ${rng.int(99999)} of user jürgen.` });
      else queue.push({ emitter: EMITTERS.nm, pid: 790, msg: (us) => `<info>  [${(us / 1e6).toFixed(4)}] device (cali${c.id.slice(0, 11)}): carrier: link connected` });
    } else if (r < 0.86) {
      queue.push({ emitter: EMITTERS.kernel, pid: null, msg: () => `IPv6: ADDRCONF(NETDEV_CHANGE): cali${c.id.slice(0, 11)}: link becomes ready` });
    } else if (r < 0.955) {
      queue.push({ emitter: EMITTERS.persistenced, pid: 1500, msg: () => `device 0000:${pad2(rng.int(99))}:00.0 - persistence mode enabled.` });
    } else if (r < 0.975) {
      // ANSI-coloured line: control characters, stored as a binary field in export format
      stats.binary++;
      queue.push({ emitter: EMITTERS.dcgm, pid: 1601, msg: () => `\x1b[36mINFO\x1b[0m[${String(rng.int(9999)).padStart(4, '0')}] Pipeline starting: collecting ${10 + rng.int(40)} counters` });
    } else if (r < 0.985) {
      // multi-line value (native transport): binary field in export format, a plain string with \n in JSON
      stats.binary++;
      queue.push({ emitter: EMITTERS.gfd, pid: 1702, msg: () => `panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x${rng.int(0xffffff).toString(16)}]\n\ngoroutine 1 [running]:\nmain.(*labeler).Labels(...)\n\t/build/cmd/gpu-feature-discovery/main.go:${100 + rng.int(200)} +0x1c` });
    } else {
      // invalid UTF-8 bytes: binary in export, a byte array in JSON
      stats.binary++;
      queue.push({ emitter: EMITTERS.persistenced, pid: 1500, msg: () => Buffer.concat([Buffer.from('NVRM: GPU at PCI:0000:3b:00: GPU-serial '), Buffer.from([0xff, 0xfe, 0x41, 0xc3]), Buffer.from(' Xid 79')]) });
    }
  };

  startup();

  const refill = (): void => {
    queue.length = 0;
    qi = 0;
    const produced = stats.entries;
    if (stats.containers < containers && stats.containers <= (containers * produced) / Math.max(1, total)) startContainer();
    else if (produced >= nextIncidentAt) {
      incident();
      nextIncidentAt = produced + Math.floor(incidentEvery * (0.5 + rng.next()));
    } else noise();
  };

  return {
    stats,
    next(): GenEntry | null {
      if (stats.entries >= total) return null;
      while (qi >= queue.length) refill();
      const q = queue[qi++]!;
      const n = stats.entries++;
      const realtimeUs = startUs + n * stepUs + Math.floor(rng.next() * (stepUs / 2));
      return { realtimeUs, monotonicUs: realtimeUs - bootUs, emitter: q.emitter, pid: q.pid, unit: q.unit ?? null, message: q.msg(realtimeUs) };
    },
  };
}

/** The one-line TOML dump CRI-O logs at startup and after a reload (newlines Go-quoted as \n). */
function configDump(defaultRuntime: string): string {
  const lines = ['Current CRI-O configuration:', '[crio]', '  root = \\"/var/lib/containers/storage\\"', '  runroot = \\"/run/containers/storage\\"', '  [crio.runtime]', `    default_runtime = \\"${defaultRuntime}\\"`, '    [crio.runtime.runtimes]'];
  for (const [name, path, root] of [['crun', '/usr/bin/crun', '/run/crun'], ['nvidia', NVIDIA_RUNTIME, '/run/runc'], ['runc', '/usr/bin/runc', '/run/runc']] as const) {
    lines.push(`      [crio.runtime.runtimes.${name}]`, `        runtime_path = \\"${path}\\"`, '        runtime_type = \\"oci\\"', `        runtime_root = \\"${root}\\"`, '        monitor_path = \\"/usr/libexec/crio/conmon\\"');
  }
  for (let k = 0; k < 40; k++) lines.push(`    # option_${k} = \\"value ${k}\\"`);
  return lines.join('\\n');
}

// ------------------------------------------------------------------ encoders

/** True when the export format may carry the value as a text field (no control characters but TAB). */
function isExportText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** True when journalctl -o json prints the value as a string (printable UTF-8, LF and TAB allowed). */
function isJsonPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

function binaryField(name: string, value: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(value.length));
  return Buffer.concat([Buffer.from(name + '\n'), len, value, Buffer.from('\n')]);
}

/** One entry in journal export format, including the blank line that ends it. */
export function exportRecord(e: GenEntry): Buffer {
  let head = `__REALTIME_TIMESTAMP=${e.realtimeUs}\n__MONOTONIC_TIMESTAMP=${e.monotonicUs}\n_BOOT_ID=${BOOT_ID}\n`;
  head += e.emitter.staticText;
  if (e.pid !== null) head += `_PID=${e.pid}\n`;
  if (e.unit) head += `_SYSTEMD_CGROUP=/system.slice/${e.unit}\n_SYSTEMD_UNIT=${e.unit}\n_SYSTEMD_SLICE=system.slice\n`;
  const m = e.message;
  if (typeof m === 'string' && isExportText(m)) return Buffer.from(`${head}MESSAGE=${m}\n\n`);
  const bytes = typeof m === 'string' ? Buffer.from(m) : m;
  return Buffer.concat([Buffer.from(head), binaryField('MESSAGE', bytes), Buffer.from('\n')]);
}

/** One entry as a `journalctl -o json` line (with a synthetic cursor), newline-terminated. */
export function jsonRecord(e: GenEntry, seq: number): string {
  const t = e.realtimeUs.toString(16);
  const cursor = `s=0b6d1e6f2a9c4d3f8e7a6b5c4d3e2f1a;i=${(seq + 1).toString(16)};b=${BOOT_ID};m=${e.monotonicUs.toString(16)};t=${t};x=${((seq * 2654435761) >>> 0).toString(16)}`;
  let s = `{"__CURSOR":${jsonStr(cursor)},"__REALTIME_TIMESTAMP":"${e.realtimeUs}","__MONOTONIC_TIMESTAMP":"${e.monotonicUs}","_BOOT_ID":"${BOOT_ID}"`;
  s += e.emitter.staticJson;
  if (e.pid !== null) s += `,"_PID":"${e.pid}"`;
  if (e.unit) s += `,"_SYSTEMD_CGROUP":${jsonStr(`/system.slice/${e.unit}`)},"_SYSTEMD_UNIT":${jsonStr(e.unit)},"_SYSTEMD_SLICE":"system.slice"`;
  const m = e.message;
  if (typeof m === 'string' && isJsonPrintable(m)) s += `,"MESSAGE":${jsonStr(m)}`;
  else s += `,"MESSAGE":[${Array.from(typeof m === 'string' ? Buffer.from(m) : m).join(',')}]`;
  return s + '}\n';
}

/** The entry as the journal readers normalise it (for in-process feeding of the pipeline). */
export function toJournalEntry(e: GenEntry): JournalEntry {
  return {
    cursor: null,
    realtimeUs: e.realtimeUs,
    unit: e.unit ?? e.emitter.unit,
    identifier: e.emitter.identifier,
    transport: e.emitter.transport,
    pid: e.pid,
    streamId: e.emitter.streamId,
    bootId: BOOT_ID,
    message: typeof e.message === 'string' ? e.message : e.message.toString('utf8'),
  };
}

// ------------------------------------------------------------------ streaming writers

export type OutputFormat = 'export' | 'json';

/** Stream `opts.entries` entries to `out` with back-pressure; resolves when everything is flushed to `out`. */
export async function writeJournalStream(opts: GenOptions, format: OutputFormat, out: Writable): Promise<JournalGenerator['stats']> {
  const gen = createJournalGenerator(opts);
  await writeEntryStream(() => gen.next(), format, out);
  return gen.stats;
}

/** Write the entries `next` returns (until null) in export or JSON-lines format, 1 MiB at a time, honouring backpressure. */
export async function writeEntryStream(next: () => GenEntry | null, format: OutputFormat, out: Writable): Promise<void> {
  const chunk: (Buffer | string)[] = [];
  let size = 0;
  let seq = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const buf = Buffer.concat(chunk.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    chunk.length = 0;
    size = 0;
    if (!out.write(buf)) await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error): void => { out.off('drain', onDrain); reject(err); };
      const onDrain = (): void => { out.off('error', onErr); resolve(); };
      out.once('drain', onDrain);
      out.once('error', onErr);
    });
  };
  for (let e = next(); e !== null; e = next()) {
    const rec = format === 'export' ? exportRecord(e) : jsonRecord(e, seq++);
    chunk.push(rec);
    size += rec.length;
    if (size >= 1 << 20) await flush();
  }
  await flush();
}

/** Write a file in export or JSON-lines format. */
export async function writeJournalFile(opts: GenOptions, format: OutputFormat, path: string): Promise<JournalGenerator['stats']> {
  const out = createWriteStream(path);
  const stats = await writeJournalStream(opts, format, out);
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(resolve);
  });
  return stats;
}

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/**
 * Build a real journal file `<file>` (name must end in .journal) with systemd-journal-remote,
 * fed from the export stream. Re-running on the same file appends.
 */
export async function writeJournalDirectoryFile(opts: GenOptions, file: string, journalRemote = JOURNAL_REMOTE): Promise<JournalGenerator['stats']> {
  const gen = createJournalGenerator(opts);
  await writeEntriesToJournal(() => gen.next(), file, journalRemote);
  return gen.stats;
}

/** Build a real journal file from the entries `next` returns (until null), as writeJournalDirectoryFile does. */
export async function writeEntriesToJournal(next: () => GenEntry | null, file: string, journalRemote = JOURNAL_REMOTE): Promise<void> {
  const child = spawn(journalRemote, ['-o', file, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { if (stderr.length < 8192) stderr += d; });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? -1));
  });
  await writeEntryStream(next, 'export', child.stdin);
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`${journalRemote} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

// ------------------------------------------------------------------ command line

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      entries: { type: 'string', default: '1000000' },
      containers: { type: 'string' },
      seed: { type: 'string', default: '20260' },
      format: { type: 'string', default: 'export' },
      out: { type: 'string' },
      'end-us': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.out) {
    process.stdout.write('usage: node dist/bench/generate.js --out PATH [--format export|json|journal] [--entries N] [--containers N] [--seed N] [--end-us US]\n');
    return values.help ? 0 : 3;
  }
  const opts: GenOptions = { entries: Number(values.entries), seed: Number(values.seed) };
  if (values.containers) opts.containers = Number(values.containers);
  if (values['end-us']) opts.endUs = Number(values['end-us']);
  const t0 = process.hrtime.bigint();
  let stats;
  if (values.format === 'journal') stats = await writeJournalDirectoryFile(opts, values.out);
  else if (values.format === 'export' || values.format === 'json') stats = await writeJournalFile(opts, values.format, values.out);
  else {
    process.stderr.write(`generate: unknown --format ${values.format}\n`);
    return 3;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${JSON.stringify({ ...stats, seconds: Math.round(secs * 100) / 100, out: values.out })}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (err: unknown) => {
    process.stderr.write(`generate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
