/**
 * `crio-sentinel run` — the daemon. This module is the edge: flags, process globals, signals,
 * stdout/stderr, systeminformation and /proc. The wiring itself is src/daemon/daemon.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import si from 'systeminformation';
import { detectHostCrioVersion } from '../config/index.js';
import { VERSION } from '../core/version.js';
import { createDaemon, DaemonStoppedError, eventPipelineFactory, journalFollowerFactory, type Daemon, type DaemonDeps } from '../daemon/daemon.js';
import { demoDeps } from '../daemon/demo.js';
import { parseRunFlags, RUN_USAGE, type RunFlags } from '../daemon/flags.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { loadWebConfig, tlsServerOptions } from '../daemon/web-config.js';
import { procSocketHolders } from '../live/proc-sockets.js';
import type { ProcessRecord } from '../live/process.js';

/** Stop must finish within this; then the process exits anyway. */
const STOP_DEADLINE_MS = 1800;

export function systemDeps(flags: RunFlags): Pick<DaemonDeps, 'listProcesses' | 'readProcFile' | 'socketHolders' | 'nodeFacts' | 'mountedFacts' | 'detectCrioVersion'> {
  return {
    listProcesses: async (): Promise<ProcessRecord[]> => (await si.processes()).list,
    readProcFile: (pid, name) => {
      try {
        return fs.readFileSync(`/proc/${pid}/${name}`);
      } catch {
        return null;
      }
    },
    socketHolders: (socketPath, pids) => procSocketHolders(socketPath, pids),
    nodeFacts: { osInfo: () => si.osInfo(), graphics: () => si.graphics() },
    mountedFacts: {
      kernel: () => os.release(),
      readText: (p) => {
        try {
          return fs.readFileSync(p, 'utf8');
        } catch {
          return null;
        }
      },
      listDir: (p) => {
        try {
          return fs.readdirSync(p);
        } catch {
          return [];
        }
      },
    },
    detectCrioVersion: (root) => (flags.crioVersion ? Promise.resolve(flags.crioVersion) : detectHostCrioVersion(root)),
  };
}

function installSignals(daemon: Daemon, log: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onStop = (sig: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal: sig });
      const deadline = setTimeout(() => {
        log.warn('stop deadline reached; exiting', { deadline_ms: STOP_DEADLINE_MS });
        resolve(0);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      daemon.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          log.error('stop failed', { err: err instanceof Error ? err.message : String(err) });
          clearTimeout(deadline);
          resolve(0);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', () => {
      void daemon.reload().catch((err: unknown) => log.error('reload failed', { err: err instanceof Error ? err.message : String(err) }));
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const flags = parseRunFlags(argv, process.env, os.hostname());
  if (flags.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`crio-sentinel ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const clock = (): number => Date.now();
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat, clock, write: (l) => process.stderr.write(l) });
  const webFile = flags.webConfigFile;
  const webConfig = webFile ? loadWebConfig(webFile) : null;
  // read the TLS files now: a missing, special (FIFO, device) or oversized file fails before anything starts
  if (webConfig?.tls) tlsServerOptions(webConfig.tls);
  // SIGHUP re-reads the web config file (users, headers, certificates)
  const reloadWebConfig = webFile ? { loadWebConfig: () => loadWebConfig(webFile) } : {};

  // A fault in one source must never take the daemon down: log it and carry on.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection (caught)', { err: reason instanceof Error ? reason.message : String(reason) });
  });

  let deps: DaemonDeps;
  let banner: (url: string) => string;
  if (flags.demo) {
    const d = await demoDeps(flags, { clock, log });
    deps = { ...d.deps, webConfig, ...reloadWebConfig };
    banner = (url) => `crio-sentinel demo: open ${url}\n`;
  } else {
    deps = { flags, clock, log, webConfig, ...reloadWebConfig, ...systemDeps(flags), createPipeline: eventPipelineFactory, createJournal: journalFollowerFactory };
    banner = (url) => `crio-sentinel: listening on ${url}\n`;
  }
  const daemon = createDaemon(deps);
  const done = installSignals(daemon, log);
  let url: string;
  try {
    ({ url } = await daemon.start());
  } catch (err) {
    // a SIGTERM during start: the stop under way closes what start opened; exit as a stop does
    if (err instanceof DaemonStoppedError) return done;
    // e.g. the address is in use: release the sources so that the process can exit with status 3
    await daemon.stop();
    throw err;
  }
  process.stdout.write(banner(url));
  log.info('started', { url, node: deps.flags.nodeName, root: deps.flags.root, demo: flags.demo });
  return done;
}
