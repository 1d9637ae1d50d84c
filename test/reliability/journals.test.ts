/**
 * Reliability campaign, journals (issue #11): mutated journal records in the three input formats
 * (journalctl -o export, -o json, plain text), run through the real parsers and the real event
 * pipeline in-process, and a sample of whole files through the built CLI's `scan`.
 *
 * Records are real lines (the bundled incident, examples/incidents/nvidia-default.jsonl) with a
 * unique timestamp each, written in small batches; in every batch one or two records are mutated:
 * truncated, cut at the end of the input, merged with the next (separator lost), binary bytes
 * inserted, bytes overwritten, replaced by random bytes, a huge MESSAGE, deep nesting, invalid
 * UTF-8, the cursor missing or duplicated, fields repeated, a garbage timestamp, a whole record
 * duplicated, and (export) a corrupt binary length. The oracle:
 * - no exception (crash), no batch slower than HANG_MS (hang);
 * - nothing lost silently: the parser's records = entries + skips (and every skip and entry reached
 *   the sink); for the line formats, records = the non-blank lines counted independently;
 * - no wrong answer: every unmutated record before the first mutated one is delivered exactly
 *   (timestamp, message, cursor, unit, identifier, pid); after it, an unmutated record may only be
 *   missing right after a mutated one that could swallow it (a lost separator; in export, a bad
 *   binary length), and then a skip must say so; entries that are no record's exact copy come only
 *   from mutated records; the pipeline ingests every entry delivered.
 * The figures are printed as `reliability: <class>: N inputs, …` (README, Reliability).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry, SkipReason } from '../../src/journal/entry.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { createExportParser } from '../../src/journal/export-parser.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { createJsonParser } from '../../src/journal/json-parser.js';
import { DEFAULT_MAX_FIELD_BYTES, type JournalSink, type StreamParser } from '../../src/journal/sink.js';
import { createTextParser, unitForIdentifier } from '../../src/journal/text-parser.js';
import { CLI, REPO } from '../helpers/daemon-process.js';
import { HANG_MS, createFigures, createPrng, type Figures, type Prng } from './harness.js';

type Format = 'export' | 'json' | 'text';
const FORMATS: Format[] = ['export', 'json', 'text'];
const SEED = Number(process.env.RELIABILITY_SEED ?? 20261202);
/** mutated records per format in-process (3 formats: >= 100 000 in all) */
const MUTATED_PER_FORMAT = Number(process.env.RELIABILITY_JOURNAL_RECORDS ?? 34_000);
/** files per format through the built CLI */
const CLI_FILES_PER_FORMAT = 6;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

interface Rec {
  cursor: string;
  us: number;
  unit: string | null;
  ident: string;
  pid: number | null;
  transport: string | null;
  message: string;
}

// ---------------------------------------------------------------- the seed corpus: real lines

function loadCorpus(): Omit<Rec, 'cursor' | 'us'>[] {
  const out: JournalEntry[] = [];
  const p = createJsonParser({ entry: (e) => void out.push(e), skip: () => {} });
  p.push(fs.readFileSync(path.join(REPO, 'examples/incidents/nvidia-default.jsonl')));
  p.end();
  if (out.length < 100) throw new Error('the bundled incident has too few entries for a corpus');
  return out.map((e) => ({ unit: e.unit, ident: e.identifier ?? 'crio', pid: e.pid, transport: e.transport, message: e.message }));
}

const CORPUS = loadCorpus();
const BASE_US = 1_795_787_000_000_000;
let serial = 0;

