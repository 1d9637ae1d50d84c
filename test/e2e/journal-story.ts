/**
 * Journal entries for the end-to-end tests, in the formats CRI-O and kubelet write (the rows of
 * src/events/patterns.ts): written into a real .journal file with systemd-journal-remote
 * (test/helpers/journal-fixture.ts) and read back by the daemon through the real journalctl.
 * Times are µs since the epoch and must not be in the future (journal-fixture checks).
 */
import type { FixtureEntry } from '../helpers/journal-fixture.js';

const CRIO_PID = 4242;
const KUBELET_PID = 2211;

/** logrus' time field as CRI-O writes it: 2026-12-02 17:50:00.123000000Z */
function logrusTime(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', '000000Z');
}

/** klog's header: E1202 17:50:00.123000    2211 log.go:32] */
function klogHeader(sev: 'E' | 'I' | 'W', us: number, file: string): string {
  const d = new Date(Math.floor(us / 1000));
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const ms = String(d.getUTCMilliseconds()).padStart(3, '0');
  return `${sev}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${ms}000 ${String(KUBELET_PID).padStart(7)} ${file}]`;
}

/** One CRI-O line (stdout of crio.service, logrus format). */
export function crio(us: number, level: 'info' | 'warning' | 'error', msg: string, fields = ''): FixtureEntry {
  return { realtimeUs: us, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: CRIO_PID, message: `time="${logrusTime(us)}" level=${level} msg="${msg}"${fields}` };
}

/** A container created and started by CRI-O. */
export function containerStarted(us: number, id: string, ns: string, pod: string, name: string): FixtureEntry[] {
  return [
    crio(us, 'info', `Created container ${id}: ${ns}/${pod}/${name}`, ' name=/runtime.v1.RuntimeService/CreateContainer'),
    crio(us + 100_000, 'info', 'Started container', ` PID=31337 containerID=${id} description=${ns}/${pod}/${name} name=/runtime.v1.RuntimeService/StartContainer`),
  ];
}

/**
 * kubelet stops the container, the grace period ends and every kill through the NVIDIA wrapper fails
 * with AppArmor's "unable to signal init: permission denied" (the incident of cri-o/cri-o#8873).
 */
export function stuckStop(us: number, id: string, graceS: number, killFailures: number): FixtureEntry[] {
  const out: FixtureEntry[] = [
    crio(us, 'info', `Stopping container: ${id} (timeout: ${graceS}s)`, ' name=/runtime.v1.RuntimeService/StopContainer'),
    crio(us + graceS * 1_000_000, 'warning', `Stopping container ${id} with stop signal timed out. Killing...`),
  ];
  for (let i = 0; i < killFailures; i++) {
    out.push(
      crio(
        us + graceS * 1_000_000 + 100_000 * 2 ** i,
        'error',
        `Killing container ${id} failed: \`/usr/bin/nvidia-container-runtime --root /run/runc kill ${id} KILL\` failed: time=\\"2026-12-02T00:00:00Z\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1`,
      ),
    );
  }
  return out;
}

/** CRI-O removed the container: the strong signal that the pod's container is gone. */
export function containerRemoved(us: number, id: string, ns: string, pod: string, name: string): FixtureEntry {
  return crio(us, 'info', `Removed container ${id}: ${ns}/${pod}/${name}`, ' name=/runtime.v1.RuntimeService/RemoveContainer');
}

/** One failed exec probe as kubelet logs it: a multi-line klog record (4 journal entries, one stream). */
export function execDenied(us: number, id: string, stream: string): FixtureEntry[] {
  const lines = [
    `${klogHeader('E', us, 'log.go:32')} "ExecSync cmd from runtime service failed" err=<`,
    '\trpc error: code = Unknown desc = command error: time="2026-12-02T00:00:00Z" level=error msg="exec failed: unable to start container process: exec: \\"/usr/bin/nvidia-smi\\": permission denied"',
    '\t, stdout: , stderr: , exit code -1',
    ` > containerID="${id}" cmd=["/usr/bin/nvidia-smi","-L"]`,
  ];
  return lines.map((message, i) => ({ realtimeUs: us + i, unit: 'kubelet.service', identifier: 'kubelet', transport: 'stdout', pid: KUBELET_PID, streamId: stream, message }));
}
