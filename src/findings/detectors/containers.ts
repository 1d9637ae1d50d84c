/**
 * The containers detector (catalogue source "containers"), pure: one draft per risk class of the
 * container model (src/containers/model.ts), naming the exact containers — a bounded list, the full
 * count, and whether the list was cut. Severity and remediation come from the catalogue.
 *
 *   containers-will-change-runtime      the next CRI-O start drives them with another runtime/root
 *   containers-driven-by-other-runtime  the runtime layer drives them with another one now
 *   container-orphaned-in-runtime       CRI-O says exited/unknown, a low-level runtime still runs it
 *   container-unknown-to-crio           a runtime root runs it, CRI-O does not list it
 */
import { CONTAINER_RISKS, RISK_FINDING, type ContainerModel, type ContainerRisk, type ContainerView } from '../../containers/types.js';
import { podLabel, shortId } from '../../containers/model.js';
import type { FindingDraft } from '../types.js';

/** Containers named in one finding's evidence before "… and N more". */
export const MAX_CONTAINERS_NAMED = 20;

const SUMMARY: Record<ContainerRisk, (n: number, pods: number) => string> = {
  'will-change-runtime': (n, pods) =>
    `${n} running container(s) in ${pods} pod(s) will be driven by a different low-level runtime or root after the next CRI-O start`,
  'driven-by-other-runtime': (n, pods) =>
    `${n} container(s) in ${pods} pod(s) are driven by a low-level runtime or root that did not create them: stop, exec and kill fail`,
  'orphaned-in-runtime': (n, pods) =>
    `${n} container(s) in ${pods} pod(s) are exited or unknown to CRI-O but still run under a low-level runtime`,
  'unknown-to-crio': (n) => `${n} container(s) run under a low-level runtime root but CRI-O does not list them`,
};

function line(v: ContainerView): string {
  const who = `${podLabel(v.pod)} ${v.name ?? '?'} ${shortId(v.id)}`;
  return `${who}: ${v.why.join('; ')}`;
}

export function detectContainers(sources: { containers?: ContainerModel | null }): FindingDraft[] {
  const m = sources.containers;
  if (!m) return [];
  const out: FindingDraft[] = [];
  for (const risk of CONTAINER_RISKS) {
    // every container of the class, from the pods at risk (bounded) — counts come from the model
    const total = m.counts.atRisk[risk];
    if (total === 0) continue;
    const named: ContainerView[] = [];
    const pods = new Set<string>();
    for (const p of m.podsAtRisk) {
      for (const c of p.containers) {
        if (!c.risks.includes(risk)) continue;
        pods.add(podLabel(p));
        if (named.length < MAX_CONTAINERS_NAMED) named.push(c);
      }
    }
    const podCount = Math.max(pods.size, m.podsAtRisk.filter((p) => p.risks.includes(risk)).length);
    const truncated = total > named.length;
    const evidence = named.map(line);
    if (truncated) evidence.push(`… and ${total - named.length} more (showing ${named.length} of ${total})`);
    const first = named[0];
    const draft: FindingDraft = {
      id: RISK_FINDING[risk],
      summary: SUMMARY[risk](total, podCount),
      evidence,
      params: {
        count: String(total),
        pods: [...pods].slice(0, MAX_CONTAINERS_NAMED).join(', '),
        truncated: String(truncated),
        ...(first?.drivenNow?.handler ? { handlerNow: first.drivenNow.handler } : {}),
        ...(first?.drivenAfterRestart?.handler ? { handlerAfter: first.drivenAfterRestart.handler } : {}),
        ...(first?.createdBy ? { createdRoot: first.createdBy.root, createdFamily: first.createdBy.family } : {}),
      },
    };
    if (total === 1 && first) {
      const subject: NonNullable<FindingDraft['subject']> = { containerId: first.id };
      if (first.pod?.namespace) subject.namespace = first.pod.namespace;
      if (first.pod?.name) subject.pod = first.pod.name;
      if (first.pod?.uid) subject.podUID = first.pod.uid;
      draft.subject = subject;
    }
    out.push(draft);
  }
  return out;
}
