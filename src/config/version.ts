/**
 * CRI-O version parsing and the version-dependent rules of crio-config.md §14 step 1.
 * Pure: no I/O here (detectHostCrioVersion lives in host-version.ts).
 */

export interface CrioVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parse `1.24.6`, `v1.31.0`, `1.25.0-rc.1`, `crio version 1.31.0`; null when no version is found. */
export function parseCrioVersion(s: string): CrioVersion | null {
  const m = /(?:^|[^\d.])v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?/.exec(s.trim());
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = m[3] === undefined ? 0 : Number(m[3]);
  if (![major, minor, patch].every((n) => Number.isSafeInteger(n))) return null;
  return { major, minor, patch };
}

/** Compare two versions: negative, 0, positive. */
export function compareVersions(a: CrioVersion, b: CrioVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function atLeast(v: CrioVersion | null, major: number, minor: number, patch = 0): boolean {
  // unknown version: newest rules apply
  if (v === null) return true;
  return compareVersions(v, { major, minor, patch }) >= 0;
}

/** Everything in the resolution that depends on the CRI-O version. */
export interface VersionRules {
  version: CrioVersion | null;
  /** built-in default_runtime: runc up to 1.30, crun from 1.31 */
  builtinDefault: 'runc' | 'crun';
  /** DefaultRuntimeRoot: /run/runc up to 1.30, /run/crun from 1.31 */
  defaultRuntimeRoot: string;
  /** 1.20.0 .. 1.25.0: a file defining default_runtime != "runc" deletes the runc handler */
  deletesRunc: boolean;
  /** runtimes and default_runtime reload on SIGHUP (config object only; see runtime-failure-mechanisms.md §10) */
  reloadsRuntimes: boolean;
  /** fatal errors carry the "get and merge config from context: …" prefixes (1.31+) */
  wrapsErrors: boolean;
  /** type errors carry a line number (BurntSushi/toml > 1.1; 1.24.6 prints none) */
  typeErrorsHaveLine: boolean;
  /** inherit_default_runtime is honoured (1.33+) */
  inheritDefaultRuntime: boolean;
  /** the AppArmor crio-default profile accepts signals from runc (1.31+) */
  apparmorAcceptsRuncSignals: boolean;
}

export function versionRules(version: CrioVersion | null): VersionRules {
  const newDefault = atLeast(version, 1, 31);
  const deletesRunc =
    version !== null &&
    compareVersions(version, { major: 1, minor: 20, patch: 0 }) >= 0 &&
    compareVersions(version, { major: 1, minor: 25, patch: 0 }) <= 0;
  return {
    version,
    builtinDefault: newDefault ? 'crun' : 'runc',
    defaultRuntimeRoot: newDefault ? '/run/crun' : '/run/runc',
    deletesRunc,
    reloadsRuntimes: atLeast(version, 1, 26),
    wrapsErrors: newDefault,
    typeErrorsHaveLine: atLeast(version, 1, 25),
    inheritDefaultRuntime: atLeast(version, 1, 33),
    apparmorAcceptsRuncSignals: newDefault,
  };
}

/** Keys of [crio.runtime.runtimes.NAME] a given version knows (crio-config.md §8); others are ignored. */
export function handlerKeyTypes(version: CrioVersion | null): Record<string, KeyType> {
  const keys: Record<string, KeyType> = {
    runtime_path: 'string',
    runtime_type: 'string',
    runtime_root: 'string',
    runtime_config_path: 'string',
    privileged_without_host_devices: 'boolean',
    allowed_annotations: 'string[]',
    monitor_path: 'string',
    monitor_cgroup: 'string',
    monitor_env: 'string[]',
    monitor_exec_cgroup: 'string',
  };
  if (atLeast(version, 1, 28)) keys.platform_runtime_paths = 'map<string>';
  if (atLeast(version, 1, 30)) {
    keys.runtime_pull_image = 'boolean';
    keys.container_min_memory = 'string';
  }
  if (atLeast(version, 1, 31)) keys.no_sync_log = 'boolean';
  if (atLeast(version, 1, 33)) {
    keys.inherit_default_runtime = 'boolean';
    keys.default_annotations = 'map<string>';
  }
  if (version === null || atLeast(version, 1, 34)) {
    // first tag not determined (crio-config.md §16); assumed present in recent versions
    keys.stream_websockets = 'boolean';
    keys.exec_cpu_affinity = 'string';
    keys.seccomp_profile = 'string';
    keys.container_create_timeout = 'integer';
  }
  return keys;
}

export type KeyType = 'string' | 'boolean' | 'integer' | 'string[]' | 'map<string>' | 'table';