/** A clean record for one format: a unique timestamp and cursor; text gets what a text line can carry. */
function makeRec(rng: Prng, format: Format): Rec {
  const c = rng.pick(CORPUS);
  const n = serial++;
  const us = BASE_US + n * 7919;
  const rec: Rec = { cursor: `s=0feedbeef;i=${n.toString(16)};b=4509beb0;m=${n};t=${us.toString(16)};x=${(n * 2654435761) >>> 0}`, us, ...c };
  if (format === 'text') {
    // one line, no CR/LF; an identifier and unit as the text parser derives them
    rec.message = rec.message.replace(/[\r\n]/g, ' ');
    if (!/^[^\s[\]]+$/.test(rec.ident)) rec.ident = 'crio';
    const u = unitForIdentifier(rec.ident, rec.pid, rec.message);
    rec.unit = u.unit;
    rec.transport = u.transport;
  }
  return rec;
}

// ---------------------------------------------------------------- serialisers (with structural mutations)

interface Shape {
  omitCursor?: boolean;
  cursor?: string;
  dupCursor?: boolean;
  dupMessage?: boolean;
  timestamp?: string;
  /** raw MESSAGE bytes (export: binary field; text: raw bytes; JSON: a byte array) */
  messageBytes?: Buffer;
  /** JSON: the raw JSON text of MESSAGE */
  messageJson?: string;
  /** export: the binary length written for MESSAGE */
  binaryLength?: bigint;
}

function le64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, n));
  return b;
}

function isoUs(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().slice(0, 19) + '.' + String(us % 1_000_000).padStart(6, '0') + 'Z';
}

function exportBody(r: Rec, s: Shape, rng: Prng): Buffer {
  const parts: Buffer[] = [];
  const text = (name: string, v: string): void => void parts.push(Buffer.from(`${name}=${v}\n`));
  const binary = (name: string, v: Buffer, len = BigInt(v.length)): void => void parts.push(Buffer.from(`${name}\n`), le64(len), v, Buffer.from('\n'));
  if (!s.omitCursor) text('__CURSOR', s.cursor ?? r.cursor);
  if (s.dupCursor) text('__CURSOR', r.cursor + ';dup');
  text('__REALTIME_TIMESTAMP', s.timestamp ?? String(r.us));
  text('__MONOTONIC_TIMESTAMP', String(r.us % 1e9));
  text('_BOOT_ID', '4509beb0ab401d71fa4a5cd94a55c9a7');
  if (r.unit !== null) text('_SYSTEMD_UNIT', r.unit);
  text('SYSLOG_IDENTIFIER', r.ident);
  if (r.transport !== null) text('_TRANSPORT', r.transport);
  if (r.pid !== null) text('_PID', String(r.pid));
  const msg = s.messageBytes ?? Buffer.from(r.message);
  const asBinary = s.messageBytes !== undefined || s.binaryLength !== undefined || msg.includes(0x0a) || rng.chance(0.1);
  for (let i = 0; i < (s.dupMessage ? 2 : 1); i++) {
    if (asBinary) binary('MESSAGE', msg, s.binaryLength);
    else text('MESSAGE', msg.toString('latin1'));
  }
  return Buffer.concat(parts);
}

function jsonBody(r: Rec, s: Shape): Buffer {
  const o: Record<string, unknown> = {};
  if (!s.omitCursor) o.__CURSOR = s.dupCursor ? [r.cursor, r.cursor + ';dup'] : (s.cursor ?? r.cursor);
  o.__REALTIME_TIMESTAMP = s.timestamp ?? String(r.us);
  o._BOOT_ID = '4509beb0ab401d71fa4a5cd94a55c9a7';
  if (r.unit !== null) o._SYSTEMD_UNIT = r.unit;
  o.SYSLOG_IDENTIFIER = r.ident;
  if (r.transport !== null) o._TRANSPORT = r.transport;
  if (r.pid !== null) o._PID = String(r.pid);
  const MARK = '"@@MESSAGE@@"';
  if (s.messageJson !== undefined) o.MESSAGE = '@@MESSAGE@@';
  else if (s.messageBytes !== undefined) o.MESSAGE = [...s.messageBytes];
  else o.MESSAGE = s.dupMessage ? [r.message, r.message] : r.message;
  const text = JSON.stringify(o);
  return Buffer.from(s.messageJson !== undefined ? text.replace(MARK, s.messageJson) : text);
}

