/**
 * `crio-sentinel pods`: what happens to each running pod if CRI-O restarts now.
 * One CRI poll (gRPC on CRI-O's socket), one read of the runtime roots, the files, GET /config;
 * then the container model (src/containers/model.ts) and its findings.
 * Exit status: 0 no container at risk, 1 warning, 2 critical, 3 could not run (usage, CRI-O down).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Finding, LiveCrio } from '../core/contracts.js';
import { VERSION } from '../core/version.js';
import { createHostFileView } from '../config/host-file-view.js';
import { readWrapperConfig, resolveWrapperBinary } from '../config/nvidia.js';
import { resolveConfig } from '../config/resolve.js';
import { summarizeCrioToml } from '../config/summarize.js';
import { podLabel, podsThatWillMove, shortId, type PodThatWillMove } from '../containers/model.js';
import type { ContainerModel, ContainerView, RuntimeDriver } from '../containers/types.js';
import { createCriClient } from '../cri/client.js';
import { modelOf, pollCriSafely, readRuntimeStateSafely } from '../cri/collect.js';
import { exitStatusFor } from '../findings/catalogue.js';
import { evaluateFindings } from '../findings/engine.js';
import { createCrioClient } from '../live/crio-client.js';
import { createBoundedLister } from '../live/runtime-state.js';
import { DEFAULT_CRIO_SOCKET } from '../daemon/flags.js';
import { parseConfigOptions } from './check.js';
import { scan } from './scan.js';
import { createMessagePrefilter } from '../events/classifier.js';
import { readJournalDirectory } from '../journal/journalctl.js';
import type { EventSnapshot } from '../core/contracts.js';

export const PODS_USAGE = `usage: crio-sentinel pods [options]

What happens to each running pod if CRI-O restarts now: for every container, the runtime root
that holds it (created by), the runtime CRI-O drives it with now, and the one the files make it
after the next CRI-O start; containers at risk are named. Read-only: CRI read RPCs, GET /config,
the runtime roots' state files.

options:
  --root DIR              host file system root (default /)
  --config FILE           CRI-O's --config (default /etc/crio/crio.conf)
  --config-dir DIR        CRI-O's --config-dir (default /etc/crio/crio.conf.d)
  --crio-socket PATH      CRI-O's socket, a host path opened under --root (default ${DEFAULT_CRIO_SOCKET})
  --timeout DUR_MS        deadline of each CRI call in milliseconds (default 2000)
  --journal-directory DIR read CRI-O's journal there (journalctl --directory, this boot) for the default
                          CRI-O's runtime layer uses now. Without it, GET /config's default is taken:
                          after a SIGHUP CRI-O 1.32 shows the new default there but keeps driving
                          containers with the old one until it restarts (docs/crio-lab.md (b)).
  --since TIME            with --journal-directory: journalctl --since (default: the newest 200 000 entries)
  --crio-version V        CRI-O version for the config engine (default: detected)
  --default-runtime, --runtimes, --env   CRI-O's flags and environment, as for check
  --output text|json      output format (default text); json is the "pods JSON" contract (README)
  -h, --help              this help

exit status: 0 no container at risk, 1 warning, 2 critical, 3 could not run`;

/** The `pods --output json` contract (README "pods JSON"). */
export interface PodsReport {
  version: string;
  generatedAt: string;
  crio: {
    socket: string;
    runtimeName: string | null;
    runtimeVersion: string | null;
    /** GET /config on the socket: null when read, else the error */
    configError: string | null;
  };
  model: ContainerModel;
  /** pods whose handler resolution changes at the next CRI-O start */
  movingPods: PodThatWillMove[];
  /** the container findings (catalogue ids containers-*, container-*) */
  findings: Finding[];
  exitStatus: 0 | 1 | 2;
}

