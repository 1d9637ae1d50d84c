/**
 * The CRI-O effective-config engine (crio-config.md §14), pure over an injected FileView.
 *
 *   version rules -> built-in defaults -> main file -> drop-ins (byte-wise, recursive)
 *   -> CLI/env overrides -> config-level validation -> start-time validation
 *
 * `resolveDetailed` returns everything the findings, `check` and `fix` need; `resolveConfig`
 * turns it into the `ConfigReport` contract (with findings).
 */
import * as TOML from '@iarna/toml';
import {
  FileViewError,
  type ConfigInputs,
  type ConfigReport,
  type FileReport,
  type FileView,
  type Provenance,
  type RuntimeHandlerView,
} from '../core/types.js';
import { describeKind, normalizeHostPath } from './host-file-view.js';
import { isNvidiaHandler, lookPath } from './nvidia.js';
import { CRIO_SCHEMA, checkLeaf, foldKeys, isTable, tomlTypeName, type Schema } from './schema.js';
import { keyPath, lineOfFold, scanKeyLines } from './toml-lines.js';
import { compareVersions, handlerKeyTypes, parseCrioVersion, versionRules, type KeyType, type VersionRules } from './version.js';
import type { DefaultSetting, FatalError, FatalKind, HandlerEntry, LoadedFile, Resolution, ValidatedHandler } from './resolution.js';
import { configFindingsReport } from '../findings/engine.js';

export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Bound on the bytes of all config files read in one resolution (bounded memory in the daemon). */
export const MAX_TOTAL_CONFIG_BYTES = 64 * 1024 * 1024;
/** Files in never-read places are scanned for NVIDIA tables only up to this size and count. */
const MAX_IGNORED_TEXT_BYTES = 256 * 1024;
const MAX_IGNORED_TEXTS = 200;
/** CRI-O's PATH (the systemd unit gives it no other). */
export const CRIO_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const DEFAULT_CONFIG = '/etc/crio/crio.conf';
export const DEFAULT_CONFIG_DIR = '/etc/crio/crio.conf.d';
/** Where nvidia-ctk 1.18.0-1.19.0 writes its drop-in; CRI-O never reads it. */
export const WRONG_NVIDIA_DIR = '/etc/crio/conf.d';
const MAX_WALK_DEPTH = 32;
const MAX_WALK_ENTRIES = 10_000;

class Fatal extends Error {
  constructor(readonly fatal: FatalError) {
    super(fatal.message);
  }
}

/** Make any text safe for one output line: control characters and invalid bytes are escaped. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\ufffd]/g, (c) => (c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Run a view call that may throw (ELOOP, EACCES …); the fallback stands for "cannot tell". */
export function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) as T;
  return v;
}