function textBody(r: Rec, s: Shape): Buffer {
  const ts = s.timestamp ?? isoUs(r.us);
  const head = Buffer.from(`${ts} gpu-node-03 ${r.ident}${r.pid !== null ? `[${r.pid}]` : ''}: `);
  return Buffer.concat([head, s.messageBytes ?? Buffer.from(r.message)]);
}

function body(format: Format, r: Rec, s: Shape, rng: Prng): Buffer {
  if (format === 'export') return exportBody(r, s, rng);
  if (format === 'json') return jsonBody(r, s);
  return textBody(r, s);
}

const SEPARATOR = Buffer.from('\n'); // export: the blank line after the last field's '\n'

// ---------------------------------------------------------------- mutations

const MUTATIONS = [
  'truncate',
  'truncate-end',
  'merge',
  'binary',
  'overwrite',
  'random',
  'huge',
  'deep-nesting',
  'invalid-utf8',
  'cursor-missing',
  'cursor-duplicated',
  'field-repeated',
  'bad-timestamp',
  'duplicate-record',
  'binary-length',
] as const;
type Mutation = (typeof MUTATIONS)[number];

function randomBytes(rng: Prng, n: number): Buffer {
  if (n > 4096) {
    // large: a seeded 4 KiB block repeated from a random offset (per-byte draws would dominate the run)
    const block = randomBytes(rng, 4096);
    const b = Buffer.allocUnsafe(n);
    for (let i = 0, o = rng.int(4096); i < n; i += 4096 - o, o = 0) block.copy(b, i, o, Math.min(4096, o + n - i));
    return b;
  }
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

const INVALID_UTF8 = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0x80]];

function invalidUtf8Message(rng: Prng, msg: string): Buffer {
  const b = Buffer.from(msg);
  const at = rng.int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(INVALID_UTF8)), b.subarray(at)]);
}

function hugeSize(rng: Prng): number {
  return rng.pick([64 * 1024, 1024 * 1024, DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_FIELD_BYTES + 1, 2 * 1024 * 1024]);
}

interface Piece {
  bytes: Buffer;
  /** the separator after it (absent: lost, or the end of the input) */
  sep: boolean;
  mutation: Mutation | null;
}

