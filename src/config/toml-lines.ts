/**
 * Where keys are defined in a TOML source: the parser (toml.ts) gives no positions, so this small scanner
 * walks the source once, tracking the current table header, dotted keys and inline tables, and
 * records the 1-based line where each key path first appears. It is tolerant: on text it does not
 * understand it stops and returns what it found (callers then report `line: null`).
 *
 * Linear in the source: key paths are stored as a trie of interned parts (a key costs the bytes of
 * its own parts, never its table's name again), paths are recorded only to MAX_RECORD_DEPTH parts
 * (no caller asks deeper: CRI-O's deepest path is crio.runtime.runtimes.<name>.<key>), values are
 * skipped without building them, and nesting is walked with an explicit stack, not recursion.
 */

/** Join key path segments into one string key (segments may contain dots when quoted). */
export function keyPath(parts: readonly string[]): string {
  return parts.join('\u0000');
}

/** Paths deeper than this are not recorded (their prefixes are). */
export const MAX_RECORD_DEPTH = 8;

/** First line of every key path of one source, exact and case-folded. */
export class KeyLines {
  /** `${parentId}\u0000${part}` -> node id; the root is node 0 */
  private readonly exact = new Map<string, number>();
  private readonly folded = new Map<string, number>();
  /** node id -> first line (index 0 unused) */
  private readonly exactLine: number[] = [0];
  private readonly foldedLine: number[] = [0];

  private static child(ids: Map<string, number>, lines: number[], parent: number, part: string, at: number): number {
    const k = `${parent}\u0000${part}`;
    let id = ids.get(k);
    if (id === undefined) {
      id = lines.length;
      ids.set(k, id);
      lines.push(at);
    }
    return id;
  }

  private static find(ids: Map<string, number>, parts: readonly string[]): number | null {
    let id = 0;
    for (const p of parts) {
      const next = ids.get(`${id}\u0000${p}`);
      if (next === undefined) return null;
      id = next;
    }
    return id;
  }

  /** Record every prefix of parts (up to MAX_RECORD_DEPTH) at line `at` unless recorded before. */
  record(parts: readonly string[], at: number): void {
    let e = 0;
    let f = 0;
    const n = Math.min(parts.length, MAX_RECORD_DEPTH);
    for (let i = 0; i < n; i++) {
      const p = parts[i] as string;
      e = KeyLines.child(this.exact, this.exactLine, e, p, at);
      f = KeyLines.child(this.folded, this.foldedLine, f, p.toLowerCase(), at);
    }
  }

  /** 1-based line of the exact path, or null. */
  lineOf(parts: readonly string[]): number | null {
    const id = KeyLines.find(this.exact, parts);
    return id === null || id === 0 ? null : (this.exactLine[id] ?? null);
  }

  /** The exact path, else its first case-insensitive match (BurntSushi folds struct key case). */
  lineOfFold(parts: readonly string[]): number | null {
    const exact = this.lineOf(parts);
    if (exact !== null) return exact;
    const id = KeyLines.find(
      this.folded,
      parts.map((p) => p.toLowerCase()),
    );
    return id === null || id === 0 ? null : (this.foldedLine[id] ?? null);
  }

  /** Map-like access by keyPath(parts). */
  get(key: string): number | undefined {
    return this.lineOf(key.split('\u0000')) ?? undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

class ScanStop extends Error {}

export function scanKeyLines(source: string): KeyLines {
  const out = new KeyLines();
  const s = source;
  const len = s.length;
  let pos = 0;
  let line = 1;

  const fail = (): never => {
    throw new ScanStop('scan');
  };
  const skipSpaces = (): void => {
    while (pos < len && (s.charCodeAt(pos) === 0x20 || s.charCodeAt(pos) === 0x09)) pos++;
  };
  /** spaces, comments and newlines */
  const skipBlank = (): void => {
    for (;;) {
      skipSpaces();
      if (s.charCodeAt(pos) === 0x23 /* # */) {
        const nl = s.indexOf('\n', pos);
        pos = nl < 0 ? len : nl;
      }
      const c = s.charCodeAt(pos);
      if (c === 0x0d) pos++;
      else if (c === 0x0a) {
        pos++;
        line++;
      } else return;
    }
  };

  /** Skip a basic string at its opening quote; returns the raw body (between the quotes). */
  const skipBasic = (): string => {
    const start = ++pos;
    while (pos < len) {
      const c = s.charCodeAt(pos);
      if (c === 0x22 /* " */) break;
      if (c === 0x0a) fail();
      pos += c === 0x5c /* \ */ ? 2 : 1;
    }
    if (pos >= len) fail();
    const body = s.slice(start, pos);
    pos++;
    return body;
  };
  const readBasic = (): string => {
    const body = skipBasic();
    if (!body.includes('\\')) return body;
    try {
      return JSON.parse(`"${body}"`) as string;
    } catch {
      return body;
    }
  };
  const readLiteral = (): string => {
    pos++;
    const end = s.indexOf("'", pos);
    const nl = s.indexOf('\n', pos);
    if (end < 0 || (nl >= 0 && nl < end)) fail();
    const v = s.slice(pos, end);
    pos = end + 1;
    return v;
  };
  const skipMultiline = (delim: string): void => {
    pos += 3;
    for (;;) {
      if (pos >= len) fail();
      const c = s.charCodeAt(pos);
      if (delim === '"""' && c === 0x5c) {
        if (s.charCodeAt(pos + 1) === 0x0a) line++;
        pos += 2;
        continue;
      }
      if (c === delim.charCodeAt(0) && s.startsWith(delim, pos)) {
        pos += 3;
        while (s.charCodeAt(pos) === delim.charCodeAt(0)) pos++; // up to two extra quotes belong to the content
        return;
      }
      if (c === 0x0a) line++;
      pos++;
    }
  };

  const isBare = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
  /** A dotted key; parts beyond MAX_RECORD_DEPTH are skipped, not kept. */
  const readKey = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      const c = s.charCodeAt(pos);
      let part: string;
      if (c === 0x22) part = readBasic();
      else if (c === 0x27) part = readLiteral();
      else {
        const start = pos;
        while (pos < len && isBare(s.charCodeAt(pos))) pos++;
        if (pos === start) fail();
        part = s.slice(start, pos);
      }
      if (parts.length <= MAX_RECORD_DEPTH) parts.push(part);
      skipSpaces();
      if (s.charCodeAt(pos) === 0x2e /* . */) {
        pos++;
        continue;
      }
      return parts;
    }
  };
  const join = (a: readonly string[], b: readonly string[]): string[] => (a.length > MAX_RECORD_DEPTH ? a.slice() : [...a, ...b].slice(0, MAX_RECORD_DEPTH + 1));

