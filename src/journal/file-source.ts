/**
 * Journal input from a file or standard input ('-'), for hosts without a journal and for
 * post-mortems (`scan`). The format is detected from the first bytes:
 *   '{'                          -> JSON lines (journalctl -o json)
 *   `NAME=` / `NAME\n` field     -> export (journalctl -o export)
 *   anything else                -> plain text lines (see text-parser.ts)
 * Input is streamed; memory stays bounded whatever the file size.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Clock } from '../core/clock.js';
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

const CHUNK = 1024 * 1024;
/** yield to the event loop after this many bytes of synchronous reading */
const YIELD_EVERY = 32 * 1024 * 1024;

/**
 * The chunks of the input. A regular file is read with synchronous 1 MiB reads (no thread-pool
 * round trip per chunk: about a third of the time of a read stream on a cached file), yielding to
 * the event loop every 32 MiB; stdin, pipes and FIFOs are read as a stream.
 */
async function* chunksOf(pathOrDash: string, stdin: Readable | undefined): AsyncGenerator<Buffer> {
  if (pathOrDash === '-') {
    for await (const chunk of stdin ?? process.stdin) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    return;
  }
  const fd = openSync(pathOrDash, 'r');
  try {
    if (!fstatSync(fd).isFile()) {
      for await (const chunk of createReadStream('', { fd, autoClose: false, highWaterMark: CHUNK })) yield chunk as Buffer;
      return;
    }
    let sinceYield = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return;
      yield n === CHUNK ? buf : buf.subarray(0, n);
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Read a whole journal file (or stdin for '-') into the sink. Throws UserError when the file cannot be read. */
export async function readJournalFile(pathOrDash: string, sink: JournalSink, opts: ReadFileOptions = {}): Promise<ReadResult> {
  const label = pathOrDash === '-' ? 'standard input' : pathOrDash;
  let parser: StreamParser | null = opts.format ? createParser(opts.format, sink, opts) : null;
  let head: Buffer[] = [];
  let headLen = 0;
  let format: JournalFormat | null = opts.format ?? null;
  try {
    for await (const buf of chunksOf(pathOrDash, opts.stdin)) {
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
    // I/O errors (errno codes) are the user's; anything else (a consumer bug) stays an internal error
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) throw new UserError(`cannot read journal ${label}: ${code}`);
    throw err;
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
