/**
 * Step 6 of the engine for one file: bytes -> TOML document -> type check against CRI-O's struct ->
 * merge of the non-runtime settings. Pure; every step is linear in the file's bytes.
 *
 * BurntSushi/toml (CRI-O's decoder) skips a leading byte-order mark: UTF-16's two bytes or UTF-8's
 * three (a second BOM, or one later in the file, is an error there and here alike). Objects built
 * from a document are dictionaries (Object.create(null)): a handler named `constructor` or
 * `__proto__` is a name like any other.
 */
import { CRIO_SCHEMA, checkLeaf, dict, foldKeys, isTable, own, setOwn, tomlTypeName, type Schema } from './schema.js';
import { MAX_TOML_DEPTH, parseToml, TomlSyntaxError } from './toml.js';
import { scanKeyLines, type KeyLines } from './toml-lines.js';
import type { KeyType, VersionRules } from './version.js';

/** Strip the byte-order mark BurntSushi/toml's parse() skips. */
export function stripBom(buf: Buffer): Buffer {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) return buf.subarray(2);
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3);
  return buf;
}

/** 1-based line of the first invalid UTF-8 sequence, or null (one pass when the file is valid). */
export function firstInvalidUtf8Line(buf: Buffer): number | null {
  if (Buffer.from(buf.toString('utf8'), 'utf8').equals(buf)) return null;
  let line = 1;
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      const part = buf.subarray(start, i);
      if (!Buffer.from(part.toString('utf8'), 'utf8').equals(part)) return line;
      line++;
      start = i + 1;
    }
  }
  return 1;
}

export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isTable(v)) {
    const out = dict();
    for (const [k, x] of Object.entries(v)) setOwn(out, k, clone(x));
    return out as T;
  }
  return v;
}

interface TypeProblem {
  parts: string[];
  value: unknown;
  /** BurntSushi's destination word ("string", "boolean", "integer", "slice", "map"), or a Go struct type for a table mismatch */
  dest: string;
  table: boolean;
}

/** BurntSushi/toml's names for the destination of a scalar/list/map mismatch (decode.go badtype calls). */
function burntDest(t: KeyType): string {
  return { string: 'string', boolean: 'boolean', integer: 'integer', 'string[]': 'slice', 'map<string>': 'map', table: 'struct' }[t];
}

/** Go type of the struct a CRI-O table decodes into (tomlConfig in pkg/config/config.go). */
const STRUCT_NAMES = new Map<string, string>([
  ['crio', 'struct { config.RootConfig; … }'],
  ['crio.api', 'struct { config.APIConfig }'],
  ['crio.runtime', 'struct { config.RuntimeConfig }'],
  ['crio.image', 'struct { config.ImageConfig }'],
  ['crio.network', 'struct { config.NetworkConfig }'],
  ['crio.metrics', 'struct { config.MetricsConfig }'],
  ['crio.tracing', 'struct { config.TracingConfig }'],
  ['crio.nri', 'struct { *nri.Config }'],
]);

function leafProblem(parts: string[], t: KeyType, v: unknown, bad: unknown): TypeProblem {
  // an element of a list/map has the element's destination type
  const element = (t === 'string[]' && Array.isArray(v)) || (t === 'map<string>' && isTable(v));
  return { parts, value: bad, dest: element ? 'string' : burntDest(t), table: false };
}

/**
 * The first value whose type CRI-O's struct refuses. `lenientMaps`: BurntSushi >= 1.4 (CRI-O 1.31+)
 * skips a value that is not a table where a map is expected (`runtimes = []`, `[[crio.runtime.workloads]]`:
 * the lab's 1.32.13 loads them unchanged); older versions are kept strict (not observed).
 */