function firstInvalidUtf8Line(buf: Buffer): number | null {
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
function structName(parts: string[]): string {
  const names: Record<string, string> = {
    crio: 'struct { config.RootConfig; … }',
    'crio.api': 'struct { config.APIConfig }',
    'crio.runtime': 'struct { config.RuntimeConfig }',
    'crio.image': 'struct { config.ImageConfig }',
    'crio.network': 'struct { config.NetworkConfig }',
    'crio.metrics': 'struct { config.MetricsConfig }',
    'crio.tracing': 'struct { config.TracingConfig }',
    'crio.nri': 'struct { *nri.Config }',
  };
  return names[parts.join('.')] ?? 'struct';
}

function leafProblem(parts: string[], t: KeyType, v: unknown, bad: unknown): TypeProblem {
  // an element of a list/map has the element's destination type
  const element = (t === 'string[]' && Array.isArray(v)) || (t === 'map<string>' && isTable(v));
  return { parts, value: bad, dest: element ? 'string' : burntDest(t), table: false };
}

function typeCheck(doc: Record<string, unknown>, schema: Schema, prefix: string[], handlerKeys: Record<string, KeyType>): TypeProblem | null {
  for (const [key, v] of Object.entries(doc)) {
    const s = schema[key];
    if (s === undefined) continue;
    const parts = [...prefix, key];
    if (typeof s === 'string') {
      const r = checkLeaf(s, v);
      if (r) return leafProblem(parts, s, v, r.bad);
    } else if ('handlers' in s) {
      if (!isTable(v)) return { parts, value: v, dest: 'map', table: false };
      for (const [name, h] of Object.entries(v)) {
        if (!isTable(h)) return { parts: [...parts, name], value: h, dest: 'config.RuntimeHandler', table: true };
        for (const [hk, hv] of Object.entries(h)) {
          const t = handlerKeys[hk];
          if (t === undefined) continue;
          const r = checkLeaf(t, hv);
          if (r) return leafProblem([...parts, name, hk], t, hv, r.bad);
        }
      }
    } else if ('mapOfTables' in s) {
      if (!isTable(v)) return { parts, value: v, dest: 'map', table: false };
      for (const [name, t] of Object.entries(v)) if (!isTable(t)) return { parts: [...parts, name], value: t, dest: 'config.WorkloadConfig', table: true };
    } else {
      if (!isTable(v)) return { parts, value: v, dest: structName(parts), table: true };
      const inner = typeCheck(v, s as Schema, parts, handlerKeys);
      if (inner) return inner;
    }
  }
  return null;
}

function mergeSettings(target: Record<string, unknown>, doc: Record<string, unknown>, schema: Schema, prefix: string[]): void {
  for (const [key, v] of Object.entries(doc)) {
    const s = schema[key];
    if (s === undefined) continue;
    if (typeof s === 'string') {
      if (key === 'storage_option' && prefix.length === 1) {
        const all = [...((target[key] as string[] | undefined) ?? []), ...(v as string[])];
        target[key] = all.filter((x, i) => all.lastIndexOf(x) === i);
      } else if (prefix.length === 1 && ['root', 'runroot', 'storage_driver'].includes(key) && v === '') {
        // an empty value keeps the one held before this file (config.go)
      } else target[key] = clone(v);
    } else if ('handlers' in s) {
      continue;
    } else if ('mapOfTables' in s) {
      const m = (isTable(target[key]) ? target[key] : (target[key] = {})) as Record<string, unknown>;
      for (const [name, t] of Object.entries(v as Record<string, unknown>)) m[name] = clone(t);
    } else {
      const sub = (isTable(target[key]) ? target[key] : (target[key] = {})) as Record<string, unknown>;
      mergeSettings(sub, v as Record<string, unknown>, s as Schema, [...prefix, key]);
    }
  }
}

function tomlErrorParts(e: unknown): { line: number | null; column: number | null; text: string } {
  const err = e as { line?: number; col?: number; message?: string };
  const first = (err.message ?? String(e)).split('\n')[0] ?? '';
  const text = first.replace(/ at row \d+, col \d+, pos \d+:?$/, '');
  const line = typeof err.line === 'number' ? err.line + 1 : null;
  const column = typeof err.col === 'number' ? err.col + 1 : null;
  return { line, column, text };
}

/** The drop-in walk: every non-directory entry, names sorted byte-wise, subdirectories at their sort position. */
interface WalkEntry {
  path: string;
  /** a problem found while walking (unreadable dir, undecodable name, too deep) */
  walkError?: string;
}

function walkDir(view: FileView, dir: string, depth: number, out: WalkEntry[]): void {
  if (out.length >= MAX_WALK_ENTRIES) return;
  if (depth > MAX_WALK_DEPTH) {
    out.push({ path: dir, walkError: `lstat ${dir}: directory nesting deeper than ${MAX_WALK_DEPTH} levels: not followed` });
    return;
  }
  let names: Buffer[];
  try {
    names = view.readdirRaw(dir);
  } catch (e) {
    out.push({ path: dir, walkError: e instanceof Error ? e.message : String(e) });
    return;
  }
  names.sort(Buffer.compare);
  for (const raw of names) {
    if (out.length >= MAX_WALK_ENTRIES) return;
    const name = raw.toString('utf8');
    const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      out.push({ path: `${dir}/${oneLine(raw.toString('latin1'))}`, walkError: `${dir}: entry name is not valid UTF-8; crio-sentinel cannot open it (CRI-O would read it)` });
      continue;
    }
    let st;
    try {
      st = view.lstat(p);
    } catch (e) {
      out.push({ path: p, walkError: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (st?.kind === 'dir') walkDir(view, p, depth + 1, out);
    else out.push({ path: p });
  }
}

const STRAY_SUFFIXES = ['~', '.swp', '.swo', '.bak', '.orig', '.old', '.rej', '.tmp', '.rpmsave', '.rpmnew', '.rpmorig', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.dpkg-bak', '.ucf-old', '.ucf-new', '.ucf-dist'];

/** Why a drop-in entry looks unintended, or null. */
export function strayReason(view: FileView, dir: string, path: string): string | null {
  const rel = path.slice(dir.length + 1);
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const reasons: string[] = [];
  if (base.startsWith('.')) reasons.push('hidden file');
  const suffix = STRAY_SUFFIXES.find((s) => base.endsWith(s)) ?? (/\.dpkg-[a-z]+$/.test(base) ? '.dpkg-*' : undefined) ?? (/\.crio-sentinel\.bak\./.test(base) ? 'backup' : undefined);
  if (suffix) reasons.push(`editor/backup name (${suffix})`);
  else if (!base.endsWith('.conf') && !base.endsWith('.toml')) reasons.push('name does not end in .conf or .toml');
  if (rel.includes('/')) reasons.push('inside a subdirectory');
  try {
    if (view.lstat(path)?.kind === 'symlink') reasons.push(`symbolic link to ${view.readlink(path) ?? '?'}`);
  } catch {
    // ignore
  }
  return reasons.length ? reasons.join(', ') : null;
}

/**
 * CRI-O's --runtimes / CONTAINER_RUNTIMES parsing (internal/criocli/criocli.go): a single value holding
 * commas is split on them (StringSliceTrySplit); each entry has 3..6 fields (7 from 1.30, which adds
 * container_min_memory); fewer or more is fatal: "wrong format" before 1.30, "invalid format" from 1.30.
 */
function parseRuntimesFlag(values: string[], rules: VersionRules): { ok: true; handlers: [string, Record<string, unknown>][] } | { ok: false; error: string } {
  const newer = rules.version === null || compareVersions(rules.version, { major: 1, minor: 30, patch: 0 }) >= 0;
  const entries = values.length === 1 && (values[0] as string).includes(',') ? (values[0] as string).split(',').map((x) => x.trim()) : values;
  const out: [string, Record<string, unknown>][] = [];
  for (const r of entries) {
    const f = r.split(':');
    if (f.length < 3 || f.length > (newer ? 7 : 6)) return { ok: false, error: `${newer ? 'invalid' : 'wrong'} format for --runtimes: ${JSON.stringify(r)}` };
    const fields: Record<string, unknown> = { runtime_path: f[1], runtime_root: f[2], runtime_type: f[3] ?? 'oci' };
    fields.privileged_without_host_devices = f[4] === 'true';
    if (f.length >= 6) fields.runtime_config_path = f[5];
    if (f.length >= 7) fields.container_min_memory = f[6];
    out.push([f[0] as string, fields]);
  }
  return { ok: true, handlers: out };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** RuntimeHandler.Validate (pkg/config/config.go): type, then path (PATH lookup when empty), vm shim name, config path. */
function validateHandler(view: FileView, name: string, fields: Record<string, unknown>, path: string[]): { error: string | null; resolved: string | null } {
  const type = str(fields.runtime_type);
  const runtimePath = str(fields.runtime_path);
  const lookup = (): string | null => (runtimePath === '' ? lookPath(view, name, path) : runtimePath);
  if (!['', 'oci', 'vm', 'pod'].includes(type)) return { error: `invalid \`runtime_type\` "${type}" for runtime "${name}"`, resolved: lookup() };
  let resolved: string | null;
  if (runtimePath === '') {
    resolved = lookPath(view, name, path);
    if (!resolved) return { error: `"${name}" not found in $PATH: exec: "${name}": executable file not found in $PATH`, resolved: null };
  } else {
    resolved = runtimePath;
    if (safe(() => view.stat(runtimePath), null) === null) {
      return { error: `invalid runtime_path for runtime '${name}': stat ${runtimePath}: no such file or directory`, resolved: null };
    }
  }
  if (type === 'vm' && !/^containerd-shim-[a-zA-Z0-9\-+]+$/.test(resolved.slice(resolved.lastIndexOf('/') + 1))) {
    return { error: `invalid runtime_path for runtime '${name}': containerd binary naming pattern is not followed`, resolved };
  }
  const configPath = str(fields.runtime_config_path);
  if (configPath !== '') {
    if (type !== 'vm') return { error: `runtime_config_path can only be used with the 'vm' runtime type`, resolved };
    if (safe(() => view.stat(configPath), null) === null) {
      return { error: `invalid runtime_config_path for runtime '${name}': stat ${configPath}: no such file or directory`, resolved };
    }
  }
  return { error: null, resolved };
}

/** Resolve the inputs to the main path / dir, with CRI-O's explicit-set rule (an env var counts as set). */
export function resolveInputPaths(inputs: ConfigInputs): { mainPath: string; mainExplicit: boolean; configDir: string } {
  const env = inputs.env ?? {};
  let mainPath = DEFAULT_CONFIG;
  let mainExplicit = false;
  if (inputs.config !== undefined) {
    mainPath = inputs.config;
    mainExplicit = true;
  } else if (env.CONTAINER_CONFIG !== undefined) {
    mainPath = env.CONTAINER_CONFIG;
    mainExplicit = true;
  }
  const configDir = inputs.configDir ?? env.CONTAINER_CONFIG_DIR ?? DEFAULT_CONFIG_DIR;
  return {
    mainPath: mainPath === '' ? '' : normalizeHostPath(mainPath),
    mainExplicit,
    configDir: configDir === '' ? '' : normalizeHostPath(configDir),
  };
}

export interface ResolveOptions {
  /** CRI-O's PATH for runtime and conmon lookups (default CRIO_PATH) */
  path?: string[];
  /** bound on the total bytes of config files read (default MAX_TOTAL_CONFIG_BYTES) */
  maxTotalBytes?: number;
}

export function resolveDetailed(inputs: ConfigInputs, view: FileView, opts: ResolveOptions = {}): Resolution {
  const maxTotal = opts.maxTotalBytes ?? MAX_TOTAL_CONFIG_BYTES;
  const version = inputs.crioVersion ? parseCrioVersion(inputs.crioVersion) : null;
  const rules = versionRules(version);
  const handlerKeys = handlerKeyTypes(version);
  const path = opts.path ?? CRIO_PATH;
  const env = inputs.env ?? {};
  const { mainPath, mainExplicit, configDir } = resolveInputPaths(inputs);

  const builtin: DefaultSetting = { name: rules.builtinDefault, source: { builtin: true } };
  const handlers = new Map<string, HandlerEntry>([
    [rules.builtinDefault, { fields: { runtime_type: 'oci', runtime_root: rules.defaultRuntimeRoot }, source: { builtin: true } }],
  ]);
  let current: DefaultSetting = builtin;
  const defaultHistory: DefaultSetting[] = [];
  const runcDeletions: { file: string; line: number | null }[] = [];
  const settings: Record<string, unknown> = {};
  const files: FileReport[] = [];
  const loaded = new Map<string, LoadedFile>();
  const strays: { path: string; reason: string }[] = [];
  const ignored: { path: string; reason: string; text: string | null }[] = [];
  let fatal: FatalError | null = null;
  let totalBytes = 0;
  let ignoredTexts = 0;

  const wrap = (kind: 'file' | 'path', inner: string): string => {
    if (!rules.wrapsErrors) return inner;
    return kind === 'file'
      ? `get and merge config from context: update config from file: update config from drop-in file: ${inner}`
      : `get and merge config from context: update config from path: walk path: ${inner}`;
  };

  /** Read, decode, type-check and merge one file (step 6). Throws Fatal. */
  const applyFile = (p: string, kind: 'file' | 'path'): void => {
    let buf: Buffer;
    try {
      buf = view.readFile(p, MAX_CONFIG_BYTES);
    } catch (e) {
      const code = e instanceof FileViewError ? e.code : 'EIO';
      const msg = e instanceof Error ? e.message : String(e);
      let k: FatalKind = 'read';
      let inner = msg;
      if (code === 'ENOTREG') {
        k = 'not-regular';
        const st = safe(() => view.stat(p), null);
        const what = st ? describeKind(st.kind) : 'not a regular file';
        inner = `read ${p}: ${what}: ${st?.kind === 'fifo' ? 'CRI-O would block reading it and never start' : 'CRI-O cannot parse it as TOML'} (crio-sentinel did not read it)`;
      } else if (code === 'EFBIG') {
        k = 'oversize';
        inner = `${msg} (crio-sentinel reads at most ${MAX_CONFIG_BYTES} bytes; a file this large is not a CRI-O config)`;
      } else if (code === 'EACCES' || code === 'EPERM') {
        k = 'unreadable';
        inner = `open ${p}: permission denied (crio-sentinel cannot read it; CRI-O, running as root, may)`;
      }
      throw new Fatal({ kind: k, message: wrap(kind, oneLine(inner)), path: p, line: null, column: null, detail: oneLine(inner) });
    }
    totalBytes += buf.length;
    if (totalBytes > maxTotal) {
      const inner = `${p}: the config files read so far exceed ${maxTotal} bytes in total: not read (crio-sentinel's memory bound)`;
      throw new Fatal({ kind: 'oversize', message: wrap(kind, inner), path: p, line: null, column: null, detail: inner });
    }
    const badLine = firstInvalidUtf8Line(buf);
    const text = buf.toString('utf8');
    if (badLine !== null || text.includes('\u0000')) {
      const line = badLine ?? text.slice(0, text.indexOf('\u0000')).split('\n').length;
      const inner = `unable to decode configuration ${p}: toml: line ${line}: ${badLine !== null ? 'invalid UTF-8' : 'NUL byte'} (binary data, not a TOML file)`;
      throw new Fatal({ kind: 'decode', message: wrap(kind, inner), path: p, line, column: null, detail: inner });
    }
    let doc: Record<string, unknown>;
    try {
      doc = TOML.parse(text) as Record<string, unknown>;
    } catch (e) {
      const t = tomlErrorParts(e);
      const where = t.line !== null ? `line ${t.line}${t.column !== null ? `, column ${t.column}` : ''}: ` : '';
      const inner = oneLine(`unable to decode configuration ${p}: toml: ${where}${t.text}`);
      throw new Fatal({ kind: 'decode', message: wrap(kind, inner), path: p, line: t.line, column: t.column, detail: inner });
    }
    const lines = scanKeyLines(text);
    // 1.24/1.25.0's runc deletion asks metadata.IsDefined("crio","runtime","default_runtime"): the key as written
    const rawRuntime = isTable(doc.crio) && isTable(doc.crio.runtime) ? doc.crio.runtime : undefined;
    const definesDefaultExactly = rawRuntime !== undefined && Object.prototype.hasOwnProperty.call(rawRuntime, 'default_runtime');
    doc = foldKeys(doc, CRIO_SCHEMA, handlerKeys);
    const problem = typeCheck(doc, CRIO_SCHEMA, [], handlerKeys);
    if (problem) {
      const line = lineOfFold(lines, problem.parts);
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
      throw new Fatal({ kind: 'type', message: wrap(kind, inner), path: p, line, column: null, detail: inner });
    }
    loaded.set(p, { path: p, text, lines });
    mergeSettings(settings, doc, CRIO_SCHEMA, []);
    const crio = isTable(doc.crio) ? doc.crio : undefined;
    const runtime = crio && isTable(crio.runtime) ? crio.runtime : undefined;
    const runtimes = runtime && isTable(runtime.runtimes) ? runtime.runtimes : undefined;
    if (runtimes) {
      for (const [name, h] of Object.entries(runtimes)) {
        const fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (handlerKeys[k] !== undefined) fields[k] = clone(v);
        handlers.set(name, { fields, source: { file: p, line: lineOfFold(lines, ['crio', 'runtime', 'runtimes', name]) } });
      }
    }
    if (runtime && Object.prototype.hasOwnProperty.call(runtime, 'default_runtime')) {
      current = { name: runtime.default_runtime as string, source: { file: p, line: lineOfFold(lines, ['crio', 'runtime', 'default_runtime']) } };
      defaultHistory.push(current);
      if (rules.deletesRunc && definesDefaultExactly && current.name !== 'runc' && handlers.has('runc')) {
        handlers.delete('runc');
        runcDeletions.push({ file: p, line: lineOfFold(lines, ['crio', 'runtime', 'default_runtime']) });
      }
    }
  };

  const recordFatal = (e: unknown, p: string): void => {
    if (!(e instanceof Fatal)) throw e;
    fatal = e.fatal;
    files.push({ path: p, status: 'error', error: e.fatal.message });
  };

  // ---- step 4: main file
  if (mainPath !== '') {
    let st;
    try {
      st = view.stat(mainPath);
    } catch {
      st = undefined; // e.g. ELOOP: let the read report it
    }
    if (st === null) {
      files.push({ path: mainPath, status: 'missing' });
      if (mainExplicit) {
        // criocli mergeConfigFiles: "update config from file: " + UpdateFromFile's "update config from drop-in file: " (1.31+); bare before
        const inner = `open ${mainPath}: no such file or directory`;
        const message = rules.wrapsErrors ? `get and merge config from context: update config from file: update config from drop-in file: ${inner}` : inner;
        fatal = { kind: 'missing-main', message, path: mainPath, line: null, column: null, detail: inner };
        (files[files.length - 1] as FileReport).error = message;
      }
    } else {
      try {
        applyFile(mainPath, 'file');
        files.push({ path: mainPath, status: 'applied' });
      } catch (e) {
        recordFatal(e, mainPath);
      }
    }
  }

  // ---- step 5: drop-in dir
  let dirEntries: WalkEntry[] = [];
  let dirExists = false;
  if (configDir !== '') {
    let st = null;
    try {
      st = view.stat(configDir);
    } catch {
      st = null;
    }
    if (st !== null) {
      dirExists = true;
      const lst = safe(() => view.lstat(configDir), null);
      if (lst?.kind === 'dir') walkDir(view, configDir, 0, dirEntries);
      else dirEntries = [{ path: configDir }]; // Walk lstat()s the root: a symlinked dir or a file is read as a file
    }
  }
  for (const entry of dirEntries) {
    if (fatal) {
      files.push({ path: entry.path, status: 'ignored', error: `not applied: CRI-O stops at the first failing file (${(fatal as FatalError).path ?? 'flags'})` });
      continue;
    }
    if (entry.path !== configDir) {
      const why = strayReason(view, configDir, entry.path);
      if (why) strays.push({ path: entry.path, reason: why });
    }
    if (entry.walkError) {
      const inner = oneLine(entry.walkError);
      fatal = { kind: 'unreadable', message: wrap('path', inner), path: entry.path, line: null, column: null, detail: inner };
      files.push({ path: entry.path, status: 'error', error: fatal.message });
      continue;
    }
    try {
      applyFile(entry.path, 'path');
      files.push({ path: entry.path, status: 'applied' });
    } catch (e) {
      recordFatal(e, entry.path);
    }
  }

  // ---- files present but never read
  const readPaths = new Set(files.map((f) => f.path));
  const collectIgnored = (dir: string, reason: string): void => {
    let st = null;
    try {
      st = view.stat(dir);
    } catch {
      st = null;
    }
    if (st === null) return;
    const list: WalkEntry[] = [];
    if (st.kind === 'dir') walkDir(view, dir, 0, list);
    else list.push({ path: dir });
    for (const e of list) {
      if (readPaths.has(e.path)) continue;
      let text: string | null = null;
      try {
        if (!e.walkError && ignoredTexts < MAX_IGNORED_TEXTS) {
          text = view.readFile(e.path, MAX_IGNORED_TEXT_BYTES).toString('utf8');
          ignoredTexts++;
        }
      } catch {
        text = null;
      }
      ignored.push({ path: e.path, reason, text });
      files.push({ path: e.path, status: 'ignored', error: reason });
    }
  };
  if (configDir !== WRONG_NVIDIA_DIR) {
    collectIgnored(WRONG_NVIDIA_DIR, `CRI-O never reads ${WRONG_NVIDIA_DIR}/ (only ${configDir || DEFAULT_CONFIG_DIR}/)`);
  }
  if (configDir !== DEFAULT_CONFIG_DIR && !(configDir !== '' && DEFAULT_CONFIG_DIR.startsWith(configDir + '/'))) {
    collectIgnored(DEFAULT_CONFIG_DIR, configDir === '' ? 'drop-ins are disabled (--config-dir "")' : `not the configured drop-in directory (${configDir})`);
  }
  if (mainPath !== DEFAULT_CONFIG) {
    try {
      if (view.stat(DEFAULT_CONFIG)?.kind === 'file') {
        let text: string | null = null;
        try {
          text = view.readFile(DEFAULT_CONFIG, MAX_IGNORED_TEXT_BYTES).toString('utf8');
        } catch {
          text = null;
        }
        const reason = mainPath === '' ? 'main file disabled (--config "")' : `not the configured main file (${mainPath})`;
        ignored.push({ path: DEFAULT_CONFIG, reason, text });
        files.push({ path: DEFAULT_CONFIG, status: 'ignored', error: reason });
      }
    } catch {
      // ignore
    }
  }

  const filesDefault = current;

  // ---- step 7: CLI/env overrides
  let cliDefault: { value: string; flag: string } | null = null;
  if (inputs.defaultRuntime !== undefined) cliDefault = { value: inputs.defaultRuntime, flag: '--default-runtime' };
  else if (env.CONTAINER_DEFAULT_RUNTIME !== undefined) cliDefault = { value: env.CONTAINER_DEFAULT_RUNTIME, flag: 'CONTAINER_DEFAULT_RUNTIME' };
  let cliRuntimes: { names: string[]; flag: string } | null = null;
  if (!fatal) {
    if (cliDefault) current = { name: cliDefault.value, source: { flag: cliDefault.flag } };
    let rtEntries: string[] | null = null;
    let rtFlag = '--runtimes';
    if (inputs.runtimes !== undefined && inputs.runtimes.length > 0) rtEntries = inputs.runtimes;
    else if (env.CONTAINER_RUNTIMES !== undefined) {
      // urfave/cli splits a slice flag's environment value on commas
      rtEntries = env.CONTAINER_RUNTIMES.split(',');
      rtFlag = 'CONTAINER_RUNTIMES';
    }
    if (rtEntries) {
      const parsed = parseRuntimesFlag(rtEntries, rules);
      if (!parsed.ok) {
        fatal = { kind: 'flag', message: parsed.error, path: null, line: null, column: null, detail: parsed.error };
      } else {
        for (const [name, fields] of parsed.handlers) handlers.set(name, { fields, source: { flag: rtFlag } });
        cliRuntimes = { names: parsed.handlers.map(([n]) => n), flag: rtFlag };
      }
    }
  }

  const configured = current;
  let defaultRuntime: DefaultSetting | null = null;
  let configError: string | null = null;
  let startError: string | null = null;
  const validated = new Map<string, ValidatedHandler>();
  const f = fatal as FatalError | null;

  if (!f) {
    // ---- step 8: config-level validation
    if (current.name === '') {
      defaultRuntime = builtin;
      if (!handlers.has(builtin.name)) {
        handlers.set(builtin.name, { fields: { runtime_type: 'oci', runtime_root: rules.defaultRuntimeRoot }, source: { builtin: true } });
      }
    } else if (!handlers.has(current.name)) {
      configError = `default_runtime set to "${current.name}", but no runtime entry table [crio.runtime.runtimes.${current.name}] was found`;
      startError = `validating runtime config: ${configError}`;
    } else defaultRuntime = current;

    // ---- step 9: start-time validation
    const globalConmon = str((((settings.crio as Record<string, unknown> | undefined)?.runtime ?? {}) as Record<string, unknown>).conmon);
    const conmonPath = globalConmon || lookPath(view, 'conmon', path) || '';
    const defName = defaultRuntime?.name ?? null;
    const defFields = defName ? handlers.get(defName)?.fields : undefined;
    for (const [name, h] of handlers) {
      let fields = h.fields;
      if (rules.inheritDefaultRuntime && fields.inherit_default_runtime === true && defFields && name !== defName) {
        fields = { ...fields };
        for (const k of ['runtime_path', 'runtime_type', 'runtime_config_path', 'runtime_root']) {
          if (defFields[k] !== undefined) fields[k] = defFields[k];
          else delete fields[k];
        }
        // an empty inherited path means the default's binary on PATH (ValidateRuntimes)
        if (!str(fields.runtime_path) && defName) {
          const exe = lookPath(view, defName, path);
          if (exe) fields.runtime_path = exe;
        }
      }
      const v = defaultRuntime ? validateHandler(view, name, fields, path) : { error: null, resolved: str(fields.runtime_path) ? str(fields.runtime_path) : lookPath(view, name, path) };
      const runtimePath = str(fields.runtime_path) || v.resolved || '';
      const viewH: RuntimeHandlerView = {
        runtimePath,
        runtimeType: str(fields.runtime_type),
        runtimeRoot: str(fields.runtime_root) || rules.defaultRuntimeRoot,
        monitorPath: str(fields.monitor_path) || conmonPath,
        isNvidia: isNvidiaHandler(name, str(fields.runtime_path) || runtimePath),
        source: h.source,
      };
      const isDefault = name === defName;
      if (v.error && isDefault && !startError) startError = `runtime validation: ${v.error}`;
      validated.set(name, { name, fields, source: h.source, view: viewH, error: v.error, dropped: v.error !== null && !isDefault });
    }
  } else {
    startError = f.message;
  }

  return {
    rules,
    crioVersion: version ? inputs.crioVersion : null,
    mainPath,
    mainExplicit,
    configDir,
    configDirExists: dirExists,
    files,
    loaded,
    fatal: f,
    configured,
    filesDefault,
    defaultHistory,
    defaultRuntime,
    handlers,
    runcDeletions,
    configError,
    validated,
    startError,
    crioWouldStart: startError === null,
    strays,
    ignored,
    settings,
    cliDefault,
    cliRuntimes,
    path,
  };
}

/** The `check --output json` contract built from a resolution and its findings (the findings engine, config source only). */
export function toReport(r: Resolution, view: FileView): ConfigReport {
  const found = configFindingsReport(r, view);
  let effective: ConfigReport['effective'] = null;
  if (!r.fatal) {
    const runtimes: Record<string, RuntimeHandlerView> = {};
    for (const name of [...r.validated.keys()].sort()) {
      const v = r.validated.get(name)!;
      if (!v.dropped) runtimes[name] = v.view;
    }
    effective = {
      defaultRuntime: r.defaultRuntime ?? r.configured,
      runtimes,
    };
  }
  return {
    crioVersion: r.crioVersion,
    files: r.files,
    effective,
    crioWouldStart: r.crioWouldStart,
    startError: r.startError,
    lowLevelRuntime: found.lowLevelRuntime,
    findings: found.findings,
  };
}

/** crio-config.md §14 over a file view: the effective configuration, files, start verdict and static findings. */
export function resolveConfig(inputs: ConfigInputs, view: FileView, opts?: ResolveOptions): ConfigReport {
  return toReport(resolveDetailed(inputs, view, opts), view);
}

export { keyPath };
export type { DefaultSetting, FatalError, FatalKind, HandlerEntry, LoadedFile, Resolution, ValidatedHandler } from './resolution.js';
