/**
 * Child-process entry points of the benchmarks, so that each measured path runs alone in its own
 * process and its CPU time (and that of the journalctl it spawns) can be accounted exactly.
 *
 *   node dist/bench/workers.js follow-export  --dir D [--no-stdbuf]  journalctl -o export + parser + classifier + correlator
 *   node dist/bench/workers.js naive-json     --dir D     journalctl -o json + JSON.parse + every regex on every entry
 *   node dist/bench/workers.js generate-export --entries N --containers C   export bytes on stdout (memory-10m's input)
 *   node --expose-gc dist/bench/workers.js memory-stream --half N       export on stdin -> parser -> pipeline, RSS at N and at the end
 *
 * Each prints one JSON line with what it saw (so a run that silently did nothing is visible).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { JournalEntry, SkipReason } from '../src/journal/entry.js';
import { createMessagePrefilter } from '../src/events/classifier.js';
import { createEventPipeline } from '../src/events/pipeline.js';
import { FOLLOW_MATCHES, readJournalDirectory } from '../src/journal/journalctl.js';
import type { JournalSink } from '../src/journal/sink.js';
import { createExportParser } from '../src/journal/export-parser.js';
import { writeJournalStream } from './generate.js';
import { jsonMessage, naiveMatch } from './naive.js';
import { evaluateFindings } from '../src/findings/engine.js';

function pipelineSink(): { sink: JournalSink; pipeline: ReturnType<typeof createEventPipeline>; skipped: Partial<Record<SkipReason, number>> } {
  let last = 0;
  const pipeline = createEventPipeline({ clock: () => last, config: null });
  const skipped: Partial<Record<SkipReason, number>> = {};
  const sink: JournalSink = {
    entry(e: JournalEntry) {
      last = Math.floor(e.realtimeUs / 1000);
      pipeline.ingest(e);
    },
    skip(reason) {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
    },
  };
  return { sink, pipeline, skipped };
}

function summary(p: ReturnType<typeof createEventPipeline>): Record<string, unknown> {
  const at = p.lastEntryAtMs() ?? 0;
  const snap = p.snapshot(at);
  const st = p.stats();
  return {
    entries: snap.entries,
    events: st.classifier.events,
    killFailureContainers: snap.totals.killFailures.total,
    killFailures: snap.totals.killFailures.failures,
    stopRpcFailures: snap.stopRpcFailures,
    execContainers: snap.totals.execPermissionDenied.total,
    stuck: snap.totals.stuckTerminating.total,
    timeline: snap.defaultRuntimeTimeline.length,
    findings: evaluateFindings({ events: p.findingsSource(at) }).map((f) => f.id),
  };
}

async function followExport(dir: string, stdbuf: boolean): Promise<Record<string, unknown>> {
  const { sink, pipeline, skipped } = pipelineSink();
  // the daemon's follower options: the classifier's prefilter drops lines no pattern can use before
  // decoding; journalctl under stdbuf as the follower runs it (--no-stdbuf: journalctl's own 4 KiB writes)
  const r = await readJournalDirectory(dir, sink, { wantMessage: createMessagePrefilter(), ...(stdbuf ? {} : { stdbuf: null }) });
  return { ...summary(pipeline), parserEntries: r.entries, skipped };
}

async function naiveJson(dir: string, journalctl: string): Promise<Record<string, unknown>> {
  const child = spawn(journalctl, [`--directory=${dir}`, '--output=json', '--all', '--no-pager', ...FOLLOW_MATCHES], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  let entries = 0;
  let matches = 0;
  let bad = 0;
  for await (const line of rl) {
    if (line.length === 0) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      entries++;
      matches += naiveMatch(jsonMessage(o.MESSAGE));
    } catch {
      bad++;
    }
  }
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('close', resolve)));
  return { entries, matches, bad, journalctlExit: code };
}

/**
 * The daemon's own path for memory: export bytes arrive on stdin (from a separate generator process,
 * as they arrive from journalctl), are parsed with the follower's parser options (the classifier's
 * prefilter) and fed to the event pipeline. RSS is read after forced GCs at half and at the end,
 * so the generator's allocations are not counted against the daemon.
 */
async function memoryStream(half: number): Promise<Record<string, unknown>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const { sink, pipeline } = pipelineSink();
  const points: { entries: number; rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; seconds: number }[] = [];
  const t0 = process.hrtime.bigint();
  const measure = (n: number): void => {
    gc();
    gc();
    const m = process.memoryUsage();
    points.push({ entries: n, rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
  };
  gc();
  const base = process.memoryUsage().rss;
  const parser = createExportParser(sink, { wantMessage: createMessagePrefilter() });
  let measuredHalf = false;
  for await (const chunk of process.stdin) {
    parser.push(chunk as Buffer);
    if (!measuredHalf && parser.stats().records >= half) {
      measuredHalf = true;
      measure(parser.stats().records);
    }
  }
  parser.end();
  measure(parser.stats().records);
  return { baseRssBytes: base, points, parser: parser.stats(), pipeline: summary(pipeline), stats: pipeline.stats().correlator };
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      entries: { type: 'string', default: '10000000' },
      containers: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '20260' },
      half: { type: 'string', default: '5000000' },
      journalctl: { type: 'string', default: 'journalctl' },
      'no-stdbuf': { type: 'boolean', default: false },
    },
  });
  let out: Record<string, unknown>;
  if (cmd === 'follow-export' && values.dir) out = await followExport(values.dir, !values['no-stdbuf']);
  else if (cmd === 'naive-json' && values.dir) out = await naiveJson(values.dir, values.journalctl);
  else if (cmd === 'memory-stream') out = await memoryStream(Number(values.half));
  else if (cmd === 'generate-export') {
    await writeJournalStream({ entries: Number(values.entries), containers: Number(values.containers), seed: Number(values.seed), stepUs: 3_600 }, 'export', process.stdout);
    return 0;
  } else {
    process.stderr.write('usage: workers.js follow-export --dir D [--no-stdbuf] | naive-json --dir D | generate-export --entries N --containers C | memory-stream --half N\n');
    return 3;
  }
  process.stderr.write(JSON.stringify(out) + '\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (err: unknown) => {
    process.stderr.write(`workers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
