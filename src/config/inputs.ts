/**
 * CRI-O's inputs besides the files: default paths, its PATH, and which main file / drop-in dir a
 * set of flags and environment variables selects (internal/criocli: an env var counts as set).
 */
import type { ConfigInputs } from '../core/types.js';
import { normalizeHostPath } from './host-file-view.js';

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
