/**
 * `crio-sentinel scan` — offline incident analysis of a journal: the daemon's event pipeline fed
 * from a file, stdin or a journal directory, evaluated once (at the last entry, or --at).
 *
 *   journalctl -o export --since -2h | crio-sentinel scan -
 *   crio-sentinel scan --journal incident.jsonl --output json
 *   crio-sentinel scan --journal-directory /var/log/journal --since "2025-11-28 10:00" --root /
 *
 * Exit status as for `check`: 0 no finding above info, 1 warning, 2 critical, 3 could not run.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../core/errors.js';
import type { ConfigInputs } from '../config/inputs.js';
import type { ConfigReport, EventSnapshot, Finding, ListTotal } from '../core/contracts.js';
import { createMessagePrefilter } from '../events/classifier.js';
import { createEventPipeline, type EventPipelineOptions } from '../events/pipeline.js';
import { exitStatusFor } from '../findings/catalogue.js';
import { evaluateFindings } from '../findings/engine.js';
import { THRESHOLD_OPTIONS, parseThresholdFlags, thresholdHelp } from '../events/thresholds.js';
import { readJournalFile, type ReadResult } from '../journal/file-source.js';
import { readJournalDirectory, type ReadDirectoryOptions } from '../journal/journalctl.js';
import type { JournalSink } from '../journal/sink.js';

const HELP = `usage: crio-sentinel scan [FILE | -] [options]

Offline incident analysis: classify CRI-O, kubelet, conmon and kernel AppArmor journal entries,
correlate them (kill failures, stop RPC failures, exec permission-denied loops, pods stuck
Terminating, default-runtime timeline) and print the findings.

input (one of):
  FILE | -                     journal export (-o export), JSON lines (-o json) or text lines; - = stdin
  --journal FILE               same as the positional FILE
  --journal-directory DIR      run journalctl --directory=DIR -o export (not following; crio, kubelet,
                               conmon, kernel and PID 1 lines)
  --since TIME, --until TIME   passed to journalctl with --journal-directory

config (seeds the default-runtime timeline with what the files say; read only when one is given):
  --root DIR                   host root of the CRI-O config files
  --config FILE                CRI-O main config (default /etc/crio/crio.conf)
  --config-dir DIR             CRI-O drop-in directory (default /etc/crio/crio.conf.d)
  --crio-version X.Y.Z         CRI-O version for version-dependent rules

evaluation (the same flags and units as \`run\`):
  --at TIME                    evaluate at this ISO 8601 time, ignoring later entries (default: the last entry)
${thresholdHelp('2m')}

output:
  --output text|json           (default text)

exit status: 0 ok/info, 1 warning, 2 critical, 3 could not run`;

async function loadConfig(v: { root?: string; config?: string; 'config-dir'?: string; 'crio-version'?: string }): Promise<ConfigReport | null> {
  if (v.root === undefined && v.config === undefined && v['config-dir'] === undefined) return null;
  const root = v.root ?? '/';
  try {
    const st = statSync(root);
    if (!st.isDirectory()) throw new UserError(`--root ${root}: not a directory`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`--root ${root}: ${(err as { code?: string }).code ?? String(err)}`);
  }
  const cfg = await import('../config/index.js');
  const view = cfg.createHostFileView(root);
  const inputs: ConfigInputs = { crioVersion: v['crio-version'] ?? cfg.readVersionHint(root) ?? (await cfg.detectHostCrioVersion(root)) };
  if (v.config !== undefined) inputs.config = v.config;
  if (v['config-dir'] !== undefined) inputs.configDir = v['config-dir'];
  return cfg.resolveConfig(inputs, view);
}

/** Read a journal directory once through journalctl (src/journal), after checking it exists. */
async function readDirectory(
  dir: string,
  sink: JournalSink,
  since: string | undefined,
  until: string | undefined,
  want: ((raw: Buffer) => boolean) | undefined,
): Promise<ReadResult> {
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`--journal-directory ${dir}: not a directory`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`--journal-directory ${dir}: ${(err as { code?: string }).code ?? String(err)}`);
  }
  const opts: ReadDirectoryOptions = {};
  if (want) opts.wantMessage = want;
  if (since) opts.since = since;
  if (until) opts.until = until;
  return readJournalDirectory(dir, sink, opts);
}