/** The bytes of one record, mutated or not. `prev` is the previous record (for duplicated cursors). */
function piece(format: Format, r: Rec, m: Mutation | null, prev: Rec | null, rng: Prng): Piece[] {
  if (m === null) return [{ bytes: body(format, r, {}, rng), sep: true, mutation: null }];
  const plain = (): Buffer => body(format, r, {}, rng);
  const one = (bytes: Buffer, sep = true): Piece[] => [{ bytes, sep, mutation: m }];
  switch (m) {
    case 'truncate': {
      const b = plain();
      return one(b.subarray(0, rng.int(b.length)));
    }
    case 'truncate-end': {
      const b = plain();
      return one(b.subarray(0, rng.int(b.length)), false);
    }
    case 'merge':
      return one(plain(), false);
    case 'binary': {
      let b = plain();
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const at = rng.int(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + rng.int(16)), b.subarray(at)]);
      }
      return one(b);
    }
    case 'overwrite': {
      const b = Buffer.from(plain());
      const at = rng.int(b.length);
      randomBytes(rng, Math.min(b.length - at, 1 + rng.int(32))).copy(b, at);
      return one(b);
    }
    case 'random':
      return one(randomBytes(rng, 1 + rng.int(rng.chance(0.1) ? 20_000 : 400)));
    case 'huge': {
      const n = hugeSize(rng);
      const fill = rng.chance(0.5) ? Buffer.alloc(n, 0x61) : randomBytes(rng, n);
      if (format === 'json' && rng.chance(0.5)) return one(body(format, r, { messageBytes: fill.subarray(0, Math.min(n, 300_000)) }, rng));
      return one(body(format, r, { messageBytes: format === 'text' ? Buffer.alloc(n, 0x62) : fill }, rng));
    }
    case 'deep-nesting': {
      const depth = rng.chance(0.01) ? 100_000 : rng.pick([100, 1000, 10_000]);
      if (format === 'json') {
        const inner = rng.pick(['1', '"x"', '', '{}', 'null']);
        return one(body(format, r, { messageJson: '['.repeat(depth) + inner + ']'.repeat(depth) }, rng));
      }
      return one(body(format, r, { messageBytes: Buffer.from('['.repeat(depth) + '{'.repeat(depth)) }, rng));
    }
    case 'invalid-utf8':
      return one(body(format, r, { messageBytes: invalidUtf8Message(rng, r.message) }, rng));
    case 'cursor-missing':
      return one(body(format, r, format === 'text' ? { timestamp: '' } : { omitCursor: true }, rng));
    case 'cursor-duplicated':
      if (format === 'text') return one(Buffer.concat([plain(), Buffer.from('\n'), plain()]));
      return one(body(format, r, rng.chance(0.5) && prev ? { cursor: prev.cursor } : { dupCursor: true }, rng));
    case 'field-repeated':
      return one(body(format, r, { dupMessage: true }, rng));
    case 'bad-timestamp':
      return one(body(format, r, { timestamp: rng.pick(['', 'abc', '-5', '99999999999999999999', '1e15', ' 12', '2026-13-45T99:99:99Z', '0x10']) }, rng));
    case 'duplicate-record': {
      const b = plain();
      return [
        { bytes: b, sep: true, mutation: m },
        { bytes: b, sep: true, mutation: m },
      ];
    }
    case 'binary-length': {
      if (format !== 'export') return one(randomBytes(rng, 1 + rng.int(64)));
      const len = rng.pick([0n, 1n, BigInt(r.message.length + 5), 1n << 40n, (1n << 64n) - 1n, BigInt(DEFAULT_MAX_FIELD_BYTES + 10)]);
      return one(body(format, r, { messageBytes: Buffer.from(r.message), binaryLength: len }, rng));
    }
  }
}

/** Mutations that can make the parser read the following record(s) as part of this one. */
function swallows(format: Format, m: Mutation | null): number {
  if (m === 'merge' || m === 'truncate-end') return 1;
  if (format !== 'export') return 0;
  // export: a payload of the wrong length, or a truncated field, runs into what follows
  return m === null || m === 'cursor-missing' || m === 'cursor-duplicated' || m === 'field-repeated' || m === 'bad-timestamp' || m === 'invalid-utf8'
    ? 0
    : Number.POSITIVE_INFINITY;
}

// ---------------------------------------------------------------- one batch through the parser

interface Batch {
  recs: Rec[];
  /** the mutation of each record (null: unmutated) */
  mutations: (Mutation | null)[];
  bytes: Buffer;
  mutated: number;
  /** the bytes written for each record */
  written: Buffer[];
}

function makeBatch(format: Format, rng: Prng, opts: { cleanFirst?: boolean; endsInput?: boolean } = {}): Batch {
  const n = 2 + rng.int(4);
  const recs = Array.from({ length: n }, () => makeRec(rng, format));
  const mutations: (Mutation | null)[] = recs.map(() => null);
  // most records of a batch mutated, some clean ones between them to check what a mutation does to its neighbours
  const count = 1 + rng.int(n - 1);
  for (let k = 0; k < count; k++) {
    const i = opts.cleanFirst ? 1 + rng.int(n - 1) : rng.int(n);
    if (mutations[i] !== null) continue;
    let m = rng.pick(MUTATIONS);
    // huge fields (64 KiB to 2 MiB) are costly: 1 in 100 of those drawn
    if (m === 'huge' && !rng.chance(0.01)) m = 'overwrite';
    if (m === 'truncate-end' && (i !== n - 1 || !opts.endsInput)) m = 'truncate';
    mutations[i] = m;
  }
  const pieces: Buffer[] = [];
  const written: Buffer[] = [];
  recs.forEach((r, i) => {
    const mine: Buffer[] = [];
    for (const p of piece(format, r, mutations[i] ?? null, i > 0 ? (recs[i - 1] ?? null) : null, rng)) {
      mine.push(p.bytes);
      if (p.sep) mine.push(format === 'export' ? SEPARATOR : Buffer.from('\n'));
    }
    pieces.push(...mine);
    written.push(Buffer.concat(mine));
  });
  return { recs, mutations, bytes: Buffer.concat(pieces), mutated: mutations.filter((m) => m !== null).length, written };
}

