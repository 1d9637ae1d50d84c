/**
 * Classifier: JournalEntry -> typed Event (or null), driven by the PATTERNS table.
 *
 * Cost model: route by unit/identifier/transport; for crio and kubelet look up the rows whose
 * prefilter starts with the record's first word (one Map lookup), check the fixed prefilter
 * substring, and only then run a regex. Lines of no interest cost an indexOf and a Map miss.
 *
 * State (bounded): the klog joiner (open multi-line records per _PID/_STREAM_ID) and an LRU
 * index of 12-hex container ID prefixes -> full 64-hex container IDs, fed by every line that names a
 * full container ID. It resolves conmon's 20-hex prefixes and the short IDs CRI-O echoes from a
 * caller (`Stopping container: 9f36f26d6b6fd (timeout: 0s)` when crictl was given a short ID).
 */
import type { JournalEntry } from '../journal/entry.js';
import type { Event, EventSource } from './event.js';
import { parseLogrusHead } from './go-unquote.js';
import { createKlogJoiner, parseKlogKV, splitStructured, type JoinerStats, type OpenRecord } from './klog-joiner.js';
import { createLru, detach } from './lru.js';
import { clip, PATTERNS, type PatternContext, type PatternRow } from './patterns.js';

export interface ClassifierStats {
  /** entries seen */
  entries: number;
  /** events produced */
  events: number;
  /** hits per catalogue row id */
  byPattern: Record<string, number>;
  joiner: JoinerStats;
  /** conmon exits whose 20-hex prefix was not known */
  unresolvedPrefixes: number;
  prefixIndexEvictions: number;
}

export interface Classifier {
  classify(entry: JournalEntry): Event | null;
  stats(): ClassifierStats;
  /** multi-line kubelet records still open, for a daemon restart (src/events/state-store.ts) */
  exportState(): { open: OpenRecord[] };
  /** restore open records and teach the conmon prefix index the containers the correlator kept */
  importState(s: { open: OpenRecord[] }, knownContainerIds: Iterable<string>): void;
}

export interface ClassifierOptions {
  /** max remembered conmon prefixes (default 65 536) */
  maxPrefixes?: number;
  /** max lines of one multi-line kubelet record (default 64) */
  maxRecordLines?: number;
  /** max open multi-line records (default 256) */
  maxOpenRecords?: number;
}

interface Index {
  byWord: Map<string, PatternRow[]>;
  anywhere: PatternRow[];
}

function firstWordOf(s: string, from = 0): string {
  let i = from;
  if (s.charCodeAt(i) === 34) i++;
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 34 || c === 92) break;
    j++;
  }
  return s.slice(i, j);
}

function buildIndex(source: EventSource): Index {
  const byWord = new Map<string, PatternRow[]>();
  const anywhere: PatternRow[] = [];
  for (const row of PATTERNS) {
    if (row.source !== source) continue;
    if (row.anywhere) {
      anywhere.push(row);
      continue;
    }
    const w = firstWordOf(row.prefilter);
    let list = byWord.get(w);
    if (!list) byWord.set(w, (list = []));
    list.push(row);
  }
  return { byWord, anywhere };
}

const KUBELET_IDS = new Set(['kubelet', 'hyperkube', 'kubenswrapper', 'kubelet.service']);

/** Which emitter wrote the entry (log-formats.md §1.1, §3); null = not ours. */
export function routeEntry(e: JournalEntry): EventSource | null {
  const id = e.identifier;
  const unit = e.unit;
  if (id === 'conmon' || (unit !== null && unit.startsWith('crio-conmon-'))) return 'conmon';
  if (e.transport === 'kernel' || e.transport === 'audit' || id === 'kernel' || id === 'audit') return 'kernel';
  if (id === 'systemd' || (e.pid === 1 && id === null)) return unit === 'crio.service' || e.message.includes('CRI-O') || e.message.includes('crio.service') ? 'systemd' : null;
  if (unit === 'kubelet.service' || (id !== null && KUBELET_IDS.has(id))) return 'kubelet';
  if (unit === 'crio.service' || id === 'crio') return 'crio';
  // no envelope metadata (plain text input): sniff
  const m = e.message;
  if (m.startsWith('time="')) return 'crio';
  if (m.startsWith('conmon ')) return 'conmon';
  if (m.includes('apparmor="DENIED"')) return 'kernel';
  return null;
}

