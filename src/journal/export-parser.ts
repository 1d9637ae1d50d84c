/**
 * Streaming parser of the journal export format (`journalctl -o export`,
 * systemd docs/JOURNAL_EXPORT_FORMATS.md):
 *   text field    NAME=value\n
 *   binary field  NAME\n <le64 length> <bytes> \n
 *   blank line    end of entry
 *
 * It works on byte offsets: field names are compared as bytes, fields we do not use are skipped
 * without decoding, values are kept as (buffer, start, end) slices and decoded only when the entry
 * passes the optional MESSAGE prefilter. Bytes are copied only when a field crosses a chunk
 * boundary (the pieces of that one field are joined once, when it is complete).
 *
 * Bad input never stops the stream: each bad record is counted with a reason and reported to
 * sink.skip; after a malformed field the parser resynchronises at the next blank line.
 */
import type { JournalEntry } from './entry.js';
import {
  DEFAULT_MAX_FIELD_BYTES,
  countSkip,
  decodeUtf8,
  effectiveUnit,
  emptyStats,
  type JournalSink,
  type ParserOptions,
  type StreamParser,
} from './sink.js';

// slots of the fields we decode
const S_CURSOR = 0;
const S_REALTIME = 1;
const S_SYSTEMD_UNIT = 2;
const S_UNIT = 3;
const S_IDENTIFIER = 4;
const S_TRANSPORT = 5;
const S_PID = 6;
const S_STREAM_ID = 7;
const S_BOOT_ID = 8;
const S_MESSAGE = 9;
const NSLOTS = 10;

const NAMES: [string, number][] = [
  ['__CURSOR', S_CURSOR],
  ['__REALTIME_TIMESTAMP', S_REALTIME],
  ['_SYSTEMD_UNIT', S_SYSTEMD_UNIT],
  ['UNIT', S_UNIT],
  ['SYSLOG_IDENTIFIER', S_IDENTIFIER],
  ['_TRANSPORT', S_TRANSPORT],
  ['_PID', S_PID],
  ['_STREAM_ID', S_STREAM_ID],
  ['_BOOT_ID', S_BOOT_ID],
  ['MESSAGE', S_MESSAGE],
];

/** by name length: candidate names as bytes */
const BY_LEN: { bytes: Buffer; slot: number }[][] = [];
for (const [n, slot] of NAMES) {
  (BY_LEN[n.length] ??= []).push({ bytes: Buffer.from(n, 'latin1'), slot });
}

/** The slot of the field name at buf[start, end), or -1. */
function slotOf(buf: Buffer, start: number, end: number): number {
  const cands = BY_LEN[end - start];
  if (cands === undefined) return -1;
  for (const c of cands) {
    const b = c.bytes;
    let i = 0;
    const n = b.length;
    while (i < n && buf[start + i] === b[i]) i++;
    if (i === n) return c.slot;
  }
  return -1;
}

const MAX_NAME = 64;
/** decoded values remembered per field (see str()) */
const CACHE_WAYS = 4;
/** absurd binary length: larger than journald could ever store (DATA_SIZE_MAX is 768 MiB) */
const MAX_BINARY = 1024 * 1024 * 1024;

// parser states
const FIELD = 0; // at the start of a field line or a blank line
const BIN_END = 1; // expecting the '\n' after a binary payload (after skipRemaining bytes)
const RESYNC = 2; // discarding until a blank line
const DISCARD_LINE = 3; // discarding an oversize text line until '\n'

/** 1 for a valid field-name byte: A-Z 0-9 _ (journald refuses anything else, lower case included). */
const NAME_BYTE = new Uint8Array(256);
for (let c = 0x41; c <= 0x5a; c++) NAME_BYTE[c] = 1;
for (let c = 0x30; c <= 0x39; c++) NAME_BYTE[c] = 1;
NAME_BYTE[0x5f] = 1;

export interface ExportParserOptions extends ParserOptions {
  /**
   * Resuming with `journalctl --cursor=C` (inclusive): the first record is dropped silently when
   * its __CURSOR is C. (`--after-cursor` in systemd 252 skips one entry blindly, which loses an
   * entry when C is no longer in the journal: rotated, vacuumed, another directory.)
   */
  resumeCursor?: string | null;
}