function typeCheck(doc: Record<string, unknown>, schema: Schema, prefix: string[], handlerKeys: Record<string, KeyType>, lenientMaps: boolean): TypeProblem | null {
  for (const [key, v] of Object.entries(doc)) {
    const s = own(schema, key);
    if (s === undefined) continue;
    const parts = [...prefix, key];
    if (typeof s === 'string') {
      const r = checkLeaf(s, v);
      if (r) return leafProblem(parts, s, v, r.bad);
    } else if ('handlers' in s) {
      if (!isTable(v)) {
        if (lenientMaps) continue;
        return { parts, value: v, dest: 'map', table: false };
      }
      for (const [name, h] of Object.entries(v)) {
        if (!isTable(h)) return { parts: [...parts, name], value: h, dest: 'config.RuntimeHandler', table: true };
        for (const [hk, hv] of Object.entries(h)) {
          const t = own(handlerKeys, hk);
          if (t === undefined) continue;
          const r = checkLeaf(t, hv);
          if (r) return leafProblem([...parts, name, hk], t, hv, r.bad);
        }
      }
    } else if ('mapOfTables' in s) {
      if (!isTable(v)) {
        if (lenientMaps) continue;
        return { parts, value: v, dest: 'map', table: false };
      }
      for (const [name, t] of Object.entries(v)) if (!isTable(t)) return { parts: [...parts, name], value: t, dest: 'config.WorkloadConfig', table: true };
    } else {
      if (!isTable(v)) return { parts, value: v, dest: STRUCT_NAMES.get(parts.join('.')) ?? 'struct', table: true };
      const inner = typeCheck(v, s as Schema, parts, handlerKeys, lenientMaps);
      if (inner) return inner;
    }
  }
  return null;
}

export interface DecodedFile {
  /** the text after the BOM */
  text: string;
  lines: KeyLines;
  /** the document with struct keys folded to the schema's spelling */
  doc: Record<string, unknown>;
  /** [crio.runtime] holds default_runtime spelled exactly (1.24/1.25.0's metadata.IsDefined) */
  definesDefaultExactly: boolean;
}

export interface DecodeFailure {
  /** 'limit': crio-sentinel's parser bound (nesting), not a CRI-O failure */
  kind: 'decode' | 'type' | 'limit';
  /** CRI-O's message without the version's prefixes */
  inner: string;
  line: number | null;
  column: number | null;
}

/** Decode and type-check one config file as CRI-O's UpdateFromDropInFile does. */
export function decodeConfig(p: string, bytes: Buffer, rules: VersionRules, handlerKeys: Record<string, KeyType>): DecodedFile | DecodeFailure {
  const buf = stripBom(bytes);
  const badLine = firstInvalidUtf8Line(buf);
  const text = buf.toString('utf8');
  // only one BOM is skipped: BurntSushi's lexer fails on a second one (the parser would skip it)
  if (badLine === null && text.startsWith('\ufeff')) {
    return { kind: 'decode', inner: `unable to decode configuration ${p}: toml: line 1: expected '.' or '=', but got '\\ufeff' instead`, line: 1, column: 1 };
  }
  const nul = badLine === null ? text.indexOf('\u0000') : -1;
  if (badLine !== null || nul >= 0) {
    let line = badLine ?? 1;
    if (badLine === null) for (let i = text.indexOf('\n'); i >= 0 && i < nul; i = text.indexOf('\n', i + 1)) line++;
    return { kind: 'decode', inner: `unable to decode configuration ${p}: toml: line ${line}: ${badLine !== null ? 'invalid UTF-8' : 'NUL byte'} (binary data, not a TOML file)`, line, column: null };
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlSyntaxError)) throw e;
    const where = e.line !== null ? `line ${e.line}${e.column !== null ? `, column ${e.column}` : ''}: ` : '';
    if (e.tooDeep) return { kind: 'limit', inner: `${p}: ${where}${e.text} (crio-sentinel parses at most ${MAX_TOML_DEPTH} levels of nesting)`, line: e.line, column: e.column };
    return { kind: 'decode', inner: `unable to decode configuration ${p}: toml: ${where}${e.text}`, line: e.line, column: e.column };
  }
  const lines = scanKeyLines(text);
  const crio = own(doc, 'crio');
  const rawRuntime = isTable(crio) ? own(crio, 'runtime') : undefined;
  const definesDefaultExactly = isTable(rawRuntime) && own(rawRuntime, 'default_runtime') !== undefined;
  doc = foldKeys(doc, CRIO_SCHEMA, handlerKeys);
  const problem = typeCheck(doc, CRIO_SCHEMA, [], handlerKeys, rules.wrapsErrors);
  if (problem) {
    const line = lines.lineOfFold(problem.parts);
    const key = problem.parts.join('.');
    // Go's %T of the decoded value; BurntSushi >= 1.4 (CRI-O 1.31) prints "any" for "interface {}"
    const goT = tomlTypeName(problem.value);
    const have = rules.wrapsErrors ? goT.replace(/interface \{\}/g, 'any') : goT;
    const what = problem.table
      ? `type mismatch for ${problem.dest}: expected table but found ${have}`
      : rules.typeErrorsHaveLine
        ? `incompatible types: TOML value has type ${have}; destination has type ${problem.dest}`
        : `incompatible types: TOML key "${key}" has type ${have}; destination has type ${problem.dest}`;
    const inner = rules.typeErrorsHaveLine
      ? `unable to decode configuration ${p}: toml: line ${line ?? '?'} (last key "${key}"): ${what}`
      : `unable to decode configuration ${p}: toml: ${what}`;
    return { kind: 'type', inner, line, column: null };
  }
  return { text, lines, doc, definesDefaultExactly };
}

