/**
 * Steps 7-9 of the engine: CLI/env runtime overrides, config-level validation (the default names a
 * table) and start-time validation of every handler (RuntimeHandler.Validate in pkg/config).
 * Pure over the FileView; linear in the handlers.
 */
import type { RuntimeHandlerView } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import { safe } from './fatal.js';
import { isNvidiaHandler, lookPath } from './nvidia.js';
import { dict, isTable, own, setOwn } from './schema.js';
import { compareVersions, type VersionRules } from './version.js';
import type { DefaultSetting, HandlerEntry, ValidatedHandler } from './resolution.js';

/**
 * CRI-O's --runtimes / CONTAINER_RUNTIMES parsing (internal/criocli/criocli.go): a single value holding
 * commas is split on them (StringSliceTrySplit); each entry has 3..6 fields (7 from 1.30, which adds
 * container_min_memory); fewer or more is fatal: "wrong format" before 1.30, "invalid format" from 1.30.
 */
export function parseRuntimesFlag(values: string[], rules: VersionRules): { ok: true; handlers: [string, Record<string, unknown>][] } | { ok: false; error: string } {
  const newer = rules.version === null || compareVersions(rules.version, { major: 1, minor: 30, patch: 0 }) >= 0;
  const entries = values.length === 1 && (values[0] as string).includes(',') ? (values[0] as string).split(',').map((x) => x.trim()) : values;
  const out: [string, Record<string, unknown>][] = [];
  for (const r of entries) {
    const f = r.split(':');
    if (f.length < 3 || f.length > (newer ? 7 : 6)) return { ok: false, error: `${newer ? 'invalid' : 'wrong'} format for --runtimes: ${JSON.stringify(r)}` };
    const fields = dict();
    fields.runtime_path = f[1];
    fields.runtime_root = f[2];
    fields.runtime_type = f[3] ?? 'oci';
    fields.privileged_without_host_devices = f[4] === 'true';
    if (f.length >= 6) fields.runtime_config_path = f[5];
    if (f.length >= 7) fields.container_min_memory = f[6];
    out.push([f[0] as string, fields]);
  }
  return { ok: true, handlers: out };
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** RuntimeHandler.Validate (pkg/config/config.go): type, then path (PATH lookup when empty), vm shim name, config path. */
export function validateHandler(view: FileView, name: string, fields: Record<string, unknown>, path: string[]): { error: string | null; resolved: string | null } {
  const type = str(own(fields, 'runtime_type'));
  const runtimePath = str(own(fields, 'runtime_path'));
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
  const configPath = str(own(fields, 'runtime_config_path'));
  if (configPath !== '') {
    if (type !== 'vm') return { error: `runtime_config_path can only be used with the 'vm' runtime type`, resolved };
    if (safe(() => view.stat(configPath), null) === null) {
      return { error: `invalid runtime_config_path for runtime '${name}': stat ${configPath}: no such file or directory`, resolved };
    }
  }
  return { error: null, resolved };
}

export interface ValidationInput {
  view: FileView;
  rules: VersionRules;
  path: string[];
  /** the default after files and overrides ("" = the built-in) */
  current: DefaultSetting;
  builtin: DefaultSetting;
  /** mutated: the built-in handler is added when the default is "" and it is missing */
  handlers: Map<string, HandlerEntry>;
  settings: Record<string, unknown>;
}

export interface Validation {
  defaultRuntime: DefaultSetting | null;
  configError: string | null;
  startError: string | null;
  validated: Map<string, ValidatedHandler>;
}

/** Config-level validation (step 8), then start-time validation of every handler (step 9). */
export function validateRuntimes(v: ValidationInput): Validation {
  const { view, rules, path, current, builtin, handlers } = v;
  let defaultRuntime: DefaultSetting | null = null;
  let configError: string | null = null;
  let startError: string | null = null;
  const validated = new Map<string, ValidatedHandler>();

  // ---- step 8: config-level validation
  if (current.name === '') {
    defaultRuntime = builtin;
    if (!handlers.has(builtin.name)) {
      const fields = dict();
      fields.runtime_type = 'oci';
      fields.runtime_root = rules.defaultRuntimeRoot;
      handlers.set(builtin.name, { fields, source: { builtin: true } });
    }
  } else if (!handlers.has(current.name)) {
    configError = `default_runtime set to "${current.name}", but no runtime entry table [crio.runtime.runtimes.${current.name}] was found`;
    startError = `validating runtime config: ${configError}`;
  } else defaultRuntime = current;

  const crio = own(v.settings, 'crio') as Record<string, unknown> | undefined;
  const runtime = crio ? (own(crio, 'runtime') as Record<string, unknown> | undefined) : undefined;
  // RuntimeConfig.Validate goes on with the workloads: each needs its activation annotation
  const workloads = runtime ? own(runtime, 'workloads') : undefined;
  if (!startError && isTable(workloads)) {
    for (const [name, w] of Object.entries(workloads)) {
      const a = isTable(w) ? own(w, 'activation_annotation') : undefined;
      if (typeof a !== 'string' || a === '') {
        startError = `validating runtime config: workloads validation: annotation shouldn't be empty for workload ${JSON.stringify(name)}`;
        break;
      }
    }
  }

  // ---- step 9: start-time validation
  const globalConmon = str(runtime ? own(runtime, 'conmon') : undefined);
  const conmonPath = globalConmon || lookPath(view, 'conmon', path) || '';
  const defName = defaultRuntime?.name ?? null;
  const defFields = defName ? handlers.get(defName)?.fields : undefined;
  for (const [name, h] of handlers) {
    let fields = h.fields;
    if (rules.inheritDefaultRuntime && own(fields, 'inherit_default_runtime') === true && defFields && name !== defName) {
      const copy = dict();
      for (const [k, x] of Object.entries(fields)) setOwn(copy, k, x);
      for (const k of ['runtime_path', 'runtime_type', 'runtime_config_path', 'runtime_root']) {
        const d = own(defFields, k);
        if (d !== undefined) copy[k] = d;
        else delete copy[k];
      }
      // an empty inherited path means the default's binary on PATH (ValidateRuntimes)
      if (!str(copy.runtime_path) && defName) {
        const exe = lookPath(view, defName, path);
        if (exe) copy.runtime_path = exe;
      }
      fields = copy;
    }
    const ownPath = str(own(fields, 'runtime_path'));
    const res = defaultRuntime ? validateHandler(view, name, fields, path) : { error: null, resolved: ownPath ? ownPath : lookPath(view, name, path) };
    const runtimePath = ownPath || res.resolved || '';
    const viewH: RuntimeHandlerView = {
      runtimePath,
      runtimeType: str(own(fields, 'runtime_type')),
      runtimeRoot: str(own(fields, 'runtime_root')) || rules.defaultRuntimeRoot,
      monitorPath: str(own(fields, 'monitor_path')) || conmonPath,
      isNvidia: isNvidiaHandler(name, ownPath || runtimePath),
      source: h.source,
    };
    const isDefault = name === defName;
    if (res.error && isDefault && !startError) startError = `runtime validation: ${res.error}`;
    validated.set(name, { name, fields, source: h.source, view: viewH, error: res.error, dropped: res.error !== null && !isDefault });
  }
  return { defaultRuntime, configError, startError, validated };
}
