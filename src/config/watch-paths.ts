import type { ConfigInputs } from './inputs.js';
import { NVIDIA_RUNTIME_CONFIG } from './nvidia.js';
import { DEFAULT_CONFIG, DEFAULT_CONFIG_DIR, WRONG_NVIDIA_DIR, resolveInputPaths } from './inputs.js';

/** AppArmor profiles (a confined /usr/sbin/runc changes what the NVIDIA wrapper can do). */
export const APPARMOR_DIR = '/etc/apparmor.d';

/**
 * Host paths whose changes can change the resolution: the main file, the drop-in dir, the
 * directory nvidia-ctk 1.18.0-1.19.0 writes to, the NVIDIA wrapper config and the AppArmor profiles.
 * Disabled inputs ("" flags) are left out; the default locations are always watched (they show up
 * as ignored files). Deduplicated, in a stable order.
 */
export function configWatchPaths(inputs: ConfigInputs): string[] {
  const { mainPath, configDir } = resolveInputPaths(inputs);
  const all = [mainPath, configDir, DEFAULT_CONFIG, DEFAULT_CONFIG_DIR, WRONG_NVIDIA_DIR, NVIDIA_RUNTIME_CONFIG, APPARMOR_DIR];
  return [...new Set(all.filter((p) => p !== ''))];
}
