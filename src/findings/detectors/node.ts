/**
 * The node detector: node facts against the runtime in force (catalogue source "node"), pure.
 * - nvidia-default-without-gpu: an NVIDIA default runtime (files or running) on a node without an NVIDIA GPU.
 */
import type { ConfigReport, EventSnapshot, LiveCrio, NodeFacts } from '../../core/contracts.js';
import { isNvidiaHandler } from '../../config/nvidia.js';
import { compareWithLive } from '../../live/compare.js';
import type { FindingDraft } from '../types.js';

export interface NodeSources {
  node?: NodeFacts | null;
  config?: ConfigReport | null;
  live?: LiveCrio | null;
  events?: { snapshot: EventSnapshot } | null;
}

const NO_LIVE: LiveCrio = { source: 'none', defaultRuntime: null, runtimes: null, info: null, process: null, lastError: null };

export function detectNode(s: NodeSources): FindingDraft[] {
  if (!s.node || s.node.nvidiaGpus !== 0) return [];
  const live = s.live ?? NO_LIVE;
  const cmp = compareWithLive(s.config ?? null, live, s.events?.snapshot ?? null);
  const eff = s.config?.effective;
  const candidates: [string, string | null | undefined, string][] = [];
  if (eff) candidates.push([eff.defaultRuntime.name, eff.runtimes[eff.defaultRuntime.name]?.runtimePath, 'files']);
  if (cmp.runningDefault) candidates.push([cmp.runningDefault, live.runtimes?.[cmp.runningDefault]?.runtimePath, 'running CRI-O']);
  const hit = candidates.find(([n, p]) => isNvidiaHandler(n, p ?? ''));
  if (!hit) return [];
  return [
    {
      id: 'nvidia-default-without-gpu',
      summary: `Default runtime "${hit[0]}" is NVIDIA's, but this node has no NVIDIA GPU`,
      evidence: [`default runtime "${hit[0]}" (${hit[2]})`, 'node facts: 0 NVIDIA GPUs found'],
    },
  ];
}
