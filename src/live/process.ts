/**
 * The running CRI-O process: pid, start time, real command-line flags and CONTAINER_* environment
 * (crio-config.md §2: flags and env vars are merged after the files; an env var counts as "set").
 * The side effects (process table, /proc) are injected; parsing is pure.
 */
import type { ConfigInputs } from '../config/inputs.js';
import type { LiveCrio } from '../core/contracts.js';

export type CrioProcess = NonNullable<LiveCrio['process']>;

/** The subset of systeminformation's process record this module reads. */
export interface ProcessRecord {
  pid: number;
  name: string;
  started: string;
  command: string;
  params: string;
  path: string;
}

export interface ProcessSourceDeps {
  /** systeminformation's `processes()` list (or a fake) */
  listProcesses(): Promise<ProcessRecord[]>;
  /** read /proc/<pid>/<name>; null when unreadable. Only called when `readProc` is true. */
  readProcFile(pid: number, name: 'cmdline' | 'environ'): Buffer | null;
  /** read /proc for exact argv and env: only when --root is "/" (the process table is this host's) */
  readProc: boolean;
  /**
   * Of these pids, the ones holding the CRI-O socket this daemon reads (listening on it). Asked only
   * when more than one CRI-O daemon runs (a test machine, a node in the middle of a restart): the one
   * serving our socket is the one whose flags matter. Absent or null: not knowable from here.
   */
  socketHolders?: (pids: number[]) => Set<number> | null;
  /** told when several CRI-O daemons run: which pid was taken and why */
  onAmbiguous?: (pids: number[], chosen: number, how: 'holds the socket' | 'lowest pid') => void;
}

/** `crio` subcommands: a process running one of these is a client, not the daemon. */
const SUBCOMMANDS = new Set(['check', 'completion', 'config', 'help', 'man', 'markdown', 'status', 'version', 'wipe']);

/** Flags that feed the config engine, with their aliases as urfave/cli accepts them. */
const FLAG_KEYS: Record<string, 'config' | 'configDir' | 'defaultRuntime' | 'runtimes'> = {
  config: 'config',
  c: 'config',
  'config-dir': 'configDir',
  d: 'configDir',
  'default-runtime': 'defaultRuntime',
  runtimes: 'runtimes',
};

/** Flags that take a value (so that "--log-level debug" does not make "debug" a subcommand). */
function takesValue(name: string): boolean {
  return !/^(help|h|version|v|profile|enable-metrics|enable-tracing|selinux|no-pivot|read-only)$/.test(name) && !name.startsWith('enable-');
}

export interface ParsedCrioArgs {
  config?: string;
  configDir?: string;
  defaultRuntime?: string;
  runtimes?: string[];
  subcommand: string | null;
}

/** Parse a crio argv (without argv[0]). Accepts `--flag value`, `--flag=value`, `-c value`, `-flag=value`. */
export function parseCrioArgs(args: string[]): ParsedCrioArgs {
  const out: ParsedCrioArgs = { subcommand: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') {
      if (SUBCOMMANDS.has(a)) out.subcommand = a;
      break;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (takesValue(name) && i + 1 < args.length) value = args[++i];
    const key = FLAG_KEYS[name];
    if (!key || value === undefined) continue;
    if (key === 'runtimes') (out.runtimes ??= []).push(value);
    else out[key] = value;
  }
  return out;
}

/** Keep only CONTAINER_* variables (the rest of CRI-O's env is none of our business). */
export function parseEnviron(buf: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of buf.toString('utf8').split('\0')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const k = kv.slice(0, eq);
    if (k.startsWith('CONTAINER_')) env[k] = kv.slice(eq + 1);
  }
  return env;
}

function splitCmdline(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function isCrio(p: ProcessRecord): boolean {
  const base = (s: string): string => s.split('/').pop() ?? s;
  return p.name === 'crio' || base(p.command.split(/\s+/)[0] ?? '') === 'crio';
}

/** systeminformation's `started` is local time "YYYY-MM-DD HH:MM:SS"; ISO 8601 or null. */
export function startedToIso(started: string): string | null {
  if (!started) return null;
  const d = new Date(started.includes('T') ? started : started.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Find the CRI-O daemon process; null when none runs (or it is not visible from here). */
export async function findCrioProcess(deps: ProcessSourceDeps): Promise<CrioProcess | null> {
  const list = (await deps.listProcesses()).filter(isCrio);
  const candidates = list
    .map((p) => {
      let args = p.params.trim() === '' ? [] : p.params.trim().split(/\s+/);
      let env: Record<string, string> = {};
      if (deps.readProc) {
        const cmd = deps.readProcFile(p.pid, 'cmdline');
        if (cmd && cmd.length > 0) args = splitCmdline(cmd).slice(1);
        const environ = deps.readProcFile(p.pid, 'environ');
        if (environ) env = parseEnviron(environ);
      }
      return { p, args, env, parsed: parseCrioArgs(args) };
    })
    .filter((c) => c.parsed.subcommand === null)
    .sort((a, b) => a.p.pid - b.p.pid);
  let c = candidates[0];
  if (!c) return null;
  if (candidates.length > 1) {
    const pids = candidates.map((x) => x.p.pid);
    const holders = deps.socketHolders?.(pids) ?? null;
    const holder = holders ? candidates.find((x) => holders.has(x.p.pid)) : undefined;
    if (holder) c = holder;
    deps.onAmbiguous?.(pids, c.p.pid, holder ? 'holds the socket' : 'lowest pid');
  }
  return { pid: c.p.pid, startedAt: startedToIso(c.p.started), args: c.args, env: c.env };
}

/** The engine inputs implied by the running process: its flags and CONTAINER_* env. */
export function processInputs(proc: CrioProcess | null): Omit<ConfigInputs, 'crioVersion'> {
  if (!proc) return {};
  const parsed = parseCrioArgs(proc.args);
  const out: Omit<ConfigInputs, 'crioVersion'> = {};
  if (parsed.config !== undefined) out.config = parsed.config;
  if (parsed.configDir !== undefined) out.configDir = parsed.configDir;
  if (parsed.defaultRuntime !== undefined) out.defaultRuntime = parsed.defaultRuntime;
  if (parsed.runtimes !== undefined) out.runtimes = parsed.runtimes;
  if (Object.keys(proc.env).length > 0) out.env = { ...proc.env };
  return out;
}

/**
 * The inodes of the unix sockets bound to `socketPath`, from the text of /proc/net/unix
 * ("Num RefCount Protocol Flags Type St Inode Path"). A path with spaces is not matched (CRI-O's is
 * never one); unparsable lines are skipped.
 */
export function unixSocketInodes(netUnix: string, socketPath: string): Set<string> {
  const out = new Set<string>();
  for (const line of netUnix.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 8 && cols[7] === socketPath && /^\d+$/.test(cols[6] ?? '')) out.add(cols[6]!);
  }
  return out;
}
