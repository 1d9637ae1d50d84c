/**
 * THE findings engine: one function that `check`, `fix`, `scan` and the daemon call with whatever
 * sources they have (src/findings/types.ts). Detectors live in src/findings/detectors/, one module
 * per source; the catalogue (src/findings/catalogue.ts) owns ids, severity rules and remediation.
 */
import type { FileView, Finding } from '../core/types.js';
import type { Resolution } from '../config/resolution.js';
import { mergeFindings } from './catalogue.js';
import { computeFindings } from './detectors/config.js';

/** The config source alone (what `check` and the ConfigReport contract carry). */
export function configFindingsReport(r: Resolution, view: FileView): { findings: Finding[]; lowLevelRuntime: { wrapper: string; binary: string | null } | null } {
  const found = computeFindings(r, view);
  return { findings: mergeFindings(found.findings), lowLevelRuntime: found.lowLevelRuntime };
}
