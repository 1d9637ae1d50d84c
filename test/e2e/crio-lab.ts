/**
 * The project's own harness for a real CRI-O (1.32.13, built from its tag) on this machine, for
 * test/e2e/lab.test.ts. Adapted from ../shared/crio-lab/crio-lab; it depends on that folder only for
 * its binaries (`crio`, `pinns`, `crictl`): CRIO_SENTINEL_CRIO_BIN (the crio binary; pinns and crictl
 * beside it) or ../shared/crio-lab/bin beside the repository.
 *
 * One lab = one temp dir: a node tree (crio.conf + crio.conf.d, storage, runroot, the CRI socket), a
 * local busybox image built with buildah, and crio running as the unit crio.service would: its stderr
 * goes to the system journald through `systemd-cat -t crio`, from the cgroup
 * system.slice/crio.service/<lab> (journald derives _SYSTEMD_UNIT=crio.service from it). The system
 * journald is shared by every lab of the machine, so each lab MIRRORS its own entries — journalctl
 * --follow matching _SYSTEMD_CGROUP=/system.slice/crio.service/<lab>, piped into
 * systemd-journal-remote — into a private journal directory `<lab>/journal` that the daemon follows
 * and `scan` reads: real journald entries, and no other lab's lines.
 *
 * down() does not rely on CRI-O (tests break it on purpose): it kills crio (SIGKILL after 3 s: CRI-O
 * ignores SIGTERM while a kill loop runs), force-deletes every runtime container whose bundle is
 * under the lab dir, kills its conmons, unmounts what is mounted under it and removes the cgroups.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary, inCI } from '../helpers/binaries.js';
import { sleep } from './processes.js';

const REPO = path.resolve(import.meta.dirname, '../..');
export const IMAGE = 'localhost/lab/busybox:1';
/** crio.service's cgroup in each hierarchy journald may read it from: v1 name=systemd + hybrid unified, or pure v2 */
const CG_ROOTS = fs.existsSync('/sys/fs/cgroup/cgroup.controllers')
  ? ['/sys/fs/cgroup/system.slice/crio.service']
  : ['/sys/fs/cgroup/systemd/system.slice/crio.service', '/sys/fs/cgroup/unified/system.slice/crio.service'];
/** the roots the lab's runtimes (and the scenarios' wrappers) keep container state in */
const RUNTIME_ROOTS: [string, string][] = [
  ['/usr/sbin/runc', '/run/runc'],
  ['/usr/bin/crun', '/run/crun'],
  ['/usr/sbin/runc', '/run/other'],
];

export interface LabBinaries {
  crio: string;
  pinns: string;
  crictl: string;
}

/** The lab's binaries, or null with the reason (the test skips locally with it; CI fails). */
export function labBinaries(): { bin: LabBinaries | null; reason: string | null } {
  const fromEnv = process.env.CRIO_SENTINEL_CRIO_BIN;
  const dir = fromEnv ? path.dirname(fromEnv) : path.resolve(REPO, '../shared/crio-lab/bin');
  const bin: LabBinaries = { crio: fromEnv ?? path.join(dir, 'crio'), pinns: path.join(dir, 'pinns'), crictl: path.join(dir, 'crictl') };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { bin: null, reason: 'the real-CRI-O e2e needs root' };
  for (const f of Object.values(bin)) {
    if (!fs.existsSync(f)) return { bin: null, reason: `no ${path.basename(f)} at ${f} (set CRIO_SENTINEL_CRIO_BIN or provide ../shared/crio-lab/bin)` };
  }
  for (const [name, pkg] of [
    ['conmon', 'conmon'],
    ['runc', 'runc'],
    ['crun', 'crun'],
    ['buildah', 'buildah'],
    ['busybox', 'busybox-static'],
    ['systemd-cat', 'systemd'],
    ['journalctl', 'systemd'],
    ['systemd-journal-remote', 'systemd-journal-remote'],
  ] as const) {
    if (!findBinary(name)) return { bin: null, reason: `${name} not found (apt-get install --no-install-recommends ${pkg})` };
  }
  return { bin, reason: null };
}

/** Skip reason for the suite: null = run. Under CI=true a missing piece throws instead. */
export function labSkipReason(): string | null {
  const { reason } = labBinaries();
  if (reason && inCI) throw new Error(`CI=true and ${reason}; .ci/run must install it`);
  return reason;
}

