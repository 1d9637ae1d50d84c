/**
 * The last step: the `check --output json` contract (ConfigReport) from a resolution and the
 * findings engine's config source.
 */
import type { ConfigReport, RuntimeHandlerView } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import { configFindingsReport } from '../findings/engine.js';
import type { Resolution } from './resolution.js';
import { setOwn } from './schema.js';

export function toReport(r: Resolution, view: FileView): ConfigReport {
  const found = configFindingsReport(r, view);
  let effective: ConfigReport['effective'] = null;
  if (!r.fatal) {
    const runtimes: Record<string, RuntimeHandlerView> = {};
    for (const name of [...r.validated.keys()].sort()) {
      const v = r.validated.get(name)!;
      if (!v.dropped) setOwn(runtimes, name, v.view);
    }
    effective = {
      defaultRuntime: r.defaultRuntime ?? r.configured,
      runtimes,
    };
  }
  return {
    crioVersion: r.crioVersion,
    files: r.files,
    effective,
    evaluated: r.fatal?.kind !== 'limit',
    crioWouldStart: r.crioWouldStart,
    startError: r.startError,
    lowLevelRuntime: found.lowLevelRuntime,
    findings: found.findings,
  };
}
