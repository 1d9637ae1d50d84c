/**
 * The findings engine's contract: detectors per source, one signature.
 *
 *   FindingSources (whatever a command has: files, journal, live CRI-O, runtime state, node)
 *     -> every Detector (pure: reads only its own source, returns drafts)
 *     -> evaluateFindings() (src/findings/engine.ts): the catalogue's severity rules and remediation
 *        templates applied, merged, sorted.
 *
 * `check`, `fix`, `scan` and the daemon call the same evaluateFindings() with the sources they have;
 * a detector whose source is absent returns nothing. That is what makes `scan` of a journal and the
 * daemon reading the same journal raise the same findings.
 */
import type { Finding } from '../core/contracts.js';

/** What a detector says about one finding; the catalogue adds severity and remediation. */
export interface FindingDraft {
  id: string;
  summary: string;
  evidence: string[];
  subject?: Finding['subject'];
  /**
   * Values the catalogue's remediation template uses (pod name, handler, file …). Plain strings;
   * a template must cope with a missing one.
   */
  params?: Record<string, string>;
}

/** A detector reads the sources it understands and ignores the rest. */
export type Detector<S> = (sources: S) => FindingDraft[];

/** A draft; params whose value is undefined are left out (a template copes with a missing one). */
export function makeDraft(id: string, summary: string, evidence: string[], params: Record<string, string | undefined> = {}, subject?: Finding['subject']): FindingDraft {
  const p: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p[k] = v;
  const d: FindingDraft = { id, summary, evidence, params: p };
  if (subject) d.subject = subject;
  return d;
}