function must(name: string): string {
  const p = findBinary(name);
  if (!p) throw new Error(`${name} not found`);
  return p;
}

// ------------------------------------------------------------------ journald (shared by every lab)

let startedJournald: number | null = null;

function journaldAnswers(): boolean {
  return spawnSync(must('systemd-cat'), ['-t', 'crio-sentinel-e2e', 'true'], { stdio: 'ignore' }).status === 0;
}

/** A journald must answer on its stdout socket; start one (this machine has no systemd as PID 1) when none does. */
export async function ensureJournald(): Promise<void> {
  if (journaldAnswers()) return;
  fs.mkdirSync('/run/systemd/journal', { recursive: true });
  for (const s of ['socket', 'stdout', 'dev-log']) fs.rmSync(path.join('/run/systemd/journal', s), { force: true });
  const child = spawn('/lib/systemd/systemd-journald', [], { detached: true, stdio: 'ignore' });
  child.unref();
  startedJournald = child.pid ?? null;
  for (let i = 0; i < 50 && !journaldAnswers(); i++) await sleep(100);
  if (!journaldAnswers()) throw new Error('journald did not start');
  if (!fs.existsSync('/dev/log')) fs.symlinkSync('/run/systemd/journal/dev-log', '/dev/log');
}

/** Ends the journald ensureJournald() started, if it started one (once, after the last lab). */
export function stopJournald(): void {
  if (startedJournald !== null) {
    try {
      process.kill(startedJournald, 'SIGTERM');
    } catch {
      // gone already
    }
    startedJournald = null;
  }
}

// ------------------------------------------------------------------ the lab

export interface Pod {
  name: string;
  podId: string;
  ctrId: string;
}

export interface Lab {
  name: string;
  dir: string;
  socket: string;
  config: string;
  configDir: string;
  /** the private journal directory (this lab's crio entries only) */
  journalDir: string;
  crioPid(): number | null;
  /** crictl against this lab; never throws: status, stdout+stderr */
  crictl(args: string[], timeoutS?: number): { status: number | null; out: string };
  /** crictl in the background (a stop that hangs); resolves with its result */
  crictlAsync(args: string[], timeoutS: number): Promise<{ status: number | null; out: string }>;
  /** a host-network pod with one container "main" that ignores SIGTERM */
  pod(name: string, handler?: string): Pod;
  /** a file in the drop-in directory (a wrapper path is absolute, written by wrapper()) */
  dropIn(file: string, text: string | null): void;
  /** an executable script under <lab>/bin; returns its path */
  wrapper(name: string, script: string): string;
  start(): Promise<void>;
  restart(): Promise<void>;
  hup(): void;
  down(): Promise<void>;
}

