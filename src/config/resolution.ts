/**
 * What the config engine knows after one resolution (src/config/resolve.ts): plain data that
 * `check`, `fix` and the findings engine's config detector read. Types only.
 */
import type { FileReport, Provenance, RuntimeHandlerView } from '../core/contracts.js';
import type { KeyLines } from './toml-lines.js';
import type { VersionRules } from './version.js';

export interface HandlerEntry {
  fields: Record<string, unknown>;
  source: Provenance;
}

export interface LoadedFile {
  path: string;
  text: string;
  lines: KeyLines;
}

/**
 * Why the configuration did not load. Every kind but 'limit' is CRI-O's own failure (it will not
 * start). 'limit' is crio-sentinel's: a bound was reached (entries walked, bytes read, a name it
 * cannot open) and the configuration is NOT EVALUATED; nothing is claimed about CRI-O.
 */
export type FatalKind = 'decode' | 'type' | 'read' | 'not-regular' | 'oversize' | 'unreadable' | 'walk' | 'missing-main' | 'flag' | 'limit';

export interface FatalError {
  kind: FatalKind;
  /** CRI-O's own wording, with the version's prefixes */
  message: string;
  path: string | null;
  line: number | null;
  column: number | null;
  /** the inner message without prefixes ("toml: line 2, column 19: …") */
  detail: string;
}

export interface ValidatedHandler {
  name: string;
  fields: Record<string, unknown>;
  source: Provenance;
  view: RuntimeHandlerView;
  error: string | null;
  dropped: boolean;
}

export interface DefaultSetting {
  name: string;
  source: Provenance;
}

export interface Resolution {
  rules: VersionRules;
  crioVersion: string | null;
  mainPath: string;
  mainExplicit: boolean;
  configDir: string;
  /** the drop-in dir existed (CRI-O remembers it for SIGHUP reloads only then) */
  configDirExists: boolean;
  files: FileReport[];
  loaded: Map<string, LoadedFile>;
  fatal: FatalError | null;
  /** default_runtime after files and overrides, before validation ("" possible) */
  configured: DefaultSetting;
  /** default_runtime from the files alone (what a SIGHUP would restore) */
  filesDefault: DefaultSetting;
  /** every file-level assignment of default_runtime, in application order */
  defaultHistory: DefaultSetting[];
  /** the effective default after config-level validation, null when it names no table or on fatal errors */
  defaultRuntime: DefaultSetting | null;
  handlers: Map<string, HandlerEntry>;
  runcDeletions: { file: string; line: number | null }[];
  configError: string | null;
  validated: Map<string, ValidatedHandler>;
  startError: string | null;
  crioWouldStart: boolean;
  /** entries that were read (or failed) in the drop-in dir and look unintended */
  strays: { path: string; reason: string }[];
  /** files present on disk that CRI-O never reads */
  ignored: { path: string; reason: string; text: string | null }[];
  /** non-runtime settings merged from the files (known keys only) */
  settings: Record<string, unknown>;
  cliDefault: { value: string; flag: string } | null;
  cliRuntimes: { names: string[]; flag: string } | null;
  path: string[];
}
