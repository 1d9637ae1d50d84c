/**
 * NVIDIA awareness: which handlers are the NVIDIA wrapper, and which low-level runtime binary the
 * wrapper will really run (crio-config.md §13).
 */
import { parseToml, TomlSyntaxError } from './toml.js';
import { FileViewError, type FileView } from '../core/file-view.js';
import { isTable } from './schema.js';

export const NVIDIA_RUNTIME_CONFIG = '/etc/nvidia-container-runtime/config.toml';
/** PATH searched for bare names (the wrapper runs with CRI-O's environment). */
export const WRAPPER_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/**
 * Default `runtimes` when config.toml has none: the toolkit >= 1.18.0 default. (1.15-1.17 default
 * ["docker-runc","runc","crun"]; docker-runc is practically never installed, so the result is the same.)
 */
export const DEFAULT_WRAPPER_RUNTIMES = ['runc', 'crun'];

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * THE handler-kind test, used everywhere: a handler is the NVIDIA wrapper when its name starts with
 * "nvidia" (any case: "NVIDIA-gpu" is one) or its runtime_path basename starts with
 * "nvidia-container-runtime".
 */
export function isNvidiaHandler(name: string, runtimePath: string): boolean {
  return name.toLowerCase().startsWith('nvidia') || basename(runtimePath).startsWith('nvidia-container-runtime');
}

/** Which runtime family a binary belongs to, by its basename. */
export function runtimeFamily(binaryOrRoot: string | null): 'runc' | 'crun' | null {
  if (!binaryOrRoot) return null;
  const b = basename(binaryOrRoot);
  if (b.includes('crun')) return 'crun';
  if (b.includes('runc')) return 'runc';
  return null;
}

/** exec.LookPath under the root: a name with a slash is checked as is, a bare name is searched on PATH. */
export function lookPath(view: FileView, name: string, path: readonly string[]): string | null {
  if (name === '') return null;
  if (name.includes('/')) return view.isExecutable(name) ? name : null;
  for (const dir of path) {
    const p = `${dir}/${name}`;
    if (view.isExecutable(p)) return p;
  }
  return null;
}

export interface WrapperConfig {
  /** host path of config.toml, or null when absent */
  file: string | null;
  /** the `[nvidia-container-runtime] runtimes` list in force */
  runtimes: string[];
  /** true when the list is the assumed toolkit default (file or key absent) */
  defaulted: boolean;
  /** 1-based line of the `runtimes` key, when read from the file */
  line: number | null;
  /** a read or parse problem with config.toml (the wrapper would fail too) */
  error: string | null;
}

export function readWrapperConfig(view: FileView): WrapperConfig {
  const fallback = (file: string | null, error: string | null): WrapperConfig => ({
    file,
    runtimes: [...DEFAULT_WRAPPER_RUNTIMES],
    defaulted: true,
    line: null,
    error,
  });
  let exists: boolean;
  try {
    exists = view.stat(NVIDIA_RUNTIME_CONFIG) !== null;
  } catch (e) {
    return fallback(NVIDIA_RUNTIME_CONFIG, e instanceof Error ? e.message : String(e));
  }
  if (!exists) return fallback(null, null);
  let text: string;
  try {
    text = view.readFile(NVIDIA_RUNTIME_CONFIG, 1024 * 1024).toString('utf8');
  } catch (e) {
    return fallback(NVIDIA_RUNTIME_CONFIG, e instanceof FileViewError ? e.message : String(e));
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlSyntaxError)) throw e;
    return fallback(NVIDIA_RUNTIME_CONFIG, `${NVIDIA_RUNTIME_CONFIG} line ${e.line ?? 1}: ${e.text}`);
  }
  const sect = doc['nvidia-container-runtime'];
  const list = isTable(sect) ? sect.runtimes : undefined;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return fallback(NVIDIA_RUNTIME_CONFIG, null);
  const lineIdx = text.split('\n').findIndex((l) => /^\s*runtimes\s*=/.test(l));
  return { file: NVIDIA_RUNTIME_CONFIG, runtimes: list as string[], defaulted: false, line: lineIdx < 0 ? null : lineIdx + 1, error: null };
}

/** The low-level binary the wrapper runs: the first existing executable of `runtimes` (bare names searched on PATH). */
export function resolveWrapperBinary(view: FileView, cfg: WrapperConfig, path: readonly string[] = WRAPPER_PATH): string | null {
  for (const r of cfg.runtimes) {
    const hit = lookPath(view, r, path);
    if (hit) return hit;
  }
  return null;
}