function createParser(format: Format, sink: JournalSink): StreamParser {
  if (format === 'export') return createExportParser(sink);
  if (format === 'json') return createJsonParser(sink);
  return createTextParser(sink, { clock: () => NOW });
}

/** Records the line formats' parsers must see: counted here without the parsers' code. */
function countLineRecords(format: 'json' | 'text', bytes: Buffer): number {
  const max = format === 'json' ? DEFAULT_MAX_FIELD_BYTES * 4 + 64 * 1024 : DEFAULT_MAX_FIELD_BYTES;
  let n = 0;
  let p = 0;
  while (p < bytes.length) {
    let nl = bytes.indexOf(0x0a, p);
    const last = nl < 0;
    if (last) nl = bytes.length;
    let e = nl;
    if (!last && e > p && bytes[e - 1] === 0x0d) e--;
    const line = bytes.subarray(p, e);
    if (line.length > max) n++;
    else if (format === 'json') {
      if (/[^ \t]/.test(line.toString('latin1'))) n++;
    } else if (line.length > 0 && line[0] !== 0x23 && line.toString('utf8').trim() !== '') n++;
    p = nl + 1;
  }
  return n;
}

const same = (e: JournalEntry, r: Rec, format: Format): boolean =>
  e.realtimeUs === r.us &&
  e.message === r.message &&
  e.cursor === (format === 'text' ? null : r.cursor) &&
  e.unit === r.unit &&
  e.identifier === r.ident &&
  e.pid === r.pid;

/** Push in random chunk sizes; returns what the sink got. */
function parse(format: Format, b: Batch, rng: Prng): { entries: JournalEntry[]; skips: SkipReason[]; parser: StreamParser } {
  const entries: JournalEntry[] = [];
  const skips: SkipReason[] = [];
  const parser = createParser(format, { entry: (e) => void entries.push(e), skip: (r) => void skips.push(r) });
  const data = b.bytes;
  const chunking = rng.chance(0.5) ? 0 : rng.chance(0.2) ? 16 : 4096;
  let p = 0;
  while (p < data.length) {
    // whole, or cut at random points (1-16 bytes in one batch of 10: chunk boundaries everywhere)
    const size = chunking === 0 ? data.length : 1 + rng.int(chunking);
    parser.push(data.subarray(p, p + size));
    p += size;
  }
  parser.end();
  return { entries, skips, parser };
}