const EMPTY: Record<string, string> = {};
/** length of the container ID prefixes the index is keyed by (crictl prints 13 hex, conmon 20) */
const PREFIX = 12;

export function createClassifier(opts: ClassifierOptions = {}): Classifier {
  const idx: Record<EventSource, Index> = {
    crio: buildIndex('crio'),
    kubelet: buildIndex('kubelet'),
    conmon: buildIndex('conmon'),
    kernel: buildIndex('kernel'),
    systemd: buildIndex('systemd'),
  };
  const joiner = createKlogJoiner({ maxLines: opts.maxRecordLines ?? 64, maxOpen: opts.maxOpenRecords ?? 256 });
  const prefixes = createLru<string, string>(opts.maxPrefixes ?? 16_384);
  const byPattern: Record<string, number> = {};
  let entries = 0;
  let events = 0;
  let unresolvedPrefixes = 0;

  function learn(id: string | undefined): void {
    if (id && id.length === 64) {
      const p = id.slice(0, PREFIX);
      if (prefixes.peek(p) !== id) {
        const own = detach(id);
        prefixes.set(own.slice(0, PREFIX), own);
      }
    }
  }

  /** the full ID a 12..63-hex prefix names, when one seen before starts with it */
  function resolvePrefix(prefix: string): string | undefined {
    if (prefix.length < PREFIX) return undefined;
    const full = prefixes.get(prefix.slice(0, PREFIX));
    return full !== undefined && full.startsWith(prefix) ? full : undefined;
  }

  function run(rows: readonly PatternRow[], text: string, ctx: PatternContext, source: EventSource, atMs: number, line: string, prefiltered = false): Event | null {
    for (const row of rows) {
      if (!prefiltered && !text.includes(row.prefilter)) continue;
      const m = row.regex.exec(text);
      if (!m) continue;
      const x = row.extract(m, ctx);
      if (!x) continue;
      byPattern[row.id] = (byPattern[row.id] ?? 0) + 1;
      // the extracted object is fresh: complete it in place instead of copying it
      const ev = x as Event;
      ev.kind = x.kind ?? row.kind;
      ev.pattern = row.id;
      ev.source = source;
      ev.atMs = atMs;
      ev.line = clip(line, 1200);
      if (ctx.level) ev.level = ctx.level;
      return ev;
    }
    return null;
  }

  function classifyCrio(e: JournalEntry, atMs: number): Event | null {
    const msgText = e.message;
    const at = msgText.indexOf(' msg=');
    if (at < 0) return null;
    const word = firstWordOf(msgText, at + 5);
    const rows = idx.crio.byWord.get(word);
    // rows that may match anywhere (fatal start errors, a missing runtime handler inside an error):
    // only on error/warning/fatal records, prefilter checked on the raw line (level=fatal sits outside msg)
    let hits: PatternRow[] | null = null;
    const lv = msgText.indexOf(' level=');
    const c = lv >= 0 ? msgText.charCodeAt(lv + 7) : 0;
    // e(rror), w(arning), f(atal), p(anic)
    if (c === 101 || c === 119 || c === 102 || c === 112) {
      for (const r of idx.crio.anywhere) if (msgText.includes(r.prefilter)) (hits ??= []).push(r);
    }
    if (!rows && !hits) return null;
    const l = parseLogrusHead(msgText);
    if (!l) return null;
    const ctx: PatternContext = { fields: l.fields, level: l.level };
    const line = l.msg.startsWith('Current CRI-O configuration:') ? clip(msgText, 300) : msgText;
    return (rows ? run(rows, l.msg, ctx, 'crio', atMs, line) : null) ?? (hits ? run(hits, l.msg, ctx, 'crio', atMs, line, true) : null);
  }

  function classifyKubelet(e: JournalEntry): Event | null {
    const rec = joiner.push(() => `${e.pid ?? ''}|${e.streamId ?? ''}`, e.message, e.realtimeUs);
    if (!rec) return null;
    const atMs = Math.floor(rec.realtimeUs / 1000);
    const rest = rec.rest;
    const structured = splitStructured(rest);
    let fields: Record<string, string> | null = null;
    const ctx: PatternContext = {
      fields: () => (fields ??= structured ? parseKlogKV(structured.kv) : EMPTY),
      level: rec.severity,
    };
    const rows = idx.kubelet.byWord.get(firstWordOf(rest));
    const hit = rows ? run(rows, rest, ctx, 'kubelet', atMs, rec.raw) : null;
    if (hit) return hit;
    // catch-all rows (missing runtime handler inside any error) only for E/W records
    return rec.severity === 'E' || rec.severity === 'W' ? run(idx.kubelet.anywhere, rest, ctx, 'kubelet', atMs, rec.raw) : null;
  }

  function classifySimple(source: 'conmon' | 'kernel' | 'systemd', e: JournalEntry, atMs: number): Event | null {
    const ctx: PatternContext = { fields: () => EMPTY, level: '' };
    const ev = run(idx[source].anywhere, e.message, ctx, source, atMs, e.message);
    if (ev && source === 'conmon') {
      const unit = e.unit;
      const fromUnit = unit && unit.startsWith('crio-conmon-') ? /^crio-conmon-([0-9a-f]{64})\.scope$/.exec(unit)?.[1] : undefined;
      const full = fromUnit ?? (ev.containerPrefix ? resolvePrefix(ev.containerPrefix) : undefined);
      if (full) {
        ev.containerId = full;
        delete ev.containerPrefix;
      } else unresolvedPrefixes++;
    }
    return ev;
  }

  return {
    classify(e) {
      entries++;
      const source = routeEntry(e);
      if (source === null) return null;
      const atMs = Math.floor(e.realtimeUs / 1000);
      let ev: Event | null;
      switch (source) {
        case 'crio':
          ev = classifyCrio(e, atMs);
          break;
        case 'kubelet':
          ev = classifyKubelet(e);
          break;
        default:
          ev = classifySimple(source, e, atMs);
      }
      if (ev) {
        events++;
        // the lines that first name a container (a conmon exit comes after one of them)
        const k = ev.kind;
        const id = ev.containerId;
        if (id && id.length < 64 && k === 'stop-requested') {
          // a short ID echoed from the caller: the container's full ID when it is known
          const full = resolvePrefix(id);
          if (full) ev.containerId = full;
        } else if (id && (k === 'container-created' || k === 'container-started' || k === 'stop-requested' || k === 'stop-timeout' || k === 'kill-failed' || k === 'container-state-lost')) {
          learn(id);
        }
      }
      return ev;
    },
    exportState: () => ({ open: joiner.exportOpen() }),
    importState(st, ids) {
      joiner.importOpen(st.open);
      for (const id of ids) learn(id);
    },
    stats: () => ({
      entries,
      events,
      byPattern: { ...byPattern },
      joiner: joiner.stats(),
      unresolvedPrefixes,
      prefixIndexEvictions: prefixes.evictions,
    }),
  };
}