  /**
   * Skip one value, recording the keys of inline tables under `prefix`. Arrays and inline tables
   * nest on an explicit stack: a value 100 000 levels deep costs its bytes, not the call stack.
   */
  type Frame = { kind: 'array' } | { kind: 'table'; prefix: string[] | null };
  const skipValue = (prefix: string[]): void => {
    const stack: Frame[] = [];
    let want = 'value' as 'value' | 'tableKey';
    for (;;) {
      if (want === 'tableKey') {
        const top = stack[stack.length - 1] as Frame & { kind: 'table' };
        skipSpaces();
        if (s.charCodeAt(pos) === 0x7d /* } */) {
          pos++;
          stack.pop();
        } else {
          const at = line;
          const k = readKey();
          if (s.charCodeAt(pos) !== 0x3d /* = */) fail();
          pos++;
          const full = top.prefix === null ? null : join(top.prefix, k);
          if (full !== null) out.record(full, at);
          skipSpaces();
          if (s.charCodeAt(pos) === 0x7b /* { */) {
            pos++;
            stack.push({ kind: 'table', prefix: full });
            continue;
          }
          if (s.charCodeAt(pos) === 0x5b /* [ */) {
            pos++;
            stack.push({ kind: 'array' });
            want = 'value';
            continue;
          }
          skipScalar();
        }
      } else {
        skipBlank();
        const c = s.charCodeAt(pos);
        const top = stack[stack.length - 1];
        if (top?.kind === 'array' && c === 0x5d /* ] */) {
          pos++;
          stack.pop();
        } else if (c === 0x5b) {
          pos++;
          stack.push({ kind: 'array' });
          continue;
        } else if (c === 0x7b) {
          pos++;
          // an inline table inside an array: its keys belong to no recorded path
          stack.push({ kind: 'table', prefix: top === undefined ? prefix : null });
          want = 'tableKey';
          continue;
        } else skipScalar();
      }
      // after a complete value: a separator or the end of its container
      const top = stack[stack.length - 1];
      if (top === undefined) return;
      if (top.kind === 'array') {
        skipBlank();
        const c = s.charCodeAt(pos);
        if (c === 0x2c /* , */) pos++;
        else if (c !== 0x5d) fail();
        want = 'value';
      } else {
        skipSpaces();
        const c = s.charCodeAt(pos);
        if (c === 0x2c) pos++;
        else if (c !== 0x7d) fail();
        want = 'tableKey';
      }
    }
  };
  const skipScalar = (): void => {
    skipSpaces();
    const c = s.charCodeAt(pos);
    if (c === 0x22) {
      if (s.startsWith('"""', pos)) skipMultiline('"""');
      else skipBasic();
      return;
    }
    if (c === 0x27) {
      if (s.startsWith("'''", pos)) skipMultiline("'''");
      else readLiteral();
      return;
    }
    // bare scalar: number, bool, date
    const start = pos;
    while (pos < len) {
      const d = s.charCodeAt(pos);
      if (d === 0x2c || d === 0x5d || d === 0x7d || d === 0x23 || d === 0x0a || d === 0x0d) break;
      pos++;
    }
    if (pos === start) fail();
  };

  try {
    let table: string[] = [];
    for (;;) {
      skipBlank();
      if (pos >= len) break;
      const at = line;
      if (s.charCodeAt(pos) === 0x5b) {
        const arrayTable = s.charCodeAt(pos + 1) === 0x5b;
        pos += arrayTable ? 2 : 1;
        table = readKey();
        if (s.charCodeAt(pos) !== 0x5d) fail();
        pos += arrayTable ? 2 : 1;
        out.record(table, at);
        continue;
      }
      const k = readKey();
      if (s.charCodeAt(pos) !== 0x3d) fail();
      pos++;
      const full = join(table, k);
      out.record(full, at);
      skipValue(full);
    }
  } catch (e) {
    if (!(e instanceof ScanStop)) throw e;
    // tolerant: keep what was found
  }
  return out;
}

/** 1-based line of a key path, or null. */
export function lineOf(lines: KeyLines, parts: readonly string[]): number | null {
  return lines.lineOf(parts);
}

/** lineOf, falling back to a case-insensitive match (BurntSushi folds struct key case). */
export function lineOfFold(lines: KeyLines, parts: readonly string[]): number | null {
  return lines.lineOfFold(parts);
}