function driverText(d: RuntimeDriver | null): string {
  if (!d) return '?';
  if (!d.known) return `${d.handler} (no such handler)`;
  const bin = d.binary ?? d.runtimePath ?? '?';
  return `${d.handler}: ${bin.split('/').pop()} ${d.root ?? '?'}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function renderPodsText(r: PodsReport): string {
  const m = r.model;
  const out: string[] = [];
  out.push(
    `CRI-O ${r.crio.runtimeVersion ?? '?'} on ${r.crio.socket}: default runtime now "${m.defaultNow.handler ?? '?'}", after the next start "${m.defaultAfterRestart ?? '?'}" (files)`,
  );
  const rows: string[][] = [['POD', 'CONTAINER', 'ID', 'STATE', 'HANDLER', 'CREATED BY', 'DRIVEN NOW', 'AFTER NEXT START', 'RISK']];
  const risky = (v: ContainerView): boolean => v.risks.length > 0;
  const shown = m.containers.filter((v) => v.state !== 'exited' || risky(v));
  for (const v of shown) {
    rows.push([
      podLabel(v.pod),
      v.name ?? '?',
      shortId(v.id),
      v.state,
      v.handler === null ? '?' : v.handler === '' ? '(default)' : v.handler,
      v.createdBy ? `${v.createdBy.family} ${v.createdBy.root}${v.createdBy.alive === false ? ' (dead)' : ''}` : '-',
      driverText(v.drivenNow),
      driverText(v.drivenAfterRestart),
      v.risks.length ? v.risks.join(',') : 'ok',
    ]);
  }
  out.push('');
  out.push(shown.length ? table(rows) : 'No running container.');
  const hidden = m.containers.length - shown.length;
  if (hidden > 0) out.push(`(${hidden} exited container(s) without risk not shown)`);
  if (m.containersTruncated) out.push(`(list cut at ${m.containers.length} of ${m.counts.total} containers)`);
  out.push('');
  const c = m.counts;
  out.push(
    `${c.total} container(s): ${Object.entries(c.byState)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ') || 'none'}; at risk: ${c.atRiskTotal}`,
  );
  const moving = r.movingPods;
  if (moving.length) out.push(`pods that move at the next CRI-O start: ${moving.map((p) => `${podLabel(p)} (${p.from ?? '?'} -> ${p.to ?? '?'}${p.atRisk ? ', at risk' : ''})`).join(', ')}`);
  for (const f of r.findings) {
    out.push('');
    out.push(`${f.severity.toUpperCase()} ${f.id}: ${f.summary}`);
    for (const e of f.evidence) out.push(`  - ${e}`);
    out.push(`  what to do: ${f.remediation}`);
  }
  if (m.notes.length) {
    out.push('');
    for (const n of m.notes) out.push(`note: ${n}`);
  }
  return out.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const opts = await parseConfigOptions(argv, {
    'crio-socket': { type: 'string' },
    timeout: { type: 'string' },
    'journal-directory': { type: 'string' },
    since: { type: 'string' },
  });
  if (opts.help) {
    process.stdout.write(PODS_USAGE + '\n');
    return 0;
  }
  const socketHost = String(opts.values['crio-socket'] ?? DEFAULT_CRIO_SOCKET);
  const timeoutText = opts.values.timeout as string | undefined;
  const timeoutMs = timeoutText === undefined ? 2000 : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UserError(`--timeout wants milliseconds, got "${timeoutText}"`);
  const socket = opts.root === '/' ? socketHost : path.join(opts.root, socketHost);
  const view = createHostFileView(opts.root);
  const report = resolveConfig(opts.inputs, view);

  let live: LiveCrio;
  let configError: string | null = null;
  try {
    const sum = summarizeCrioToml(await createCrioClient({ socketPath: socket, timeoutMs }).getConfig());
    live = { source: 'api', defaultRuntime: sum.defaultRuntime, runtimes: sum.runtimes, info: null, process: null, lastError: null };
  } catch (e) {
    configError = e instanceof Error ? e.message : String(e);
    live = { source: 'none', defaultRuntime: null, runtimes: null, info: null, process: null, lastError: configError };
  }
  const client = createCriClient({ socketPath: socket, timeoutMs });
  const cri = await pollCriSafely(client);
  client.close();
  if (!cri.snapshot) {
    process.stderr.write(`crio-sentinel pods: CRI-O does not answer on ${socketHost} (${cri.errorKind}): ${cri.error}\n`);
    return 3;
  }
  let events: EventSnapshot | null = null;
  const journalDir = opts.values['journal-directory'] as string | undefined;
  if (journalDir !== undefined) {
    const since = opts.values.since as string | undefined;
    const r = await scan({
      config: report,
      read: (sink) => readJournalDirectory(journalDir, sink, { ...(since ? { since } : { lines: 200_000 }), wantMessage: createMessagePrefilter(), timeoutMs: 60_000 }),
    });
    events = r.snapshot;
  }
  const wrapperBinary = resolveWrapperBinary(view, readWrapperConfig(view));
  const rt = readRuntimeStateSafely(view, report, live, wrapperBinary, createBoundedLister(opts.root));
  const model = modelOf(Date.now(), cri.snapshot, rt.snapshot, report, live, events, wrapperBinary);
  if (!events && live.source === 'api') {
    model.notes.push('"driven now" uses GET /config\'s default; after a SIGHUP CRI-O keeps driving the old default until it restarts (give --journal-directory to read it from the journal)');
  }
  if (rt.error) model.notes.push(`runtime roots: ${rt.error}`);
  if (configError) model.notes.push(`GET /config: ${configError}`);
  // the same engine as the daemon, with the container model as the only source: exit 0/1/2 says
  // whether a container is at risk (the files' own findings are `check`'s)
  const findings = evaluateFindings({ containers: model });
  const exitStatus = exitStatusFor(findings);
  const out: PodsReport = {
    version: VERSION,
    generatedAt: model.generatedAt,
    crio: { socket: socketHost, runtimeName: cri.snapshot.runtimeName, runtimeVersion: cri.snapshot.runtimeVersion, configError },
    model,
    movingPods: podsThatWillMove(model),
    findings,
    exitStatus,
  };
  process.stdout.write(opts.output === 'json' ? JSON.stringify(out, null, 2) + '\n' : renderPodsText(out));
  return exitStatus;
}
