/**
 * The CRI-O effective-config engine (crio-config.md §14), pure over an injected FileView. This
 * module is the orchestrator; each step lives in its own module:
 *
 *   version rules -> built-in defaults -> main file -> drop-ins (walk.ts: byte-wise, recursive;
 *   decode.ts: decode, type-check, merge) -> CLI/env overrides -> config-level and start-time
 *   validation (validate.ts) -> ConfigReport (report.ts)
 *
 * `resolveDetailed` returns everything the findings, `check` and `fix` need; `resolveConfig`
 * turns it into the `ConfigReport` contract (with findings). Evaluation is linear in the bytes
 * read and the entries walked; every bound that stops it says "not evaluated" (FatalKind 'limit').
 */
import type { ConfigInputs } from './inputs.js';
import type { ConfigReport, FileReport } from '../core/contracts.js';
import { FileViewError, type FileView } from '../core/file-view.js';
import { decodeConfig, handlerTables, isDecodeFailure, mergeSettings, runtimeTable } from './decode.js';
import { Fatal, oneLine, safe } from './fatal.js';
import { describeKind } from './host-file-view.js';
import { CRIO_PATH, DEFAULT_CONFIG, DEFAULT_CONFIG_DIR, WRONG_NVIDIA_DIR, resolveInputPaths } from './inputs.js';
import { toReport } from './report.js';
import type { DefaultSetting, FatalError, FatalKind, HandlerEntry, LoadedFile, Resolution } from './resolution.js';
import { dict, own } from './schema.js';
import { keyPath } from './toml-lines.js';
import { parseRuntimesFlag, validateRuntimes, type Validation } from './validate.js';
import { handlerKeyTypes, parseCrioVersion, versionRules } from './version.js';
import { MAX_WALK_ENTRIES, strayReason, walkDropIns, type WalkEntry } from './walk.js';

export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Bound on the bytes of all config files read in one resolution (bounded memory in the daemon). */
export const MAX_TOTAL_CONFIG_BYTES = 64 * 1024 * 1024;
/** Files in never-read places are scanned for NVIDIA tables only up to this size and count. */
const MAX_IGNORED_TEXT_BYTES = 256 * 1024;
const MAX_IGNORED_TEXTS = 200;

export interface ResolveOptions {
  /** CRI-O's PATH for runtime and conmon lookups (default CRIO_PATH) */
  path?: string[];
  /** bound on the total bytes of config files read (default MAX_TOTAL_CONFIG_BYTES) */
  maxTotalBytes?: number;
  /** bound on the drop-in entries walked (default MAX_WALK_ENTRIES) */
  maxWalkEntries?: number;
}

