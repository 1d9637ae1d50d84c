/**
 * CRI-O's inputs besides the files: default paths, its PATH, and which main file / drop-in dir a
 * set of flags and environment variables selects (internal/criocli: an env var counts as set).
 */
import { normalizeHostPath } from './host-file-view.js';

/** Inputs to the engine besides the file view. Unset flags are undefined; env is the CRI-O process env. */
export interface ConfigInputs {
  /** --config / -c; "" skips the main file */
  config?: string;
  /** --config-dir / -d; "" skips drop-ins */
  configDir?: string;
  /** --default-runtime */
  defaultRuntime?: string;
  /** --runtimes (may be given several times) */
  runtimes?: string[];
  /** CONTAINER_CONFIG, CONTAINER_CONFIG_DIR, CONTAINER_DEFAULT_RUNTIME, CONTAINER_RUNTIMES … */
  env?: Record<string, string | undefined>;
  /** CRI-O version, e.g. "1.31.0"; null when unknown (newest rules apply) */
  crioVersion: string | null;
}

/** CRI-O's PATH (the systemd unit gives it no other). */
export const CRIO_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const DEFAULT_CONFIG = '/etc/crio/crio.conf';
export const DEFAULT_CONFIG_DIR = '/etc/crio/crio.conf.d';
/** Where nvidia-ctk 1.18.0-1.19.0 writes its drop-in; CRI-O never reads it. */
export const WRONG_NVIDIA_DIR = '/etc/crio/conf.d';

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