/** The oracle on one batch; returns a description of what is wrong, or null. */
function judge(format: Format, b: Batch, entries: JournalEntry[], skips: SkipReason[], parser: StreamParser): string | null {
  const st = parser.stats();
  const skipped = Object.values(st.skipped).reduce((a, n) => a + (n ?? 0), 0);
  if (st.records !== st.entries + st.filtered + skipped) return `stats: ${st.records} records != ${st.entries} entries + ${skipped} skips`;
  if (entries.length !== st.entries || skips.length !== skipped) return `sink got ${entries.length} entries/${skips.length} skips, stats say ${st.entries}/${skipped}`;
  if (format !== 'export') {
    const lines = countLineRecords(format, b.bytes);
    if (lines !== st.records) return `${lines} non-blank lines but ${st.records} records`;
  }
  // which record each entry is an exact copy of
  const byUs = new Map(b.recs.map((r, i) => [r.us, i]));
  const delivered = new Set<number>();
  let unattributed = 0;
  for (const e of entries) {
    const i = byUs.get(e.realtimeUs);
    if (i !== undefined && same(e, b.recs[i] as Rec, format)) delivered.add(i);
    else unattributed++;
  }
  const firstMutated = b.mutations.findIndex((m) => m !== null);
  let reach = -1; // the last index a mutated record may swallow
  for (let i = 0; i < b.recs.length; i++) {
    const m = b.mutations[i] ?? null;
    if (m !== null) {
      reach = Math.max(reach, i + swallows(format, m));
      continue;
    }
    if (delivered.has(i)) continue;
    if (i < firstMutated) return `unmutated record ${i} before the first mutation is missing or altered`;
    if (i > reach) return `unmutated record ${i} is missing or altered (mutations: ${b.mutations.join(',')})`;
    // swallowed: a skip says so, or the bytes went into an entry of the mutated record (text lines merged)
    if (skipped === 0 && unattributed === 0) return `unmutated record ${i} was swallowed by a mutated one and nothing says so`;
  }
  // entries that are no record's exact copy come from the mutated records' bytes only
  const mutatedLines = b.mutations.reduce((a, m) => a + (m === null ? 0 : m === 'duplicate-record' || m === 'cursor-duplicated' ? 2 : 1), 0);
  if (format !== 'export' && unattributed > mutatedLines + countNewlinesInserted(b)) return `${unattributed} entries from nowhere`;
  // a record cut or randomised down to blank lines is no record at all; in export, bytes whose
  // ending blank line was destroyed and that carry no __CURSOR read as unknown fields of the next
  // record (the format cannot tell them apart; a __CURSOR among them is caught as a lost blank line)
  const missingMutated = b.mutations.filter((m, i) => m !== null && !delivered.has(i) && !noRecord(format, b.written[i] as Buffer) && !fieldsOfNext(format, b.written[i] as Buffer)).length;
  if (missingMutated > 0 && unattributed + skipped === 0) return `${missingMutated} mutated record(s) neither delivered nor skipped`;
  return null;
}

/** bytes that hold no record: blank lines (export), or only blank and comment lines (text) */
function noRecord(format: Format, bytes: Buffer): boolean {
  if (format !== 'export') return countLineRecords(format, bytes) === 0;
  return bytes.every((c) => c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09);
}

function fieldsOfNext(format: Format, bytes: Buffer): boolean {
  if (format !== 'export') return false;
  const n = bytes.length;
  return !(n >= 2 && bytes[n - 1] === 0x0a && bytes[n - 2] === 0x0a) && !bytes.includes('__CURSOR=');
}

/** line formats: random bytes may add newlines, hence lines, inside a mutated record */
function countNewlinesInserted(b: Batch): number {
  let n = 0;
  for (const c of b.bytes) if (c === 0x0a) n++;
  return n;
}

// ---------------------------------------------------------------- the campaign

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-rel-journals-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const perMutation = new Map<string, number>();
const costs = new Map<string, number>();

