/**
 * journalctl as a source: the argument array (never a shell), where the journal lives, and a
 * one-shot (non-follow) read of a journal directory for `scan --journal-directory`.
 *
 * Match semantics (journalctl(1)): matches on the same field OR, on different fields AND, and
 * "+" separates OR groups. FOLLOW_MATCHES selects
 *   (_SYSTEMD_UNIT=crio.service OR kubelet.service)
 *   OR (_PID=1 AND UNIT=crio.service|kubelet.service)      systemd's own lines about the units
 *   OR SYSLOG_IDENTIFIER=conmon                            conmon lives in crio-conmon-<id>.scope
 *   OR (_TRANSPORT=kernel AND PRIORITY=5)                  AppArmor denials (see KERNEL_AUDIT_MATCHES)
 * `--boot` is ANDed with all of it.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { accessSync, constants as fsConstants, readdirSync, statSync, type Dirent } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { createExportParser } from './export-parser.js';
import type { ReadResult } from './file-source.js';
import type { JournalSink, ParserOptions } from './sink.js';

/**
 * The kernel lines a pattern can use: only AppArmor denials (row K1), and the kernel prints those
 * through the audit subsystem. With no auditd, kauditd writes each audit record to the kernel log
 * with pr_notice ("audit: type=1400 audit(…): apparmor=…"), which journald's kmsg reader stores as
 * _TRANSPORT=kernel, SYSLOG_IDENTIFIER=kernel, SYSLOG_FACILITY=0, PRIORITY=5. The other kernel lines
 * (PRIORITY 0-4, 6, 7: driver, network, cgroup chatter) are never selected. Observed on this
 * project's machine: a USER_AVC audit record sent over netlink arrives as PRIORITY=5 kernel entry
 * and the kernel's own `audit: type=2000 … state=initialized` line is PRIORITY=5 too
 * (docs/journal.md, "Selection").
 *
 * Records of _TRANSPORT=audit (journald's audit socket, _AUDIT_TYPE=1400 for AppArmor) are not
 * selected: on a node without auditd the same record also arrives as the PRIORITY=5 kernel line, so
 * selecting both would count every denial twice (the classifier has no kernel/audit de-duplication).
 */
export const KERNEL_AUDIT_MATCHES: readonly string[] = ['_TRANSPORT=kernel', 'PRIORITY=5'];

export const FOLLOW_MATCHES: readonly string[] = [
  '_SYSTEMD_UNIT=crio.service',
  '_SYSTEMD_UNIT=kubelet.service',
  '+',
  '_PID=1',
  'UNIT=crio.service',
  'UNIT=kubelet.service',
  '+',
  'SYSLOG_IDENTIFIER=conmon',
  '+',
  ...KERNEL_AUDIT_MATCHES,
];

/** The fields the parser decodes; journalctl always adds __CURSOR, the timestamps and _BOOT_ID in export mode. */
export const OUTPUT_FIELDS = 'MESSAGE,_SYSTEMD_UNIT,UNIT,SYSLOG_IDENTIFIER,_TRANSPORT,_PID,_STREAM_ID,_BOOT_ID';

export interface JournalctlArgs {
  directory: string;
  follow: boolean;
  /**
   * resume at this cursor, inclusive (`--cursor`): the caller drops the first record when it is
   * this cursor (ExportParserOptions.resumeCursor). Not `--after-cursor`: systemd 252 skips one
   * entry blindly after seeking, which loses an entry when the cursor's entry is gone.
   */
  cursor?: string | null;
  /** µs since the epoch; used when there is no cursor */
  sinceUs?: number | null;
  untilUs?: number | null;
  /** journalctl time expressions, passed through (scan --since/--until) */
  since?: string | null;
  until?: string | null;
  /** only the newest boot in the journal (ignored when resuming from a cursor) */
  boot?: boolean;
  /** only the newest N entries (`--lines=N`; the follower's stall probe asks for 1) */
  lines?: number;
  /** null: every entry; default FOLLOW_MATCHES */
  matches?: readonly string[] | null;
}

function epochArg(us: number): string {
  const s = Math.floor(us / 1_000_000);
  const frac = String(Math.floor(us % 1_000_000)).padStart(6, '0');
  return `@${s}.${frac}`;
}