export function createExportParser(sink: JournalSink, opts: ExportParserOptions = {}): StreamParser {
  const maxField = opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  let resume: Buffer | null = opts.resumeCursor ? Buffer.from(opts.resumeCursor, 'utf8') : null;
  const want = opts.wantMessage;
  const stats = emptyStats();

  const sb: (Buffer | null)[] = new Array<Buffer | null>(NSLOTS).fill(null);
  const ss = new Array<number>(NSLOTS).fill(0);
  const se = new Array<number>(NSLOTS).fill(0);
  let nFields = 0;
  let oversize = false;

  let state = FIELD;
  let skipRemaining = 0;
  let prevNl = false; // RESYNC: the last byte consumed was '\n'
  let pending: Buffer[] = [];
  let pendingLen = 0;
  /** >0: bytes needed in `pending` before parsing resumes; -1: wait for a chunk with '\n' */
  let waitBytes = -1;

  let cursorBuf: Buffer | null = null;
  let cursorStart = 0;
  let cursorEnd = 0;
  let cursorStr: string | null = null;

  function resetEntry(): void {
    for (let i = 0; i < NSLOTS; i++) sb[i] = null;
    nFields = 0;
    oversize = false;
  }

  // the last CACHE_WAYS decoded values per slot: unit, identifier, transport, stream and boot ids
  // repeat from entry to entry, and crio and kubelet lines alternate, so one value per slot would
  // miss on most entries (a miss decodes the string and copies the bytes)
  const cacheBytes: (Buffer | null)[] = new Array<Buffer | null>(NSLOTS * CACHE_WAYS).fill(null);
  const cacheStr: string[] = new Array<string>(NSLOTS * CACHE_WAYS).fill('');
  const cacheNext: number[] = new Array<number>(NSLOTS).fill(0);

  function str(slot: number): string | null {
    const b = sb[slot];
    if (b === null || b === undefined) return null;
    const s = ss[slot] as number;
    const e = se[slot] as number;
    const n = e - s;
    if (slot === S_CURSOR || n > 64) return b.toString('utf8', s, e);
    const base = slot * CACHE_WAYS;
    for (let w = base; w < base + CACHE_WAYS; w++) {
      const c = cacheBytes[w];
      if (c === null || c === undefined || c.length !== n) continue;
      let i = 0;
      while (i < n && c[i] === b[s + i]) i++;
      if (i === n) return cacheStr[w] as string;
    }
    const v = b.toString('utf8', s, e);
    const copy = Buffer.allocUnsafeSlow(n);
    b.copy(copy, 0, s, e);
    const w = base + (cacheNext[slot] as number);
    cacheNext[slot] = ((cacheNext[slot] as number) + 1) % CACHE_WAYS;
    cacheBytes[w] = copy;
    cacheStr[w] = v;
    return v;
  }

  function digits(slot: number): number | null {
    const b = sb[slot];
    if (b === null || b === undefined) return null;
    const s = ss[slot] as number;
    const e = se[slot] as number;
    if (e === s || e - s > 17) return null;
    let n = 0;
    for (let i = s; i < e; i++) {
      const c = b[i] as number;
      if (c < 0x30 || c > 0x39) return null;
      n = n * 10 + (c - 0x30);
    }
    return n;
  }

  function endEntry(): void {
    if (nFields === 0) return; // stray blank line
    const cb = sb[S_CURSOR];
    if (resume !== null) {
      const r = resume;
      resume = null;
      if (cb !== null && cb !== undefined && r.equals(cb.subarray(ss[S_CURSOR], se[S_CURSOR]))) {
        resetEntry();
        return; // the record we resumed at: already delivered before
      }
    }
    stats.records++;
    if (cb !== null && cb !== undefined) {
      cursorBuf = cb;
      cursorStart = ss[S_CURSOR] as number;
      cursorEnd = se[S_CURSOR] as number;
      cursorStr = null;
    }
    const mb = sb[S_MESSAGE];
    const realtimeUs = digits(S_REALTIME);
    if (oversize) {
      countSkip(stats, 'oversize');
      sink.skip('oversize', `record ${stats.records}: a field is larger than ${maxField} bytes`);
    } else if (realtimeUs === null) {
      countSkip(stats, 'no_timestamp');
      sink.skip('no_timestamp', `record ${stats.records}: no valid __REALTIME_TIMESTAMP`);
    } else if (mb === null || mb === undefined) {
      countSkip(stats, 'no_message');
      sink.skip('no_message', `record ${stats.records}: no MESSAGE field`);
    } else {
      const ms = ss[S_MESSAGE] as number;
      const me = se[S_MESSAGE] as number;
      if (want !== undefined && !want(mb.subarray(ms, me))) {
        stats.filtered++;
        sink.filtered?.(effectiveUnit(str(S_SYSTEMD_UNIT), str(S_UNIT)), str(S_IDENTIFIER), realtimeUs);
      } else {
        const m = decodeUtf8(mb, ms, me);
        if (m.invalid) stats.invalidUtf8++;
        const e: JournalEntry = {
          cursor: str(S_CURSOR),
          realtimeUs,
          unit: effectiveUnit(str(S_SYSTEMD_UNIT), str(S_UNIT)),
          identifier: str(S_IDENTIFIER),
          transport: str(S_TRANSPORT),
          pid: digits(S_PID),
          streamId: str(S_STREAM_ID),
          bootId: str(S_BOOT_ID),
          message: m.text,
        };
        stats.entries++;
        sink.entry(e);
      }
    }
    resetEntry();
  }

  /**
   * A second __CURSOR before the blank line that ends an entry: the entry's end was lost (a file
   * cut off and appended to, a damaged copy). What came before cannot be trusted to be whole, so
   * it is skipped as truncated, not merged silently into the next entry; this field starts the next.
   */
  function lostBlankLine(): void {
    stats.records++;
    countSkip(stats, 'truncated');
    sink.skip('truncated', `record ${stats.records}: a new __CURSOR before the blank line that ends the record: the record was cut off`);
    resetEntry();
  }

  function malformed(why: string): void {
    stats.records++;
    countSkip(stats, 'malformed');
    sink.skip('malformed', `record ${stats.records}: ${why}; resynchronising at the next blank line`);
    resetEntry();
    state = RESYNC;
  }

  function wait(buf: Buffer, p: number, bytes: number): void {
    const rest = buf.subarray(p);
    pending = [rest];
    pendingLen = rest.length;
    waitBytes = bytes;
  }

  /** Parse buf from p; keeps what it cannot finish in `pending`. */
  function run(buf: Buffer, p: number): void {
    const len = buf.length;
    for (;;) {
      if (p >= len) return;
      if (state === FIELD) {
        const c0 = buf[p] as number;
        if (c0 === 0x0a) {
          endEntry();
          p++;
          continue;
        }
        // field name: scan valid name bytes
        let q = p;
        const lim = Math.min(len, p + MAX_NAME + 1);
        while (q < lim && NAME_BYTE[buf[q] as number] === 1) q++;
        if (q === len) {
          // name not finished in this buffer
          wait(buf, p, -1);
          return;
        }
        const stop = buf[q] as number;
        if (q === p || q - p > MAX_NAME || (c0 >= 0x30 && c0 <= 0x39) || (stop !== 0x3d && stop !== 0x0a)) {
          // not a field name: skip the line, then resync
          const nl = buf.indexOf(0x0a, q);
          malformed(`invalid field name at byte ${stats.bytes - len + p}`);
          if (nl < 0) {
            prevNl = false;
            return;
          }
          prevNl = true;
          p = nl + 1;
          continue;
        }
        if (stop === 0x3d) {
          // text field
          const nl = buf.indexOf(0x0a, q + 1);
          if (nl < 0) {
            wait(buf, p, -1);
            return;
          }
          const slot = slotOf(buf, p, q);
          if (slot === S_CURSOR && (sb[S_CURSOR] ?? null) !== null) lostBlankLine();
          nFields++;
          if (slot >= 0) {
            if (nl - (q + 1) > maxField) oversize = true;
            else {
              sb[slot] = buf;
              ss[slot] = q + 1;
              se[slot] = nl;
            }
          }
          p = nl + 1;
          continue;
        }
        // binary field: name '\n' le64 payload '\n'
        const lenAt = q + 1;
        if (lenAt + 8 > len) {
          wait(buf, p, lenAt + 8 - p);
          return;
        }
        const lo = buf.readUInt32LE(lenAt);
        const hi = buf.readUInt32LE(lenAt + 4);
        if (hi !== 0 || lo > MAX_BINARY) {
          prevNl = false;
          malformed(`binary field length ${hi * 2 ** 32 + lo} is impossible`);
          p = lenAt;
          continue;
        }
        const slot = slotOf(buf, p, q);
        const dataAt = lenAt + 8;
        nFields++;
        if (slot >= 0 && lo <= maxField) {
          if (dataAt + lo + 1 > len) {
            nFields--; // re-parsed when complete
            wait(buf, p, dataAt + lo + 1 - p);
            return;
          }
          if (buf[dataAt + lo] !== 0x0a) {
            prevNl = false;
            malformed('binary field not followed by a newline');
            p = dataAt + lo;
            continue;
          }
          sb[slot] = buf;
          ss[slot] = dataAt;
          se[slot] = dataAt + lo;
          p = dataAt + lo + 1;
          continue;
        }
        if (slot >= 0) oversize = true;
        // skip the payload without keeping it
        const avail = len - dataAt;
        if (avail >= lo) {
          p = dataAt + lo;
          state = BIN_END;
          continue;
        }
        skipRemaining = lo - avail;
        state = BIN_END;
        return;
      }
      if (state === BIN_END) {
        if (buf[p] !== 0x0a) {
          prevNl = false;
          malformed('binary field not followed by a newline');
          continue;
        }
        p++;
        state = FIELD;
        continue;
      }
      if (state === DISCARD_LINE) {
        const nl = buf.indexOf(0x0a, p);
        if (nl < 0) return;
        p = nl + 1;
        state = FIELD;
        continue;
      }
      // RESYNC: find an empty line
      if (prevNl && buf[p] === 0x0a) {
        p++;
        prevNl = false;
        state = FIELD;
        continue;
      }
      const nl = buf.indexOf(0x0a, p);
      if (nl < 0) {
        prevNl = false;
        return;
      }
      if (nl + 1 >= len) {
        prevNl = true;
        return;
      }
      if (buf[nl + 1] === 0x0a) {
        p = nl + 2;
        prevNl = false;
        state = FIELD;
        continue;
      }
      prevNl = true;
      p = nl + 1;
    }
  }

  /** Feed bytes (no stats): completes a pending field with just the bytes it needs, then parses the rest in place. */
  function feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (skipRemaining > 0) {
      if (chunk.length <= skipRemaining) {
        skipRemaining -= chunk.length;
        return;
      }
      chunk = chunk.subarray(skipRemaining);
      skipRemaining = 0;
    }
    if (pendingLen === 0) {
      run(chunk, 0);
      return;
    }
    let k: number;
    if (waitBytes > 0) {
      const need = waitBytes - pendingLen;
      if (chunk.length < need) {
        pending.push(chunk);
        pendingLen += chunk.length;
        return;
      }
      k = need;
    } else {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        pending.push(chunk);
        pendingLen += chunk.length;
        if (pendingLen > maxField + MAX_NAME + 2) {
          // an endless text line: drop what we have and the rest of the line
          pending = [];
          pendingLen = 0;
          nFields++;
          oversize = true;
          state = DISCARD_LINE;
        }
        return;
      }
      k = nl + 1;
    }
    pending.push(chunk.subarray(0, k));
    const joined = Buffer.concat(pending, pendingLen + k);
    pending = [];
    pendingLen = 0;
    waitBytes = -1;
    run(joined, 0);
    if (k < chunk.length) feed(chunk.subarray(k));
  }

  function push(chunk: Buffer): void {
    stats.bytes += chunk.length;
    feed(chunk);
  }

  function end(): void {
    const midField = pendingLen > 0 || skipRemaining > 0 || state === BIN_END || state === DISCARD_LINE;
    pending = [];
    pendingLen = 0;
    skipRemaining = 0;
    if (state === RESYNC) {
      resetEntry();
    } else if (midField) {
      stats.records++;
      countSkip(stats, 'truncated');
      sink.skip('truncated', `record ${stats.records}: input ended inside a field`);
      resetEntry();
    } else if (nFields > 0) {
      // complete fields but no closing blank line: the record is whole
      endEntry();
    }
    state = FIELD;
    prevNl = false;
  }

  return {
    push,
    end,
    stats: () => ({ ...stats, skipped: { ...stats.skipped } }),
    lastCursor(): string | null {
      if (cursorStr === null && cursorBuf !== null) {
        cursorStr = cursorBuf.toString('utf8', cursorStart, cursorEnd);
        cursorBuf = null; // do not pin the chunk
      }
      return cursorStr;
    },
  };
}
