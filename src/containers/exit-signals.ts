/**
 * CRI state as a strong exit signal for the journal's open stops (pure). A stop the journal saw
 * without a confirmed exit is confirmed here only when the model is complete (CRI and the runtime
 * roots both read, no list cut) and
 *   - CRI-O lists the container EXITED and no low-level runtime still runs its process
 *     (the lab showed 1.32.13 listing containers exited while runc runs them: that is not an exit), or
 *   - neither CRI-O nor any runtime root knows the container any more (it is gone).
 * An unknown process state (no /proc) confirms nothing.
 */
import type { ContainerModel } from './types.js';

export interface ExitSignal {
  id: string;
  kind: 'exited' | 'gone';
  how: string;
}

export function exitSignals(model: ContainerModel | null, openStops: readonly string[]): ExitSignal[] {
  if (!model || !model.criAvailable || !model.runtimeStateAvailable || model.containersTruncated) return [];
  const byId = new Map(model.containers.map((c) => [c.id, c]));
  const out: ExitSignal[] = [];
  for (const id of openStops) {
    const v = byId.get(id);
    if (!v) {
      out.push({ id, kind: 'gone', how: 'CRI-O no longer lists the container and no runtime root holds it' });
      continue;
    }
    if (v.state !== 'exited') continue;
    if (v.createdBy === null || v.createdBy.alive === false) {
      out.push({ id, kind: 'exited', how: `CRI-O lists the container exited${v.createdBy ? ` and its process in ${v.createdBy.root} is gone` : ' and no runtime root holds it'}` });
    }
  }
  return out;
}