/**
 * A conservative byte-level prefilter for the journal parsers' `wantMessage` option, derived from
 * the same PATTERNS table. It sees only MESSAGE (export) or the raw line (JSON, text), never the
 * unit, so it keeps everything a row could use:
 * - CRI-O logfmt and klog records whose text starts with some row's prefilter, or that are errors
 *   containing a catch-all row's text (missing runtime handler), fatal CRI-O records, klog blocks
 *   (`=<` headers and their TAB / ` >` lines);
 * - conmon lines, AppArmor denials, systemd "Reload…" lines;
 * - whole JSON lines and text lines with a timestamp envelope (the parsers' other formats).
 * Everything else (other units' messages, CRI-O/kubelet info noise) is dropped before decoding.
 */
export function createMessagePrefilter(): (raw: Buffer) => boolean {
  // prefixes grouped by their first word; compared byte by byte in JS (Buffer methods cross into
  // C++ on every call, which costs more than decoding the message would)
  const crio = new Map<string, number[][]>();
  const kubelet = new Map<string, number[][]>();
  const add = (m: Map<string, number[][]>, text: string): void => {
    const w = firstWordOf(text);
    const bytes = [...Buffer.from(text.startsWith('"') ? text.slice(1) : text)];
    let l = m.get(w);
    if (!l) m.set(w, (l = []));
    l.push(bytes);
  };
  for (const row of PATTERNS) {
    if (row.anywhere) continue;
    // compare up to the first inner quote: raw CRI-O text has its quotes escaped
    const head = row.prefilter.startsWith('"') ? '"' + row.prefilter.slice(1).split('"')[0]! : row.prefilter.split('"')[0]!;
    if (row.source === 'crio') add(crio, head);
    else if (row.source === 'kubelet') add(kubelet, head);
  }
  add(kubelet, '[failed to '); // B10L with several errors
  const HANDLER = Buffer.from('failed to find runtime handler ');
  const APPARMOR = Buffer.from('apparmor="DENIED"');
  const MONTHS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);

  const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
  const ascii = (raw: Buffer, at: number, text: string): boolean => {
    if (raw.length - at < text.length) return false;
    for (let i = 0; i < text.length; i++) if (raw[at + i] !== text.charCodeAt(i)) return false;
    return true;
  };
  /** index of `text` in raw[from, from + window), JS loop */
  const find = (raw: Buffer, text: string, from: number, window: number): number => {
    const end = Math.min(raw.length - text.length, from + window);
    const c = text.charCodeAt(0);
    for (let i = from; i <= end; i++) if (raw[i] === c && ascii(raw, i, text)) return i;
    return -1;
  };
  /** does raw at `at` (after an optional quote) start with a prefix of its first-word group */
  const starts = (raw: Buffer, at: number, groups: Map<string, number[][]>): boolean => {
    let i = raw[at] === 0x22 ? at + 1 : at;
    let j = i;
    while (j < raw.length && j - i < 48) {
      const c = raw[j];
      if (c === 0x20 || c === 0x22 || c === 0x5c) break;
      j++;
    }
    const list = groups.get(raw.toString('latin1', i, j));
    if (!list) return false;
    for (const b of list) {
      if (raw.length - i < b.length) continue;
      let k = 0;
      while (k < b.length && raw[i + k] === b[k]) k++;
      if (k === b.length) return true;
    }
    return false;
  };

  return (raw) => {
    const c0 = raw[0];
    if (c0 === undefined) return false;
    // klog continuation lines (TAB, " >") belong to a record the joiner may have open
    if (c0 === 0x09 || (c0 === 0x20 && raw[1] === 0x3e)) return true;
    if (c0 === 0x74 /* t */ && ascii(raw, 0, 'time="')) {
      const lv = find(raw, ' level=', 6, 64);
      const l = lv >= 0 ? raw[lv + 7] : 0;
      if (l === 0x66 || l === 0x70) return true; // fatal, panic
      const m = find(raw, ' msg=', lv >= 0 ? lv + 7 : 6, 24);
      if (m < 0) return false;
      if (starts(raw, m + 5, crio)) return true;
      return (l === 0x65 || l === 0x77) && raw.indexOf(HANDLER, m) >= 0; // error, warning
    }
    if ((c0 === 0x49 || c0 === 0x57 || c0 === 0x45 || c0 === 0x46) && isDigit(raw[1])) {
      const close = find(raw, '] ', 14, 106);
      if (close < 0) return true;
      if (raw[raw.length - 1] === 0x3c && raw[raw.length - 2] === 0x3d) return true; // "=<" opens a block
      if (starts(raw, close + 2, kubelet)) return true;
      return (c0 === 0x45 || c0 === 0x57) && raw.indexOf(HANDLER, close) >= 0;
    }
    if (ascii(raw, 0, 'conmon ') || ascii(raw, 0, 'Reload')) return true;
    // the other input formats: a whole JSON line, or a text line with a timestamp envelope
    if (c0 === 0x7b) return true;
    if (isDigit(c0) && isDigit(raw[1]) && isDigit(raw[2]) && isDigit(raw[3]) && raw[4] === 0x2d) return true;
    if (raw[3] === 0x20 && MONTHS.has(raw.toString('latin1', 0, 3))) return true;
    return raw.indexOf(APPARMOR) >= 0;
  };
}
