/** Public API of the config engine (used by `check`, `fix`, `scan` and the daemon). */
export { createHostFileView, normalizeHostPath } from './host-file-view.js';
export { overlayFileView } from './overlay-file-view.js';
export {
  resolveConfig,
  resolveDetailed,
  resolveInputPaths,
  toReport,
  MAX_CONFIG_BYTES,
  CRIO_PATH,
  DEFAULT_CONFIG,
  DEFAULT_CONFIG_DIR,
  WRONG_NVIDIA_DIR,
  type Resolution,
  type ResolveOptions,
  MAX_TOTAL_CONFIG_BYTES,
} from './resolve.js';
export { describeSource } from './describe.js';
export { isNvidiaHandler, readWrapperConfig, resolveWrapperBinary, runtimeFamily, NVIDIA_RUNTIME_CONFIG } from './nvidia.js';
export { parseCrioVersion, versionRules, type CrioVersion, type VersionRules } from './version.js';
export { detectHostCrioVersion, readVersionHint } from './host-version.js';
export { summarizeCrioToml, type CrioTomlSummary } from './summarize.js';
export { configWatchPaths } from './watch-paths.js';