const sh = (file: string, args: string[]): string => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function writeTree(dir: string, sock: string, bin: LabBinaries): void {
  for (const d of ['etc/crio/crio.conf.d', 'storage', 'runroot', 'log', 'lib', 'run', 'cni', 'ns', 'exits', 'attach', 'podlogs', 'bin', 'journal', 'state']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.writeFileSync(
    path.join(dir, 'etc/crio/crio.conf'),
    `[crio]
root = "${dir}/storage"
runroot = "${dir}/runroot"
storage_driver = "vfs"
log_dir = "${dir}/log"
version_file = "${dir}/run/version"
version_file_persist = "${dir}/lib/version"
clean_shutdown_file = "${dir}/lib/clean.shutdown"

[crio.api]
listen = "${sock}"

[crio.runtime]
default_runtime = "runc"
cgroup_manager = "cgroupfs"
conmon_cgroup = "pod"
namespaces_dir = "${dir}/ns"
pinns_path = "${bin.pinns}"
container_exits_dir = "${dir}/exits"
container_attach_socket_dir = "${dir}/attach"

[crio.runtime.runtimes.runc]
runtime_path = "/usr/sbin/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/bin/conmon"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/bin/crun"
runtime_root = "/run/crun"
monitor_path = "/usr/bin/conmon"

[crio.image]
signature_policy = "${dir}/etc/policy.json"

[crio.network]
network_dir = "${dir}/cni"
plugin_dirs = ["/usr/lib/cni"]
`,
  );
  // CRI-O 1.32 resolves the pause image even when it drops the infra container: the local image
  fs.writeFileSync(path.join(dir, 'etc/crio/crio.conf.d/00-lab.conf'), `[crio.image]\npause_image = "${IMAGE}"\npause_command = "/bin/sleep"\n`);
  fs.writeFileSync(path.join(dir, 'etc/policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}\n');
}

function buildImage(dir: string): void {
  const buildah = must('buildah');
  const S = ['--root', path.join(dir, 'storage'), '--runroot', path.join(dir, 'runroot'), '--storage-driver', 'vfs'];
  const c = sh(buildah, [...S, 'from', 'scratch']).trim();
  sh(buildah, [...S, 'copy', c, must('busybox'), '/bin/busybox']);
  sh(buildah, [...S, 'run', '--isolation', 'chroot', c, '--', '/bin/busybox', '--install', '-s', '/bin']);
  sh(buildah, [...S, 'config', '--cmd', '["/bin/sh"]', c]);
  sh(buildah, [...S, 'commit', '--quiet', c, IMAGE]);
  sh(buildah, [...S, 'rm', c]);
}

/** A fresh lab under a new temp dir, CRI-O started, its journal mirrored. */
export async function startLab(name: string): Promise<Lab> {
  const { bin } = labBinaries();
  if (!bin) throw new Error('no lab binaries');
  await ensureJournald();
  const tag = `e2e-${name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `crio-sentinel-lab-${name}-`));
  const sock = path.join(dir, 'crio.sock');
  const cgroups = CG_ROOTS.filter((r) => fs.existsSync(path.dirname(path.dirname(r)))).map((r) => path.join(r, tag));
  if (cgroups.length === 0) throw new Error(`no cgroup hierarchy for crio.service (${CG_ROOTS.join(', ')})`);
  for (const cg of cgroups) fs.mkdirSync(cg, { recursive: true });
  writeTree(dir, sock, bin);
  buildImage(dir);

  // the mirror: this lab's entries of the system journal -> <dir>/journal/lab.journal
  const mirrorRead = spawn(must('journalctl'), ['--follow', '--no-tail', '--output=export', '--all', '--no-pager', `_SYSTEMD_CGROUP=/system.slice/crio.service/${tag}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const mirrorWrite = spawn(must('systemd-journal-remote'), ['-o', path.join(dir, 'journal', 'lab.journal'), '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  mirrorRead.stdout!.pipe(mirrorWrite.stdin!);
  mirrorWrite.stdin!.on('error', () => undefined);

  let crio: ChildProcess | null = null;
  const crioPid = (): number | null => (crio && crio.exitCode === null && crio.signalCode === null ? (crio.pid ?? null) : null);
  const crictlArgs = (args: string[], timeoutS: number): string[] => ['--runtime-endpoint', `unix://${sock}`, '--image-endpoint', `unix://${sock}`, '--timeout', `${timeoutS}s`, ...args];
  const clean = (s: string): string =>
    s
      .split('\n')
      .filter((l) => !l.includes('crictl.yaml'))
      .join('\n')
      .trim();

  const lab: Lab = {
    name,
    dir,
    socket: sock,
    config: path.join(dir, 'etc/crio/crio.conf'),
    configDir: path.join(dir, 'etc/crio/crio.conf.d'),
    journalDir: path.join(dir, 'journal'),
    crioPid,
    crictl(args, timeoutS = 30) {
      const r = spawnSync(bin.crictl, crictlArgs(args, timeoutS), { encoding: 'utf8', timeout: (timeoutS + 10) * 1000 });
      return { status: r.status, out: clean(`${r.stdout ?? ''}\n${r.stderr ?? ''}`) };
    },
    crictlAsync(args, timeoutS) {
      return new Promise((resolve) => {
        const c = spawn(bin.crictl, crictlArgs(args, timeoutS), { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const t = setTimeout(() => c.kill('SIGKILL'), (timeoutS + 10) * 1000);
        c.on('close', (status) => {
          clearTimeout(t);
          resolve({ status, out: clean(out) });
        });
      });
    },
    pod(podName, handler) {
      const uid = randomUUID();
      const labels = { 'io.kubernetes.pod.name': podName, 'io.kubernetes.pod.namespace': 'lab', 'io.kubernetes.pod.uid': uid };
      const ns = { namespace_options: { network: 2, pid: 1, ipc: 0 } };
      const podFile = path.join(dir, `pod-${podName}.json`);
      const ctrFile = path.join(dir, `ctr-${podName}.json`);
      fs.mkdirSync(path.join(dir, 'podlogs', podName), { recursive: true });
      fs.writeFileSync(podFile, JSON.stringify({ metadata: { name: podName, namespace: 'lab', uid, attempt: 0 }, labels, linux: { security_context: ns }, log_directory: path.join(dir, 'podlogs', podName) }));
      fs.writeFileSync(
        ctrFile,
        JSON.stringify({
          metadata: { name: 'main' },
          image: { image: IMAGE },
          command: ['/bin/sh', '-c', "trap '' TERM; while true; do sleep 1; done"],
          log_path: 'main.log',
          labels: { 'io.kubernetes.container.name': 'main', ...labels },
          linux: { security_context: ns },
        }),
      );
      const last = (r: { status: number | null; out: string }, what: string): string => {
        const id = r.out.split('\n').pop() ?? '';
        if (r.status !== 0 || !/^[0-9a-f]{64}$/.test(id)) throw new Error(`crictl ${what} failed: ${r.out}`);
        return id;
      };
      const podId = last(lab.crictl(['runp', ...(handler ? ['--runtime', handler] : []), podFile]), 'runp');
      const ctrId = last(lab.crictl(['create', podId, ctrFile, podFile]), 'create');
      const s = lab.crictl(['start', ctrId]);
      if (s.status !== 0) throw new Error(`crictl start failed: ${s.out}`);
      return { name: podName, podId, ctrId };
    },
    dropIn(file, text) {
      const p = path.join(dir, 'etc/crio/crio.conf.d', file);
      if (text === null) fs.rmSync(p, { force: true });
      else fs.writeFileSync(p, text);
    },
    wrapper(wname, script) {
      const p = path.join(dir, 'bin', wname);
      fs.writeFileSync(p, script, { mode: 0o755 });
      return p;
    },
    async start() {
      if (crioPid() !== null) throw new Error('crio already runs');
      fs.rmSync(sock, { force: true });
      // a fixed script, the cgroup files and the command as positional arguments (no interpolation):
      // enter the lab's cgroup first, so journald attributes systemd-cat's stream to crio.service
      crio = spawn(
        '/bin/sh',
        ['-c', 'for cg in $CGS; do echo $$ > "$cg/cgroup.procs"; done; exec "$@"', 'sh', must('systemd-cat'), '-t', 'crio', bin.crio, '--config', lab.config, '--config-dir', lab.configDir],
        { env: { ...process.env, CGS: cgroups.join(' ') }, stdio: 'ignore', detached: true },
      );
      crio.unref();
      for (let i = 0; i < 300; i++) {
        if (fs.existsSync(sock) && lab.crictl(['version'], 5).status === 0) return;
        if (crioPid() === null) break;
        await sleep(100);
      }
      throw new Error(`crio did not create ${sock} (journalctl -D ${lab.journalDir})`);
    },
    async restart() {
      await stopCrio(3000);
      await lab.start();
    },
    hup() {
      const pid = crioPid();
      if (pid === null) throw new Error('crio does not run');
      process.kill(pid, 'SIGHUP');
    },
    async down() {
      await stopCrio(3000);
      for (const [rt, root] of RUNTIME_ROOTS) {
        const list = spawnSync(rt, ['--root', root, 'list'], { encoding: 'utf8' });
        for (const l of (list.stdout ?? '').split('\n').slice(1)) {
          if (!l.includes(`${dir}/`)) continue;
          const id = l.split(/\s+/)[0];
          if (id) spawnSync(rt, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
        }
      }
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (cmd[0]?.endsWith('conmon') && cmd.some((a) => a.startsWith(`${dir}/`))) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
      const mounts = fs
        .readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(`${dir}/`))
        .sort()
        .reverse();
      for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      await sleep(500); // the mirror writes the last entries
      mirrorRead.kill('SIGTERM');
      await new Promise<void>((r) => (mirrorWrite.exitCode !== null ? r() : mirrorWrite.once('exit', () => r())));
      for (const cg of cgroups) {
        try {
          fs.rmdirSync(cg);
        } catch {
          // a process still in it; left for the machine
        }
      }
    },
  };

  async function stopCrio(graceMs: number): Promise<void> {
    const c = crio;
    const pid = crioPid();
    if (!c || pid === null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    process.kill(pid, 'SIGTERM');
    const t = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, graceMs);
    await exited;
    clearTimeout(t);
  }

  await lab.start();
  return lab;
}