export interface ScanResult {
  snapshot: EventSnapshot;
  findings: Finding[];
  at: number;
  read: ReadResult | null;
}

/** ", showing 200 of N" when a list was cut. */
function shownOf(t: ListTotal): string {
  return t.truncated ? `; showing ${t.shown} of ${t.total}` : '';
}

function renderText(r: ScanResult): string {
  const s = r.snapshot;
  const out: string[] = [];
  out.push(`crio-sentinel scan: ${s.entries} entries, evaluated at ${new Date(r.at).toISOString()}`);
  if (r.read) {
    const skipped = Object.entries(r.read.skipped).filter(([, n]) => n > 0);
    out.push(`input: ${r.read.format}${skipped.length ? `, skipped ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}`);
  }
  out.push(
    `CRI-O: version ${s.crio.version ?? 'unknown'}, last start ${s.crio.lastStartAt ?? 'not in the journal'}, ` +
      `configured default ${s.crio.configuredDefault ?? 'unknown'}, runtime-layer default ${s.crio.runtimeLayerDefault ?? 'unknown'}`,
  );
  out.push('', 'default runtime timeline:');
  if (s.defaultRuntimeTimeline.length === 0) out.push('  (no evidence)');
  for (const t of s.defaultRuntimeTimeline) out.push(`  ${t.at}  ${t.defaultRuntime.padEnd(10)} ${t.source}`);
  out.push('', `kill failures (${s.totals.killFailures.failures} in ${s.totals.killFailures.total} container(s)${shownOf(s.totals.killFailures)}):`);
  if (s.killFailures.length === 0) out.push('  none');
  for (const k of s.killFailures) {
    const who = k.namespace && k.pod ? ` ${k.namespace}/${k.pod}` : '';
    out.push(`  ${k.containerId.slice(0, 12)}${who}: ${k.count} x ${k.reason} via ${k.runtimePath ?? 'unknown runtime'}`);
  }
  out.push('', `stop RPC failures (kubelet StopContainer/StopPodSandbox): ${s.stopRpcFailures}`);
  out.push('', `exec permission denied (${s.totals.execPermissionDenied.failures} in ${s.totals.execPermissionDenied.total} container(s)${shownOf(s.totals.execPermissionDenied)}):`);
  if (s.execPermissionDenied.length === 0) out.push('  none');
  for (const e of s.execPermissionDenied) {
    const who = e.namespace && e.pod ? ` ${e.namespace}/${e.pod}${e.container ? `/${e.container}` : ''}` : '';
    out.push(`  ${e.containerId.slice(0, 12)}${who}: ${e.count} failure(s)${e.active ? ', LOOP going on' : e.loop ? ', loop detected (ended)' : ''}`);
  }
  out.push('', `pods stuck Terminating (${s.totals.stuckTerminating.stuck} still stuck, ${s.totals.stuckTerminating.total} in all${shownOf(s.totals.stuckTerminating)}):`);
  if (s.stuckTerminating.length === 0) out.push('  none');
  for (const p of s.stuckTerminating) {
    const who = p.namespace && p.pod ? `${p.namespace}/${p.pod}` : `container ${p.containerIds[0]?.slice(0, 12)}`;
    out.push(
      `  ${who}${p.podUID ? ` (${p.podUID})` : ''}: first stop ${p.firstStopAt}, ${p.resolved ? `resolved after ${p.stuckSeconds} s` : `STILL STUCK after ${p.stuckSeconds} s`}; containers ${p.containerIds.map((c) => c.slice(0, 12)).join(', ')}`,
    );
  }
  out.push('', `findings (${r.findings.length}):`);
  if (r.findings.length === 0) out.push('  none');
  for (const f of r.findings) {
    out.push(`  [${f.severity.toUpperCase()}] ${f.id}: ${f.summary}`);
    for (const e of f.evidence) out.push(`      - ${e.length > 400 ? e.slice(0, 400) + '…' : e}`);
    out.push(`      fix: ${f.remediation}`);
  }
  return out.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      journal: { type: 'string' },
      'journal-directory': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      root: { type: 'string' },
      config: { type: 'string' },
      'config-dir': { type: 'string' },
      'crio-version': { type: 'string' },
      at: { type: 'string' },
      ...THRESHOLD_OPTIONS,
      output: { type: 'string', short: 'o', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (v.output !== 'text' && v.output !== 'json') throw new UserError(`--output must be text or json, got "${v.output}"`);
  if (positionals.length > 1) throw new UserError(`expected at most one input, got ${positionals.length}: ${positionals.join(' ')}`);
  const inputs = [positionals[0], v.journal, v['journal-directory']].filter((x) => x !== undefined);
  if (inputs.length === 0) throw new UserError('no input: give a journal FILE, - for stdin, --journal FILE or --journal-directory DIR (see --help)');
  if (inputs.length > 1) throw new UserError('give only one of FILE, --journal and --journal-directory');
  if ((v.since || v.until) && !v['journal-directory']) throw new UserError('--since/--until apply to --journal-directory; filter a file with journalctl before piping it');
  let atMs: number | null = null;
  if (v.at !== undefined) {
    atMs = Date.parse(v.at);
    if (!Number.isFinite(atMs)) throw new UserError(`--at: not an ISO 8601 time: "${v.at}"`);
  }
  const thresholds = parseThresholdFlags(v);

  const config = await loadConfig(v);
  // drop messages no pattern can use before they are decoded (not with --at: entries are counted by time then)
  const want = atMs === null ? createMessagePrefilter() : undefined;
  const result = await scan({
    config,
    thresholds,
    atMs,
    read: (sink) =>
      v['journal-directory'] !== undefined
        ? readDirectory(v['journal-directory'], sink, v.since, v.until, want)
        : readJournalFile((positionals[0] ?? v.journal)!, sink, want ? { wantMessage: want } : {}),
  });
  process.stdout.write(v.output === 'json' ? JSON.stringify(toJson(result), null, 2) + '\n' : renderText(result));
  return exitStatusFor(result.findings);
}

/** The scan JSON contract: the event snapshot plus every finding the engine raises from the journal and files. */
export type ScanJson = EventSnapshot & { findings: Finding[] };

export function toJson(r: ScanResult): ScanJson {
  return { ...r.snapshot, findings: r.findings };
}

/** The scan itself, separated from argument parsing and printing (used by tests). */
export async function scan(opts: {
  config: ConfigReport | null;
  thresholds?: EventPipelineOptions['thresholds'];
  atMs?: number | null;
  read: (sink: JournalSink) => Promise<ReadResult>;
}): Promise<ScanResult> {
  const pipeline = createEventPipeline({ clock: Date.now, config: opts.config, thresholds: opts.thresholds });
  // --at: the node as it was then; later entries are not ingested
  const limitUs = opts.atMs !== undefined && opts.atMs !== null ? opts.atMs * 1000 : Infinity;
  const read = await opts.read({
    entry: (e) => {
      if (e.realtimeUs <= limitUs) pipeline.ingest(e);
    },
    skip: () => {
      // counted by the parser (ReadResult.skipped)
    },
  });
  const at = opts.atMs ?? pipeline.lastEntryAtMs() ?? Date.now();
  const events = pipeline.findingsSource(at);
  const snapshot = events.snapshot;
  // entries the parser's prefilter dropped were read too (they just cannot match any pattern)
  snapshot.entries += read.stats.filtered;
  // the same engine the daemon runs, with the sources a post-mortem has: the files and the journal
  const findings = evaluateFindings({ config: opts.config, events });
  return { snapshot, findings, at, read };
}