export function resolveDetailed(inputs: ConfigInputs, view: FileView, opts: ResolveOptions = {}): Resolution {
  const maxTotal = opts.maxTotalBytes ?? MAX_TOTAL_CONFIG_BYTES;
  const version = inputs.crioVersion ? parseCrioVersion(inputs.crioVersion) : null;
  const rules = versionRules(version);
  const handlerKeys = handlerKeyTypes(version);
  const path = opts.path ?? CRIO_PATH;
  const env = inputs.env ?? {};
  const { mainPath, mainExplicit, configDir } = resolveInputPaths(inputs);

  const builtinFields = (): Record<string, unknown> => {
    const f = dict();
    f.runtime_type = 'oci';
    f.runtime_root = rules.defaultRuntimeRoot;
    return f;
  };
  const builtin: DefaultSetting = { name: rules.builtinDefault, source: { builtin: true } };
  const handlers = new Map<string, HandlerEntry>([[rules.builtinDefault, { fields: builtinFields(), source: { builtin: true } }]]);
  let current: DefaultSetting = builtin;
  const defaultHistory: DefaultSetting[] = [];
  const runcDeletions: { file: string; line: number | null }[] = [];
  const settings = dict();
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
  const notEvaluated = (p: string | null, inner: string): Fatal =>
    new Fatal({ kind: 'limit', message: `not evaluated: ${inner}`, path: p, line: null, column: null, detail: inner });

  /** Read the bytes of one file (step 6); throws Fatal. */
  const readConfig = (p: string, kind: 'file' | 'path'): Buffer => {
    try {
      return view.readFile(p, MAX_CONFIG_BYTES);
    } catch (e) {
      const code = e instanceof FileViewError ? e.code : 'EIO';
      const msg = e instanceof Error ? e.message : String(e);
      let k: FatalKind = 'read';
      let inner = msg;
      if (code === 'ENOTREG') {
        const st = safe(() => view.stat(p), null);
        if (st?.kind === 'char' || st?.kind === 'block') {
          // CRI-O reads a device like a file (/dev/null: empty; /dev/zero: without end); crio-sentinel reads none
          throw notEvaluated(p, `${p} is ${describeKind(st.kind)}: crio-sentinel does not read devices, so what CRI-O makes of it is unknown`);
        }
        k = 'not-regular';
        const what = st ? describeKind(st.kind) : 'not a regular file';
        inner = `read ${p}: ${what}: ${st?.kind === 'fifo' ? 'CRI-O would block reading it and never start' : 'CRI-O cannot parse it as TOML'} (crio-sentinel did not read it)`;
      } else if (code === 'EFBIG') {
        // CRI-O reads a file of any size: past crio-sentinel's bound the answer is unknown
        throw notEvaluated(p, `${msg} (crio-sentinel reads at most ${MAX_CONFIG_BYTES} bytes per file)`);
      } else if (code === 'EACCES' || code === 'EPERM') {
        k = 'unreadable';
        inner = `open ${p}: permission denied (crio-sentinel cannot read it; CRI-O, running as root, may)`;
      }
      throw new Fatal({ kind: k, message: wrap(kind, oneLine(inner)), path: p, line: null, column: null, detail: oneLine(inner) });
    }
  };

  /** Read, decode, type-check and merge one file (step 6). Throws Fatal. */
  const applyFile = (p: string, kind: 'file' | 'path'): void => {
    const buf = readConfig(p, kind);
    totalBytes += buf.length;
    if (totalBytes > maxTotal) {
      throw notEvaluated(p, `${p}: the config files read so far exceed ${maxTotal} bytes in total (crio-sentinel's memory bound)`);
    }
    const d = decodeConfig(p, buf, rules, handlerKeys);
    if (isDecodeFailure(d)) {
      const inner = oneLine(d.inner);
      if (d.kind === 'limit') throw notEvaluated(p, inner);
      throw new Fatal({ kind: d.kind, message: wrap(kind, inner), path: p, line: d.line, column: d.column, detail: inner });
    }
    loaded.set(p, { path: p, text: d.text, lines: d.lines });
    mergeSettings(settings, d.doc);
    for (const [name, fields] of handlerTables(d.doc, handlerKeys)) {
      handlers.set(name, { fields, source: { file: p, line: d.lines.lineOfFold(['crio', 'runtime', 'runtimes', name]) } });
    }
    const runtime = runtimeTable(d.doc);
    const dr = runtime ? own(runtime, 'default_runtime') : undefined;
    if (dr !== undefined) {
      const line = d.lines.lineOfFold(['crio', 'runtime', 'default_runtime']);
      current = { name: dr as string, source: { file: p, line } };
      defaultHistory.push(current);
      if (rules.deletesRunc && d.definesDefaultExactly && current.name !== 'runc' && handlers.has('runc')) {
        handlers.delete('runc');
        runcDeletions.push({ file: p, line });
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

  // ---- step 5: drop-in dir (UpdateFromPath: skipped only when os.Stat says it does not exist)
  let dirEntries: WalkEntry[] = [];
  let dirExists = false;
  if (configDir !== '') {
    let st;
    try {
      st = view.stat(configDir);
    } catch {
      st = undefined; // e.g. a symlink loop (ELOOP): CRI-O walks it and fails on it
    }
    if (st !== null) {
      dirExists = true;
      const lst = safe(() => view.lstat(configDir), null);
      if (lst?.kind === 'dir') {
        const walked = walkDropIns(view, configDir, opts.maxWalkEntries ?? MAX_WALK_ENTRIES);
        dirEntries = walked.entries;
        if (walked.limit !== null && !fatal) {
          const e = notEvaluated(configDir, `${walked.limit}: crio-sentinel stopped walking ${configDir} (CRI-O walks every entry)`);
          fatal = e.fatal;
          files.push({ path: configDir, status: 'error', error: e.fatal.message });
        }
      } else dirEntries = [{ path: configDir }]; // Walk lstat()s the root: a symlinked dir or a file is read as a file
    }
  }
  for (const entry of dirEntries) {
    if (fatal) {
      files.push({ path: entry.path, status: 'ignored', error: `not applied: ${(fatal as FatalError).kind === 'limit' ? 'not evaluated' : `CRI-O stops at the first failing file (${(fatal as FatalError).path ?? 'flags'})`}` });
      continue;
    }
    if (entry.path !== configDir) {
      const why = strayReason(view, configDir, entry.path);
      if (why) strays.push({ path: entry.path, reason: why });
    }
    if (entry.walkError) {
      const inner = oneLine(entry.walkError);
      fatal = { kind: 'walk', message: wrap('path', inner), path: entry.path, line: null, column: null, detail: inner };
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
    // only scanned for NVIDIA tables: a bounded look, never an answer about CRI-O
    const list: WalkEntry[] = st.kind === 'dir' ? walkDropIns(view, dir, MAX_IGNORED_TEXTS).entries : [{ path: dir }];
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
  const f = fatal as FatalError | null;
  // ---- steps 8 and 9: validation
  const v: Validation = f
    ? { defaultRuntime: null, configError: null, startError: f.message, validated: new Map() }
    : validateRuntimes({ view, rules, path, current, builtin, handlers, settings });

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
    defaultRuntime: v.defaultRuntime,
    handlers,
    runcDeletions,
    configError: v.configError,
    validated: v.validated,
    startError: v.startError,
    crioWouldStart: v.startError === null,
    strays,
    ignored,
    settings,
    cliDefault,
    cliRuntimes,
    path,
  };
}

/** crio-config.md §14 over a file view: the effective configuration, files, start verdict and static findings. */
export function resolveConfig(inputs: ConfigInputs, view: FileView, opts?: ResolveOptions): ConfigReport {
  return toReport(resolveDetailed(inputs, view, opts), view);
}

export { keyPath, oneLine, safe, toReport, resolveInputPaths, CRIO_PATH, DEFAULT_CONFIG, DEFAULT_CONFIG_DIR, WRONG_NVIDIA_DIR };
export { strayReason } from './walk.js';
export type { DefaultSetting, FatalError, FatalKind, HandlerEntry, LoadedFile, Resolution, ValidatedHandler } from './resolution.js';