/** The journalctl argument array. Pure. */
export function journalctlArgs(a: JournalctlArgs): string[] {
  const args = [`--directory=${a.directory}`, '--output=export', '--all', '--no-pager', `--output-fields=${OUTPUT_FIELDS}`];
  if (a.follow) args.push('--follow', '--no-tail');
  if (a.cursor) {
    args.push(`--cursor=${a.cursor}`);
  } else {
    if (a.sinceUs !== undefined && a.sinceUs !== null) args.push(`--since=${epochArg(a.sinceUs)}`);
    else if (a.since) args.push(`--since=${a.since}`);
    if (a.boot) args.push('--boot');
  }
  if (a.lines !== undefined) args.push(`--lines=${a.lines}`);
  if (a.untilUs !== undefined && a.untilUs !== null) args.push(`--until=${epochArg(a.untilUs)}`);
  else if (a.until) args.push(`--until=${a.until}`);
  const m = a.matches === undefined ? FOLLOW_MATCHES : a.matches;
  if (m !== null) args.push(...m);
  return args;
}

/**
 * journalctl writes through stdio, whose buffer is st_blksize of its stdout: 4 KiB on the pipe (a
 * socketpair under libuv) that Node gives it. A reader that keeps up is therefore woken once per
 * 4 KiB, and every wake-up costs a read, a Buffer and a stream callback: on a 1 M-entry catch-up
 * that is about 90 000 chunks and a third of the daemon's CPU. Run through coreutils' `stdbuf -o`,
 * journalctl writes STDOUT_BUFFER at a time instead. Latency does not change: in --follow mode
 * journalctl flushes stdout before it waits for new entries (test/journal/follower.test.ts
 * checks that an appended entry arrives while following through stdbuf).
 */
export const STDOUT_BUFFER = '64K';

export interface SpawnCommand {
  file: string;
  args: string[];
  /** true when journalctl runs under stdbuf */
  buffered: boolean;
}

/** A name with a '/' as it is when executable, else the first executable of that name on PATH. Never a shell. */
export function findExecutable(name: string, pathEnv: string = process.env.PATH ?? ''): string | null {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return executable(name) ? name : null;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  return null;
}

export interface CommandOptions {
  /** the stdbuf binary; undefined: `stdbuf` from PATH when there is one; null: never */
  stdbuf?: string | null;
  find?: (name: string) => string | null;
}

/**
 * How to spawn journalctl with `args`: under stdbuf when both stdbuf and journalctl are found
 * (stdbuf execs journalctl, so the child's pid, signals and exit status are journalctl's), else
 * journalctl itself (a missing journalctl then fails to spawn with ENOENT, as before).
 */
export function journalctlCommand(journalctl: string, args: string[], opts: CommandOptions = {}): SpawnCommand {
  const find = opts.find ?? findExecutable;
  const stdbuf = opts.stdbuf === null ? null : find(opts.stdbuf ?? 'stdbuf');
  if (stdbuf === null || find(journalctl) === null) return { file: journalctl, args, buffered: false };
  return { file: stdbuf, args: [`--output=${STDOUT_BUFFER}`, '--', journalctl, ...args], buffered: true };
}

/** Candidate journal directories: the override, or persistent then volatile under the host root. */
export function journalDirectories(root: string, override?: string): string[] {
  if (override) return [override];
  return [join(root, 'var/log/journal'), join(root, 'run/log/journal')];
}

export interface DirProbe {
  isDir(path: string): boolean;
  /** true when *.journal or *.journal~ files are in the directory or its machine-id (32 hex) subdirectories */
  hasJournalFiles(path: string): boolean;
  /**
   * Changes whenever a journal file in the directory (or its machine-id subdirectories) is written,
   * renamed or removed (names, sizes, mtimes); the follower's stall check only asks journalctl for
   * the newest entry when it changed. Absent: treated as always changed.
   */
  signature?(path: string): string;
}

const JOURNAL_FILE = /\.journal~?$/;
const MACHINE_ID = /^[0-9a-f]{32}$/;

