/**
 * Flags of `crio-sentinel run`, in the style of the Prometheus exporters (`--web.listen-address`,
 * `--web.config.file`, `--log.level`; `--log-level` stays as an alias). Pure: argv, env and the host name in,
 * a RunFlags value out; bad input throws UserError (the CLI prints one line and exits 3).
 */
import { parseArgs } from 'node:util';
import { UserError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { THRESHOLD_OPTIONS, parseThresholdFlags, thresholdHelp, type ThresholdFlags } from '../events/thresholds.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

export interface ListenAddress {
  /** undefined = every interface (":20260") */
  host: string | undefined;
  port: number;
  /** as given */
  text: string;
}

/** The event thresholds `run` takes (the same flags and units as `scan`: src/events/thresholds.ts). */
export type EventThresholds = ThresholdFlags;

export interface RunFlags {
  listen: ListenAddress;
  webConfigFile: string | null;
  /** host root the node's files are read under ("/" on the node, a directory in tests) */
  root: string;
  /** --root was given (with --demo: run the demo on that copy of a node tree instead of the bundled one) */
  rootGiven?: boolean;
  /** --config / --config-dir as given (undefined = not set; "" = skip) */
  config: string | undefined;
  configDir: string | undefined;
  /** --crio-version; null = detect */
  crioVersion: string | null;
  /** the daemon's own state directory (journal cursor); NOT under --root */
  stateDir: string;
  /** --journal-directory: read journal files from here instead of the host journal */
  journalDirectory: string | null;
  noJournal: boolean;
  /** where node facts come from: systeminformation on this machine, the node mounted at --root, or nowhere */
  nodeFacts: 'auto' | 'mounted' | 'off';
  /** host path of the CRI-O socket; the daemon opens it under --root */
  crioSocket: string;
  /** how often the CRI-O socket is polled */
  crioPollMs: number;
  nodeName: string;
  thresholds: EventThresholds;
  logLevel: LogLevel;
  logFormat: LogFormat;
  demo: boolean;
  help: boolean;
  version: boolean;
}

export const DEFAULT_LISTEN = ':20260';
export const DEFAULT_STATE_DIR = '/var/lib/crio-sentinel';
export const DEFAULT_CRIO_SOCKET = '/var/run/crio/crio.sock';

export { parseDuration } from '../core/duration.js';

/** Parse "host:port", ":port" or "[v6]:port". */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new UserError(`--web.listen-address: invalid address "${text}" (use host:port, :port or [v6]:port)`);
  }
  const host = m[1] ?? m[2];
  return { host: host === '' || host === undefined ? undefined : host, port, text };
}

function oneOf<T extends string>(text: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UserError(`--${flag}: expected one of ${allowed.join('|')}, got "${text}"`);
}

