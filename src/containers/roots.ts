/**
 * Which runtime roots to read (pure): every root a handler of the files or of the running CRI-O
 * names (an empty runtime_root = the low-level runtime's default root, the NVIDIA wrapper's
 * resolution for NVIDIA handlers), plus the default roots of runc and crun, where containers of an
 * earlier configuration may still live.
 */
import type { ConfigReport, LiveCrio } from '../core/contracts.js';
import { isNvidiaHandler, runtimeFamily } from '../config/nvidia.js';
import type { RuntimeRootSpec } from '../live/runtime-state.js';
import { defaultRootOf } from './model.js';

export function runtimeRootsToRead(report: ConfigReport | null, live: LiveCrio | null, wrapperBinary: string | null): RuntimeRootSpec[] {
  const out = new Map<string, RuntimeRootSpec>();
  const add = (root: string | null, who: string, family: RuntimeRootSpec['family']): void => {
    if (!root || !root.startsWith('/')) return;
    const r = out.get(root) ?? { root, usedBy: [], family: family ?? null };
    if (!r.usedBy.includes(who)) r.usedBy.push(who);
    out.set(root, r);
  };
  const files = report?.effective?.runtimes ?? null;
  const handlers = (map: Record<string, { runtimePath: string; runtimeRoot: string }> | null | undefined, where: string): void => {
    for (const [name, h] of Object.entries(map ?? {})) {
      const nvidia = isNvidiaHandler(name, h.runtimePath);
      const family = runtimeFamily(nvidia ? (wrapperBinary ?? h.runtimePath) : h.runtimePath);
      // an empty runtime_root (GET /config) is CRI-O's default root, which the files' effective handler carries
      add(h.runtimeRoot || files?.[name]?.runtimeRoot || defaultRootOf(family), `${name} (${where})`, family);
    }
  };
  handlers(report?.effective?.runtimes, 'files');
  handlers(live?.runtimes, 'running');
  add('/run/runc', 'runc default root', 'runc');
  add('/run/crun', 'crun default root', 'crun');
  return [...out.values()];
}
