/**
 * Journal input from a file or standard input ('-'), for hosts without a journal and for
 * post-mortems (`scan`). The format is detected from the first bytes:
 *   '{'                          -> JSON lines (journalctl -o json)
 *   `NAME=` / `NAME\n` field     -> export (journalctl -o export)
 *   anything else                -> plain text lines (see text-parser.ts)
 * Input is streamed; memory stays bounded whatever the file size.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Clock } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { createExportParser } from './export-parser.js';
import { createJsonParser } from './json-parser.js';
import type { JournalSink, ParserOptions, ParserStats, StreamParser } from './sink.js';
import { createTextParser } from './text-parser.js';

export type JournalFormat = 'export' | 'json' | 'text';

export interface ReadFileOptions extends ParserOptions {
  /** clock for the year of yearless text timestamps; default Date.now */
  clock?: Clock;
  /** force a format instead of detecting it */
  format?: JournalFormat;
  /** the stream read for '-'; default process.stdin */
  stdin?: Readable;
}

export interface ReadResult {
  format: JournalFormat;
  entries: number;
  skipped: Record<string, number>;
  stats: ParserStats;
}

const FIELD_LINE = /^[A-Z_][A-Z0-9_]{0,63}(=|\n)/;

/** Detect the format from the first bytes of the input (at least the first line when possible). */
export function detectFormat(head: Buffer): JournalFormat {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x7b /* { */) return 'json';
  const firstLine = head.toString('latin1', i, Math.min(head.length, i + 80));
  if (FIELD_LINE.test(firstLine)) return 'export';
  return 'text';
}

export function createParser(format: JournalFormat, sink: JournalSink, opts: ParserOptions & { clock?: Clock }): StreamParser {
  if (format === 'export') return createExportParser(sink, opts);
  if (format === 'json') return createJsonParser(sink, opts);
  return createTextParser(sink, { ...opts, clock: opts.clock ?? Date.now });
}

/** Read a whole journal file (or stdin for '-') into the sink. Throws UserError when the file cannot be read. */
export async function readJournalFile(pathOrDash: string, sink: JournalSink, opts: ReadFileOptions = {}): Promise<ReadResult> {
  const label = pathOrDash === '-' ? 'standard input' : pathOrDash;
  const stream: Readable =
    pathOrDash === '-' ? (opts.stdin ?? process.stdin) : createReadStream(pathOrDash, { highWaterMark: 256 * 1024 });
  let parser: StreamParser | null = opts.format ? createParser(opts.format, sink, opts) : null;
  let head: Buffer[] = [];
  let headLen = 0;
  let format: JournalFormat | null = opts.format ?? null;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      if (parser !== null) {
        parser.push(buf);
        continue;
      }
      head.push(buf);
      headLen += buf.length;
      const joined = head.length === 1 ? buf : Buffer.concat(head, headLen);
      // decide once a first line (or 4 KiB) is there
      if (joined.indexOf(0x0a) < 0 && headLen < 4096) {
        head = [joined];
        continue;
      }
      format = detectFormat(joined);
      parser = createParser(format, sink, opts);
      parser.push(joined);
      head = [];
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UserError(`cannot read journal ${label}: ${code ?? (err instanceof Error ? err.message : String(err))}`);
  }
  if (parser === null) {
    const joined = Buffer.concat(head, headLen);
    format = detectFormat(joined);
    parser = createParser(format, sink, opts);
    parser.push(joined);
  }
  parser.end();
  const stats = parser.stats();
  return { format: format ?? 'text', entries: stats.entries, skipped: { ...stats.skipped } as Record<string, number>, stats };
}
