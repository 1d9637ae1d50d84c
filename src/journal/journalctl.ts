/**
 * journalctl as a source: the argument array (never a shell), where the journal lives, and a
 * one-shot (non-follow) read of a journal directory for `scan --journal-directory`.
 *
 * Match semantics (journalctl(1)): matches on the same field OR, on different fields AND, and
 * "+" separates OR groups. FOLLOW_MATCHES selects
 *   (_SYSTEMD_UNIT=crio.service OR kubelet.service)
 *   OR (_PID=1 AND UNIT=crio.service|kubelet.service)      systemd's own lines about the units
 *   OR SYSLOG_IDENTIFIER=conmon                            conmon lives in crio-conmon-<id>.scope
 *   OR _TRANSPORT=kernel                                   AppArmor denials
 * `--boot` is ANDed with all of it.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { createExportParser } from './export-parser.js';
import type { ReadResult } from './file-source.js';
import type { JournalSink, ParserOptions } from './sink.js';

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
  '_TRANSPORT=kernel',
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
  if (a.untilUs !== undefined && a.untilUs !== null) args.push(`--until=${epochArg(a.untilUs)}`);
  else if (a.until) args.push(`--until=${a.until}`);
  const m = a.matches === undefined ? FOLLOW_MATCHES : a.matches;
  if (m !== null) args.push(...m);
  return args;
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
  /** null: every entry of the journal; default FOLLOW_MATCHES */
  matches?: readonly string[] | null;
  spawn?: typeof nodeSpawn;
}

/** Read a journal directory once (no follow) through journalctl -o export. Throws UserError when journalctl fails. */
export function readJournalDirectory(dir: string, sink: JournalSink, opts: ReadDirectoryOptions = {}): Promise<ReadResult> {
  const spawn = opts.spawn ?? nodeSpawn;
  const bin = opts.journalctl ?? 'journalctl';
  const args = journalctlArgs({
    directory: dir,
    follow: false,
    since: opts.since ?? null,
    until: opts.until ?? null,
    matches: opts.matches,
  });
  const parser = createExportParser(sink, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => parser.push(d));
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.stdout?.on('error', () => undefined); // reported through 'close' / 'error' of the process
    child.stderr?.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(new UserError(`cannot run ${bin}: ${err.code ?? err.message}`));
    });
    child.on('close', (code, signal) => {
      parser.end();
      if (code !== 0) {
        const why = stderr.trim().split('\n')[0] ?? '';
        reject(new UserError(`journalctl --directory=${dir} failed (${signal ?? `exit ${code}`})${why ? `: ${why}` : ''}`));
        return;
      }
      const stats = parser.stats();
      resolve({ format: 'export', entries: stats.entries, skipped: { ...stats.skipped } as Record<string, number>, stats });
    });
  });
}