const OPTIONS = {
  'web.listen-address': { type: 'string' },
  'web.config.file': { type: 'string' },
  root: { type: 'string' },
  config: { type: 'string' },
  'config-dir': { type: 'string' },
  'crio-version': { type: 'string' },
  'state-dir': { type: 'string' },
  'journal-directory': { type: 'string' },
  'no-journal': { type: 'boolean' },
  'crio-socket': { type: 'string' },
  'crio-poll-interval': { type: 'string' },
  'node-name': { type: 'string' },
  'node-facts': { type: 'string' },
  ...THRESHOLD_OPTIONS,
  'log.level': { type: 'string' },
  'log.format': { type: 'string' },
  // the spellings before node_exporter's, kept as aliases
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  demo: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export const RUN_USAGE = `usage: crio-sentinel run [options]

The daemon: watches CRI-O's configuration, follows the journal, reads the running CRI-O over its
socket, and serves /metrics, /healthz, /readyz, /api/v1/status and a status page.

  --web.listen-address=ADDR   address to listen on (default ${DEFAULT_LISTEN}; 127.0.0.1:0 = ephemeral port)
  --web.config.file=FILE      exporter-toolkit web config (TLS, basic auth)
  --root=DIR                  host root the node's files are read under (default /)
  --config=FILE               CRI-O main config file (default: CRI-O's own flag, env, /etc/crio/crio.conf)
  --config-dir=DIR            CRI-O drop-in directory (default: /etc/crio/crio.conf.d)
  --crio-version=X.Y.Z        CRI-O version (default: detected)
  --state-dir=DIR             the daemon's own state (journal cursor); not under --root (default ${DEFAULT_STATE_DIR})
  --journal-directory=DIR     read journal files from DIR instead of the host journal
  --no-journal                do not follow the journal (the journal source shows as deliberately off)
  --node-facts=MODE           auto: systeminformation when --root is /, none otherwise (default);
                              mounted: --root is this node's file system (DaemonSet): kernel from
                              uname, OS from <root>/etc/os-release, GPUs from /sys/bus/pci; off
  --crio-socket=PATH          CRI-O socket, a host path opened under --root (default ${DEFAULT_CRIO_SOCKET})
  --crio-poll-interval=DUR    how often the socket is read (default 15s)
  --node-name=NAME            node name (default $NODE_NAME, else the host name)
${thresholdHelp('2m; 20s with --demo')}
  --log.level=LEVEL           debug|info|warn|error (default info; alias --log-level)
  --log.format=FORMAT         logfmt|json (default logfmt; alias --log-format)
  --demo                      run against the bundled example node (or the node tree given with --root)
                              and replay the bundled incident
  --help, --version
`;

/** Parse `run` argv. `env` and `hostname` are injected so that tests need no process globals. */
export function parseRunFlags(argv: string[], env: Record<string, string | undefined>, hostname: string): RunFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message.split('\n')[0] ?? String(err) : String(err));
  }
  const str = (k: keyof typeof OPTIONS): string | undefined => {
    const v = values[k];
    return typeof v === 'string' ? v : undefined;
  };
  /** node_exporter's spelling, or its older alias (errors name the one given); both given must agree */
  const aliased = (name: 'log.level' | 'log.format', alias: 'log-level' | 'log-format'): { value: string | undefined; flag: string } => {
    const a = str(name);
    const b = str(alias);
    if (a !== undefined && b !== undefined && a !== b) throw new UserError(`--${name} "${a}" and its alias --${alias} "${b}" disagree`);
    return { value: a ?? b, flag: a === undefined && b !== undefined ? alias : name };
  };
  const logLevel = aliased('log.level', 'log-level');
  const logFormat = aliased('log.format', 'log-format');
  const demo = values.demo === true;
  const root = str('root') ?? '/';
  if (root === '') throw new UserError('--root: must not be empty');
  const crioVersion = str('crio-version') ?? null;
  if (crioVersion !== null && !/^v?\d+\.\d+(\.\d+)?([-+.].*)?$/.test(crioVersion)) {
    throw new UserError(`--crio-version: expected X.Y.Z, got "${crioVersion}"`);
  }
  const nodeName = str('node-name') ?? (env.NODE_NAME && env.NODE_NAME !== '' ? env.NODE_NAME : hostname);
  return {
    listen: parseListenAddress(str('web.listen-address') ?? (demo ? '127.0.0.1:20260' : DEFAULT_LISTEN)),
    webConfigFile: str('web.config.file') ?? null,
    root,
    rootGiven: str('root') !== undefined,
    config: str('config'),
    configDir: str('config-dir'),
    crioVersion: crioVersion === null ? null : crioVersion.replace(/^v/, ''),
    stateDir: str('state-dir') ?? DEFAULT_STATE_DIR,
    journalDirectory: str('journal-directory') ?? null,
    noJournal: values['no-journal'] === true,
    nodeFacts: oneOf(str('node-facts') ?? 'auto', ['auto', 'mounted', 'off'] as const, 'node-facts'),
    crioSocket: str('crio-socket') ?? DEFAULT_CRIO_SOCKET,
    crioPollMs: parseDuration(str('crio-poll-interval') ?? '15s', 'crio-poll-interval'),
    nodeName,
    // the demo incident is short: a pod counts as stuck after 20 s there (unless given)
    thresholds: parseThresholdFlags(
      { 'stuck-threshold': str('stuck-threshold'), 'exec-loop-count': str('exec-loop-count'), 'exec-loop-window': str('exec-loop-window'), 'exec-loop-quiet': str('exec-loop-quiet') },
      demo ? '20s' : '2m',
    ),
    logLevel: oneOf(logLevel.value ?? 'info', ['debug', 'info', 'warn', 'error'] as const, logLevel.flag),
    logFormat: oneOf(logFormat.value ?? 'logfmt', ['logfmt', 'json'] as const, logFormat.flag),
    demo,
    help: values.help === true,
    version: values.version === true,
  };
}
