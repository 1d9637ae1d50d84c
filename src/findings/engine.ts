/**
 * THE findings engine: one function that `check`, `fix`, `scan` and the daemon call with whatever
 * sources they have. Each detector (src/findings/detectors/, one module per source) reads only its
 * sources and returns drafts; a detector whose source is absent returns nothing. The catalogue
 * (src/findings/catalogue.ts) supplies severity rules and remediation; the result is merged and
 * sorted the same way for every face.
 *
 *   files   ─► ConfigReport (its findings: the config detector, run where the files were read)
 *   journal ─► EventsSource (correlator + timeline + snapshot)      ─┐
 *   CRI-O socket / process ─► LiveCrio                               ├─► evaluateFindings ─► Finding[]
 *   node facts ─► NodeFacts; CRI + runtime roots ─► ContainerModel   ─┘
 */
import type { ConfigReport, Finding, LiveCrio, NodeFacts } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import type { Resolution } from '../config/resolution.js';
import { finalizeDraft, mergeFindings } from './catalogue.js';
import type { ContainerModel } from '../containers/types.js';
import { movingPodsOf } from '../containers/model.js';
import { detectConfig, lowLevelRuntime } from './detectors/config.js';
import { detectContainers } from './detectors/containers.js';
import { detectEvents, type EventsSource } from './detectors/events.js';
import { detectLive, type MovingPods } from './detectors/live.js';
import { detectNode } from './detectors/node.js';
import type { FindingDraft } from './types.js';

export interface FindingSources {
  /** the files where they are read: the config detector runs on the resolution (check, fix, the report step) */
  files?: { resolution: Resolution; view: FileView } | null;
  /** the files as a ConfigReport evaluated elsewhere (the daemon's engine run): its findings are the config detector's */
  config?: ConfigReport | null;
  /** the journal, evaluated at one time */
  events?: EventsSource | null;
  /** the running CRI-O (socket, process); absent in `check` and `scan` */
  live?: LiveCrio | null;
  node?: NodeFacts | null;
  /** the per-container runtime model (CRI + runtime roots + files + timeline): `run` and `pods` */
  containers?: ContainerModel | null;
  /** pods that move to another runtime at the next CRI-O start; default: from `containers` */
  movingPods?: MovingPods | null;
  /** drafts of detectors whose sources are evaluated elsewhere (e.g. the container model) */
  extra?: FindingDraft[] | null;
}

/** Finalize drafts with the catalogue, given every id active in the same evaluation. */
function finalize(drafts: FindingDraft[], alsoActive: readonly Finding[]): Finding[] {
  const active = new Set<string>([...drafts.map((d) => d.id), ...alsoActive.map((f) => f.id)]);
  return drafts.map((d) => finalizeDraft(d, active));
}

/** Every finding the given sources support, with catalogue severities, sorted. */
export function evaluateFindings(s: FindingSources): Finding[] {
  const files = s.files ? detectConfig(s.files.resolution, s.files.view).drafts : [];
  const drafts: FindingDraft[] = [
    ...files,
    ...detectEvents(s),
    ...detectLive({ config: s.config ?? null, live: s.live ?? null, events: s.events ?? null, movingPods: s.movingPods ?? (s.containers ? movingPodsOf(s.containers) : null) }),
    ...detectNode({ node: s.node ?? null, config: s.config ?? null, live: s.live ?? null, events: s.events ?? null }),
    ...detectContainers(s),
    ...(s.extra ?? []),
  ];
  const configFindings = s.config?.findings ?? [];
  return mergeFindings(configFindings, finalize(drafts, configFindings));
}

/**
 * The config source alone, where the files are read (the report step of the config engine): the
 * config detector's drafts finalized by the catalogue, plus the wrapper's low-level runtime.
 */
export function configFindingsReport(r: Resolution, view: FileView): { findings: Finding[]; lowLevelRuntime: { wrapper: string; binary: string | null } | null } {
  return { findings: evaluateFindings({ files: { resolution: r, view } }), lowLevelRuntime: lowLevelRuntime(r, view) };
}
