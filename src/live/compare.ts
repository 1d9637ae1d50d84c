/**
 * Files vs the running CRI-O: does the on-disk configuration resolve to a different default runtime
 * or handler set than the one CRI-O runs? Pure. After a SIGHUP, GET /config already shows the new
 * default but the runtime layer keeps the old one until CRI-O starts again, so the journal's
 * runtime-layer default wins when known.
 */
import type { ConfigReport, EventSnapshot, LiveCrio } from '../core/contracts.js';

export interface LiveComparison {
  /** files and running CRI-O disagree on the default runtime or the handler set */
  drift: boolean;
  filesDefault: string | null;
  /** the default the runtime layer uses, as best known */
  runningDefault: string | null;
  /** where runningDefault came from */
  runningSource: 'journal-start' | 'api' | 'journal' | null;
  /** CRI-O reloaded to this default (GET /config) while the runtime layer still runs runningDefault */
  reloadedDefault: string | null;
  differences: string[];
}

/** Handlers CRI-O drops at validation (binary missing): absent from the live map by design, not drift. */
function handlersDroppedByEngine(report: ConfigReport): Set<string> {
  const out = new Set<string>();
  for (const f of report.findings) {
    if (f.id === 'runtime-binary-missing' && f.subject?.handler) out.add(f.subject.handler);
  }
  return out;
}

/** Compare the files' resolution with what CRI-O runs. No live knowledge = no drift. */
export function compareWithLive(report: ConfigReport | null, live: LiveCrio, events: EventSnapshot | null): LiveComparison {
  const eff = report?.effective ?? null;
  const filesDefault = eff?.defaultRuntime.name ?? null;
  const layer = events?.crio.runtimeLayerDefault ?? null;
  let runningDefault: string | null = null;
  let runningSource: LiveComparison['runningSource'] = null;
  if (layer) {
    runningDefault = layer;
    runningSource = 'journal-start';
  } else if (live.defaultRuntime) {
    runningDefault = live.defaultRuntime;
    runningSource = live.source === 'api' ? 'api' : 'journal';
  }
  const reloadedDefault = live.source === 'api' && live.defaultRuntime && layer && live.defaultRuntime !== layer ? live.defaultRuntime : null;
  const differences: string[] = [];
  if (!eff || !report || runningDefault === null) {
    return { drift: false, filesDefault, runningDefault, runningSource, reloadedDefault, differences };
  }
  if (filesDefault !== runningDefault) {
    differences.push(`default runtime: files resolve to "${filesDefault}", CRI-O runs "${runningDefault}"`);
  }
  // Handler set: the runtime layer's inventory from the last start when the journal has it, else /config.
  const dropped = handlersDroppedByEngine(report);
  const fileNames = Object.keys(eff.runtimes).filter((n) => !dropped.has(n)).sort();
  const liveNames = events?.crio.handlers ? [...events.crio.handlers].sort() : live.runtimes ? Object.keys(live.runtimes).sort() : null;
  if (liveNames) {
    const added = fileNames.filter((n) => !liveNames.includes(n));
    const removed = liveNames.filter((n) => !fileNames.includes(n));
    if (added.length) differences.push(`handlers only in the files: ${added.join(', ')}`);
    if (removed.length) differences.push(`handlers CRI-O runs that the files no longer define: ${removed.join(', ')}`);
  }
  // Configured fields (crio-config.md §14.12: /config shows validated handlers, so compare only set values).
  if (live.runtimes) {
    for (const name of fileNames) {
      const f = eff.runtimes[name];
      const l = live.runtimes[name];
      if (!f || !l) continue;
      const pairs: [string, string, string][] = [
        ['runtime_path', f.runtimePath, l.runtimePath],
        ['runtime_root', f.runtimeRoot, l.runtimeRoot],
        ['runtime_type', f.runtimeType, l.runtimeType],
      ];
      for (const [key, fv, lv] of pairs) {
        if (fv !== '' && lv !== '' && fv !== lv) differences.push(`handler ${name} ${key}: files "${fv}", CRI-O "${lv}"`);
      }
    }
  }
  return { drift: differences.length > 0, filesDefault, runningDefault, runningSource, reloadedDefault, differences };
}
