/**
 * The part of CRI-O's config struct whose types crio-sentinel checks (a wrong type is fatal in
 * CRI-O; unknown keys are ignored). Only keys whose Go type is certain are listed; any key not
 * listed is treated like an unknown key (ignored), which can only make crio-sentinel more lenient
 * than CRI-O, never stricter.
 */
import type { KeyType } from './version.js';

export type Schema = { [key: string]: KeyType | Schema | { handlers: true } | { mapOfTables: true } };

export const CRIO_SCHEMA: Schema = {
  crio: {
    root: 'string',
    runroot: 'string',
    imagestore: 'string',
    storage_driver: 'string',
    storage_option: 'string[]',
    log_dir: 'string',
    version_file: 'string',
    version_file_persist: 'string',
    clean_shutdown_file: 'string',
    internal_wipe: 'boolean',
    internal_repair: 'boolean',
    api: {
      listen: 'string',
      stream_address: 'string',
      stream_port: 'string',
      stream_enable_tls: 'boolean',
      stream_idle_timeout: 'string',
      stream_tls_cert: 'string',
      stream_tls_key: 'string',
      stream_tls_ca: 'string',
      grpc_max_send_msg_size: 'integer',
      grpc_max_recv_msg_size: 'integer',
    },
    runtime: {
      default_runtime: 'string',
      no_pivot: 'boolean',
      decryption_keys_path: 'string',
      conmon: 'string',
      conmon_cgroup: 'string',
      conmon_env: 'string[]',
      default_env: 'string[]',
      selinux: 'boolean',
      seccomp_profile: 'string',
      apparmor_profile: 'string',
      cgroup_manager: 'string',
      default_capabilities: 'string[]',
      default_sysctls: 'string[]',
      additional_devices: 'string[]',
      cdi_spec_dirs: 'string[]',
      device_ownership_from_security_context: 'boolean',
      hooks_dir: 'string[]',
      default_mounts_file: 'string',
      pids_limit: 'integer',
      log_size_max: 'integer',
      log_to_journald: 'boolean',
      container_exits_dir: 'string',
      container_attach_socket_dir: 'string',
      bind_mount_prefix: 'string',
      read_only: 'boolean',
      log_level: 'string',
      log_filter: 'string',
      uid_mappings: 'string',
      gid_mappings: 'string',
      ctr_stop_timeout: 'integer',
      drop_infra_ctr: 'boolean',
      infra_ctr_cpuset: 'string',
      namespaces_dir: 'string',
      pinns_path: 'string',
      enable_criu_support: 'boolean',
      absent_mount_sources_to_reject: 'string[]',
      runtimes: { handlers: true },
      workloads: { mapOfTables: true },
    },
    image: {
      default_transport: 'string',
      global_auth_file: 'string',
      pause_image: 'string',
      pause_image_auth_file: 'string',
      pause_command: 'string',
      signature_policy: 'string',
      signature_policy_dir: 'string',
      insecure_registries: 'string[]',
      image_volumes: 'string',
      big_files_temporary_dir: 'string',
      pinned_images: 'string[]',
    },
    network: {
      cni_default_network: 'string',
      network_dir: 'string',
      plugin_dirs: 'string[]',
    },
    metrics: {
      enable_metrics: 'boolean',
      metrics_collectors: 'string[]',
      metrics_port: 'integer',
      metrics_socket: 'string',
      metrics_host: 'string',
      metrics_cert: 'string',
      metrics_key: 'string',
    },
    tracing: {
      enable_tracing: 'boolean',
      tracing_endpoint: 'string',
      tracing_sampling_rate_per_million: 'integer',
    },
    nri: {
      enable_nri: 'boolean',
      nri_listen: 'string',
      nri_plugin_dir: 'string',
      nri_plugin_config_dir: 'string',
    },
  },
};

/** Go's name of the type of a decoded TOML value, as BurntSushi/toml words its errors. */
export function tomlTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (v instanceof Date) return 'time.Time';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** An own property of a plain object: never one of Object.prototype's (`constructor`, `__proto__` …). */
export function own<T>(o: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** An empty dictionary object: any key, `__proto__` included, is an own property. */
export function dict<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Set an own property, even `__proto__` (plain assignment would replace the prototype). */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Check one value against a leaf type; returns the offending value (for the message) or undefined when it fits. */
export function checkLeaf(t: KeyType, v: unknown): { bad: unknown } | undefined {
  switch (t) {
    case 'string':
      return typeof v === 'string' ? undefined : { bad: v };
    case 'boolean':
      return typeof v === 'boolean' ? undefined : { bad: v };
    case 'integer':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint' ? undefined : { bad: v };
    case 'string[]': {
      if (!Array.isArray(v)) return { bad: v };
      const el = v.find((x) => typeof x !== 'string');
      return el === undefined ? undefined : { bad: el };
    }
    case 'map<string>': {
      if (!isTable(v)) return { bad: v };
      const el = Object.values(v).find((x) => typeof x !== 'string');
      return el === undefined ? undefined : { bad: el };
    }
    case 'table':
      return isTable(v) ? undefined : { bad: v };
  }
}

/**
 * BurntSushi/toml matches struct fields case-insensitively when there is no exact match
 * (decode.go unifyStruct: strings.EqualFold), so `Default_Runtime = "x"` sets default_runtime.
 * Rename such keys to the schema's spelling (an exact key wins when both are present). Map keys
 * (runtime handler names, workload names) stay case-sensitive.
 */
export function foldKeys(doc: Record<string, unknown>, schema: Schema, handlerKeys: Record<string, KeyType>): Record<string, unknown> {
  const out = dict();
  const known = (k: string): boolean => own(schema, k) !== undefined;
  const lower = new Map(Object.keys(schema).map((k) => [k.toLowerCase(), k]));
  // case variants first, the exact spelling last, so the exact key wins a conflict
  const entries = Object.entries(doc).sort(([a], [b]) => Number(known(a)) - Number(known(b)));
  for (const [key, v] of entries) {
    const target = known(key) ? key : (lower.get(key.toLowerCase()) ?? key);
    const s = own(schema, target);
    let value: unknown = v;
    if (s !== undefined && typeof s !== 'string' && isTable(v)) {
      if ('handlers' in s) {
        const hl = new Map(Object.keys(handlerKeys).map((k) => [k.toLowerCase(), k]));
        const handlers = dict();
        for (const [name, h] of Object.entries(v)) {
          if (!isTable(h)) {
            setOwn(handlers, name, h);
            continue;
          }
          const fields = dict();
          const isKey = (k: string): boolean => own(handlerKeys, k) !== undefined;
          const hEntries = Object.entries(h).sort(([a], [b]) => Number(isKey(a)) - Number(isKey(b)));
          for (const [hk, hv] of hEntries) setOwn(fields, isKey(hk) ? hk : (hl.get(hk.toLowerCase()) ?? hk), hv);
          setOwn(handlers, name, fields);
        }
        value = handlers;
      } else if (!('mapOfTables' in s)) value = foldKeys(v, s as Schema, handlerKeys);
    }
    const prev = own(out, target);
    // two spellings of one table decode into the same struct: their keys merge
    setOwn(out, target, isTable(prev) && isTable(value) ? deepMerge(prev, value) : value);
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = dict();
  for (const [k, v] of Object.entries(a)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(b)) {
    const p = own(out, k);
    setOwn(out, k, isTable(p) && isTable(v) ? deepMerge(p, v) : v);
  }
  return out;
}