export const fsProbe: DirProbe = {
  isDir(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  },
  signature(path: string): string {
    const parts: string[] = [];
    const add = (dir: string, rel: string): void => {
      let names: Dirent[];
      try {
        names = readdirSync(dir, { withFileTypes: true });
      } catch {
        parts.push(`${rel}:unreadable`);
        return;
      }
      for (const d of names) {
        if (d.isFile() && JOURNAL_FILE.test(d.name)) {
          try {
            const st = statSync(join(dir, d.name));
            parts.push(`${rel}${d.name}:${st.size}:${st.mtimeMs}`);
          } catch {
            // rotated away between readdir and stat: the next call sees the new set
          }
        } else if (rel === '' && d.isDirectory() && MACHINE_ID.test(d.name)) add(join(dir, d.name), `${d.name}/`);
      }
    };
    add(path, '');
    return parts.sort().join('|');
  },
  hasJournalFiles(path: string): boolean {
    try {
      const names = readdirSync(path, { withFileTypes: true });
      if (names.some((d) => d.isFile() && JOURNAL_FILE.test(d.name))) return true;
      for (const d of names) {
        // journalctl --directory reads machine-id subdirectories only (128-bit ids in hex)
        if (!d.isDirectory() || !MACHINE_ID.test(d.name)) continue;
        try {
          if (readdirSync(join(path, d.name)).some((n) => JOURNAL_FILE.test(n))) return true;
        } catch {
          // unreadable subdirectory: ignore
        }
      }
    } catch {
      return false;
    }
    return false;
  },
};

/**
 * journalctl reads one --directory per process (systemd 252: the last --directory wins), so one
 * directory is followed: the first candidate holding journal files (persistent before volatile),
 * else the first that exists, else null.
 */
export function chooseDirectory(candidates: string[], probe: DirProbe = fsProbe): string | null {
  const existing = candidates.filter((d) => probe.isDir(d));
  return existing.find((d) => probe.hasJournalFiles(d)) ?? existing[0] ?? null;
}

export interface ReadDirectoryOptions extends ParserOptions {
  journalctl?: string;
  since?: string;
  until?: string;
  /** only the newest boot (`--boot`) */
  boot?: boolean;
  /** only the newest N entries (`--lines=N`) */
  lines?: number;
  /** null: every entry of the journal; default FOLLOW_MATCHES */
  matches?: readonly string[] | null;
  spawn?: typeof nodeSpawn;
  /** see journalctlCommand */
  stdbuf?: string | null;
  /** kill journalctl (and fail) after this long; default: no limit */
  timeoutMs?: number;
}

export interface DirectoryReadResult extends ReadResult {
  /** __CURSOR of the last complete record read (delivered, prefiltered or skipped), or null */
  cursor: string | null;
}

/** Read a journal directory once (no follow) through journalctl -o export. Throws UserError when journalctl fails. */
export function readJournalDirectory(dir: string, sink: JournalSink, opts: ReadDirectoryOptions = {}): Promise<DirectoryReadResult> {
  const spawn = opts.spawn ?? nodeSpawn;
  const bin = opts.journalctl ?? 'journalctl';
  const args = journalctlArgs({
    directory: dir,
    follow: false,
    since: opts.since ?? null,
    until: opts.until ?? null,
    boot: opts.boot ?? false,
    ...(opts.lines !== undefined ? { lines: opts.lines } : {}),
    matches: opts.matches,
  });
  const parser = createExportParser(sink, opts);
  return new Promise((resolve, reject) => {
    const cmd = journalctlCommand(bin, args, { stdbuf: opts.stdbuf });
    const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? null : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => parser.push(d));
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.stdout?.on('error', () => undefined); // reported through 'close' / 'error' of the process
    child.stderr?.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer !== null) clearTimeout(timer);
      reject(new UserError(`cannot run ${bin}: ${err.code ?? err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      parser.end();
      if (code !== 0) {
        const why = timedOut ? `no answer within ${opts.timeoutMs} ms` : (stderr.trim().split('\n')[0] ?? '');
        reject(new UserError(`journalctl --directory=${dir} failed (${signal ?? `exit ${code}`})${why ? `: ${why}` : ''}`));
        return;
      }
      const stats = parser.stats();
      resolve({ format: 'export', entries: stats.entries, skipped: { ...stats.skipped } as Record<string, number>, stats, cursor: parser.lastCursor() });
    });
  });
}
