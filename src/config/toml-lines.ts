/**
 * Where keys are defined in a TOML source: @iarna/toml gives no positions, so this small scanner
 * walks the source once, tracking the current table header, dotted keys and inline tables, and
 * records the 1-based line where each key path first appears. It is tolerant: on text it does not
 * understand it stops and returns what it found (callers then report `line: null`).
 */

/** Join key path segments into a map key (segments may contain dots when quoted). */
export function keyPath(parts: readonly string[]): string {
  return parts.join('\u0000');
}

export type KeyLines = ReadonlyMap<string, number>;

export function scanKeyLines(source: string): Map<string, number> {
  const out = new Map<string, number>();
  const s = source;
  let pos = 0;
  let line = 1;

  const record = (parts: string[], at: number): void => {
    for (let i = 1; i <= parts.length; i++) {
      const k = keyPath(parts.slice(0, i));
      if (!out.has(k)) out.set(k, at);
    }
  };
  const peek = (n = 0): string => s[pos + n] ?? '';
  const skipSpaces = (): void => {
    while (peek() === ' ' || peek() === '\t') pos++;
  };
  const skipComment = (): void => {
    if (peek() === '#') while (pos < s.length && peek() !== '\n') pos++;
  };
  /** spaces, comments and newlines */
  const skipBlank = (): void => {
    for (;;) {
      skipSpaces();
      skipComment();
      if (peek() === '\r') pos++;
      else if (peek() === '\n') {
        pos++;
        line++;
      } else return;
    }
  };
  const fail = (): never => {
    throw new Error('scan');
  };

  const readBasic = (): string => {
    // at opening quote
    pos++;
    let v = '';
    while (pos < s.length && peek() !== '"') {
      if (peek() === '\n') fail();
      if (peek() === '\\') {
        v += s.slice(pos, pos + 2);
        pos += 2;
      } else v += s[pos++];
    }
    if (peek() !== '"') fail();
    pos++;
    try {
      return JSON.parse(`"${v}"`) as string;
    } catch {
      return v;
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
  const readMultiline = (delim: string): void => {
    pos += 3;
    for (;;) {
      if (pos >= s.length) fail();
      if (delim === '"""' && peek() === '\\') {
        if (s[pos + 1] === '\n') line++;
        pos += 2;
        continue;
      }
      if (s.startsWith(delim, pos)) {
        pos += 3;
        while (peek() === delim[0]) pos++; // up to two extra quotes belong to the content
        return;
      }
      if (peek() === '\n') line++;
      pos++;
    }
  };

  const readKey = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      const c = peek();
      if (c === '"') parts.push(readBasic());
      else if (c === "'") parts.push(readLiteral());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(s.slice(pos, pos + 256));
        if (!m) fail();
        parts.push(m![0]);
        pos += m![0].length;
      }
      skipSpaces();
      if (peek() === '.') {
        pos++;
        continue;
      }
      return parts;
    }
  };

  const readValue = (prefix: string[]): void => {
    skipSpaces();
    const c = peek();
    if (s.startsWith('"""', pos)) return readMultiline('"""');
    if (s.startsWith("'''", pos)) return readMultiline("'''");
    if (c === '"') {
      readBasic();
      return;
    }
    if (c === "'") {
      readLiteral();
      return;
    }
    if (c === '[') {
      pos++;
      for (;;) {
        skipBlank();
        if (peek() === ']') {
          pos++;
          return;
        }
        if (pos >= s.length) fail();
        readValue([]);
        skipBlank();
        if (peek() === ',') pos++;
        else if (peek() !== ']') fail();
      }
    }
    if (c === '{') {
      pos++;
      for (;;) {
        skipSpaces();
        if (peek() === '}') {
          pos++;
          return;
        }
        const at = line;
        const k = readKey();
        if (peek() !== '=') fail();
        pos++;
        record([...prefix, ...k], at);
        readValue([...prefix, ...k]);
        skipSpaces();
        if (peek() === ',') pos++;
        else if (peek() !== '}') fail();
      }
    }
    // bare scalar: number, bool, date
    const start = pos;
    while (pos < s.length && !',]}#\n\r'.includes(peek())) pos++;
    if (pos === start) fail();
  };

  try {
    let table: string[] = [];
    for (;;) {
      skipBlank();
      if (pos >= s.length) break;
      const at = line;
      if (peek() === '[') {
        const arrayTable = peek(1) === '[';
        pos += arrayTable ? 2 : 1;
        table = readKey();
        if (peek() !== ']') fail();
        pos += arrayTable ? 2 : 1;
        record(table, at);
        continue;
      }
      const k = readKey();
      if (peek() !== '=') fail();
      pos++;
      const full = [...table, ...k];
      record(full, at);
      readValue(full);
    }
  } catch {
    // tolerant: keep what was found
  }
  return out;
}

/** 1-based line of a key path, or null. */
export function lineOf(lines: KeyLines, parts: readonly string[]): number | null {
  return lines.get(keyPath(parts)) ?? null;
}

/** lineOf, falling back to a case-insensitive match (BurntSushi folds struct key case). */
export function lineOfFold(lines: KeyLines, parts: readonly string[]): number | null {
  const exact = lineOf(lines, parts);
  if (exact !== null) return exact;
  const want = keyPath(parts).toLowerCase();
  let best: number | null = null;
  for (const [k, line] of lines) if (k.toLowerCase() === want && (best === null || line < best)) best = line;
  return best;
}