describe('reliability: mutated journal records', () => {
  for (const format of FORMATS) {
    it(`${format}: ${MUTATED_PER_FORMAT} mutated records through the parser and the event pipeline`, () => {
      const rng = createPrng(SEED ^ format.length * 0x9e3779b1);
      const figs = createFigures(`journal ${format} records (parser + pipeline)`);
      const pipeline = createEventPipeline({ clock: () => NOW, config: null });
      let ingested = 0;
      let mutated = 0;
      let batches = 0;
      while (mutated < MUTATED_PER_FORMAT) {
        const b = makeBatch(format, rng, { endsInput: true });
        for (const m of b.mutations) if (m) perMutation.set(m, (perMutation.get(m) ?? 0) + 1);
        mutated += b.mutated;
        batches++;
        figs.tried(b.recs.length);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        try {
          const { entries, skips, parser } = parse(format, b, rng);
          const wrong = judge(format, b, entries, skips, parser);
          if (wrong) {
            figs.wrongAnswer(`seed ${SEED} ${format} batch ${batches}: ${wrong} (mutations ${b.mutations.join(',')})`);
            if (process.env.RELIABILITY_DUMP) fs.writeFileSync(path.join(process.env.RELIABILITY_DUMP, `${format}-${batches}.bin`), b.bytes);
          }
          for (const e of entries) pipeline.ingest(e);
          ingested += entries.length;
          if (batches % 2000 === 0) pipeline.snapshot();
        } catch (err) {
          figs.crash(`seed ${SEED} ${format} batch ${batches}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        }
        // a hang spins: both the wall time and the CPU time are long (the wall time alone grows on a
        // busy machine, the CPU time alone with parallel GC threads)
        const cpu = process.cpuUsage(c0);
        const ms = Math.min(performance.now() - t0, (cpu.user + cpu.system) / 1000);
        for (const m of b.mutations) if (m) costs.set(m, (costs.get(m) ?? 0) + ms / b.mutated);
        if (ms > HANG_MS) figs.hang(`seed ${SEED} ${format} batch ${batches}: ${Math.round(ms)} ms (mutations ${b.mutations.join(',')})`);
      }
      try {
        const snap = pipeline.snapshot();
        if (pipeline.stats().entries !== ingested) figs.wrongAnswer(`pipeline counted ${pipeline.stats().entries} entries, ${ingested} ingested`);
        if (typeof snap.entries !== 'number') figs.wrongAnswer('snapshot without an entry count');
      } catch (err) {
        figs.crash(`snapshot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      figs.report();
      process.stdout.write(`  ${format}: ${mutated} mutated records in ${batches} batches, ${ingested} entries ingested\n`);
      expect(figs.failures).toEqual([]);
      expect(mutated).toBeGreaterThanOrEqual(MUTATED_PER_FORMAT);
    }, 120_000);
  }

  it('covers every mutation class', () => {
    process.stdout.write(`  mutations: ${[...perMutation].map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    process.stdout.write(`  ms per mutation class: ${[...costs].map(([k, n]) => `${k} ${Math.round(n)}`).join(', ')}\n`);
    for (const m of MUTATIONS) expect(perMutation.get(m) ?? 0, m).toBeGreaterThan(m === 'huge' ? 10 : 100);
  });
});

// ---------------------------------------------------------------- a sample through the built CLI

interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

function runScan(args: string[], stdinFile: string | null, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'scan', ...args], { cwd: REPO, stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    if (stdinFile && child.stdin) {
      child.stdin.on('error', () => {});
      fs.createReadStream(stdinFile).pipe(child.stdin);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, ms: performance.now() - t0, stdout, stderr });
    });
  });
}

/** `crio-sentinel scan: N entries` and `input: fmt, skipped N reason, …` of the text output */
function scanCounts(out: string): { entries: number; format: string; skipped: Record<string, number> } | null {
  const m = /^crio-sentinel scan: (\d+) entries/m.exec(out);
  const i = /^input: (\w+)(?:, skipped (.*))?$/m.exec(out);
  if (!m || !i) return null;
  const skipped: Record<string, number> = {};
  for (const part of (i[2] ?? '').split(', ').filter(Boolean)) {
    const [n, reason] = part.split(' ');
    skipped[reason as string] = Number(n);
  }
  return { entries: Number(m[1]), format: i[1] as string, skipped };
}

describe.skipIf(!fs.existsSync(CLI))('reliability: mutated journal files through the built CLI scan', () => {
  it(`${CLI_FILES_PER_FORMAT} files per format (file and stdin): no crash, no hang, every record an entry or a skip as in-process`, async () => {
    const rng = createPrng(SEED + 1);
    const figs = createFigures('journal files (built CLI scan)');
    // the cost of starting the CLI on an empty input, so that a hang is measured beyond it
    const empty = path.join(tmp, 'empty.json');
    fs.writeFileSync(empty, '');
    const startups: number[] = [];
    for (let k = 0; k < 3; k++) startups.push((await runScan([empty], null, 30_000)).ms);
    const startup = startups.sort((a, b) => a - b)[1] as number;
    const jobs: { file: string; format: Format; stdin: boolean; records: number }[] = [];
    for (const format of FORMATS) {
      for (let f = 0; f < CLI_FILES_PER_FORMAT; f++) {
        // the first record clean, so that the format is detected as written
        const parts: Buffer[] = [body(format, makeRec(rng, format), {}, rng), format === 'export' ? Buffer.from('\n\n') : Buffer.from('\n')];
        let records = 1;
        const nb = 20 + rng.int(60);
        for (let k = 0; k < nb; k++) {
          const b = makeBatch(format, rng, { endsInput: k === nb - 1 });
          parts.push(b.bytes);
          records += b.recs.length;
        }
        const file = path.join(tmp, `${format}-${f}.${format === 'json' ? 'json' : format === 'export' ? 'export' : 'log'}`);
        fs.writeFileSync(file, Buffer.concat(parts));
        jobs.push({ file, format, stdin: f % 2 === 1, records });
      }
    }
    const runOne = async (j: (typeof jobs)[number]): Promise<void> => {
      figs.tried(j.records);
      const r = await runScan(j.stdin ? ['-'] : [j.file], j.stdin ? j.file : null, startup + HANG_MS + 20_000);
      const what = `${path.basename(j.file)}${j.stdin ? ' on stdin' : ''}`;
      if (r.signal !== null || r.ms > startup + HANG_MS) {
        figs.hang(`${what}: ${Math.round(r.ms)} ms (startup ${Math.round(startup)} ms), signal ${r.signal}`);
        return;
      }
      if (r.status === null || r.status > 2 || /\n\s+at .+:\d+:\d+/.test(r.stderr)) {
        figs.crash(`${what}: status ${r.status}: ${r.stderr.slice(0, 400)}`);
        return;
      }
      const got = scanCounts(r.stdout);
      // the same bytes parsed in-process, without the CLI's prefilter (entries it drops are counted back in)
      const want = await readJournalFile(j.file, { entry: () => {}, skip: () => {} }, { clock: () => NOW });
      if (!got) figs.wrongAnswer(`${what}: no counts in the output`);
      else if (got.format !== j.format || want.format !== j.format) figs.wrongAnswer(`${what}: detected ${got.format}/${want.format}, written ${j.format}`);
      else {
        // the CLI's prefilter drops lines no pattern can use before parsing them: they count as
        // entries read, not as skips; so the totals are equal, and no skip count is higher
        const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, n) => a + n, 0);
        const records = want.entries + sum(want.skipped);
        if (got.entries + sum(got.skipped) !== records) figs.wrongAnswer(`${what}: CLI ${got.entries} entries + ${sum(got.skipped)} skips, in-process ${records} records`);
        else if (Object.entries(got.skipped).some(([k, n]) => n > (want.skipped[k] ?? 0))) figs.wrongAnswer(`${what}: CLI skips ${JSON.stringify(got.skipped)} > in-process ${JSON.stringify(want.skipped)}`);
        else if (j.format !== 'export' && records !== countLineRecords(j.format, fs.readFileSync(j.file))) figs.wrongAnswer(`${what}: ${records} records != non-blank lines`);
      }
    };
    // two at a time: a shared 2-core machine
    for (let k = 0; k < jobs.length; k += 2) await Promise.all(jobs.slice(k, k + 2).map(runOne));
    figs.report();
    expect(figs.failures).toEqual([]);
  }, 240_000);
});