export function isDecodeFailure(d: DecodedFile | DecodeFailure): d is DecodeFailure {
  return 'inner' in d;
}

/** Keep the last occurrence of each value, in the order of those last occurrences (linear). */
function dedupeKeepLast(all: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const x = all[i] as string;
    if (seen.has(x)) continue;
    seen.add(x);
    out.push(x);
  }
  return out.reverse();
}

/** Merge one decoded file's non-runtime settings into the accumulated ones (config.go's per-file update). */
export function mergeSettings(target: Record<string, unknown>, doc: Record<string, unknown>, schema: Schema = CRIO_SCHEMA, prefix: string[] = []): void {
  for (const [key, v] of Object.entries(doc)) {
    const s = own(schema, key);
    if (s === undefined) continue;
    if (typeof s === 'string') {
      if (key === 'storage_option' && prefix.length === 1) {
        setOwn(target, key, dedupeKeepLast([...((own(target, key) as string[] | undefined) ?? []), ...(v as string[])]));
      } else if (prefix.length === 1 && ['root', 'runroot', 'storage_driver'].includes(key) && v === '') {
        // an empty value keeps the one held before this file (config.go)
      } else setOwn(target, key, clone(v));
    } else if ('handlers' in s) {
      continue;
    } else if ('mapOfTables' in s) {
      if (!isTable(v)) continue; // skipped by the decoder (lenient maps)
      let m = own(target, key);
      if (!isTable(m)) setOwn(target, key, (m = dict()));
      for (const [name, t] of Object.entries(v as Record<string, unknown>)) setOwn(m as Record<string, unknown>, name, clone(t));
    } else {
      let sub = own(target, key);
      if (!isTable(sub)) setOwn(target, key, (sub = dict()));
      mergeSettings(sub as Record<string, unknown>, v as Record<string, unknown>, s as Schema, [...prefix, key]);
    }
  }
}

/** The runtime handler tables of one decoded file: name -> known fields (cloned), in file order. */
export function handlerTables(doc: Record<string, unknown>, handlerKeys: Record<string, KeyType>): [string, Record<string, unknown>][] {
  const crio = own(doc, 'crio');
  const runtime = isTable(crio) ? own(crio, 'runtime') : undefined;
  const runtimes = isTable(runtime) ? own(runtime, 'runtimes') : undefined;
  if (!isTable(runtimes)) return [];
  const out: [string, Record<string, unknown>][] = [];
  for (const [name, h] of Object.entries(runtimes)) {
    const fields = dict();
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (own(handlerKeys, k) !== undefined) setOwn(fields, k, clone(v));
    out.push([name, fields]);
  }
  return out;
}

/** [crio.runtime] of a decoded file, when it is a table. */
export function runtimeTable(doc: Record<string, unknown>): Record<string, unknown> | undefined {
  const crio = own(doc, 'crio');
  const runtime = isTable(crio) ? own(crio, 'runtime') : undefined;
  return isTable(runtime) ? runtime : undefined;
}
