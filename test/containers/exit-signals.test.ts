/**
 * CRI state as a strong exit signal (src/containers/exit-signals.ts): an open stop is confirmed
 * only by a complete model, and never while a low-level runtime still runs the process (real
 * CRI-O 1.32.13 lists such containers exited: docs/crio-lab.md scenario c).
 */
import { describe, expect, it } from 'vitest';
import { exitSignals } from '../../src/containers/exit-signals.js';
import type { ContainerModel, ContainerView } from '../../src/containers/types.js';

const view = (id: string, state: ContainerView['state'], alive: boolean | null | 'none'): ContainerView => ({
  id,
  name: 'main',
  podSandboxId: 'sb',
  pod: { namespace: 'lab', name: 'p', uid: 'u' },
  state,
  handler: '',
  createdBy: alive === 'none' ? null : { root: '/run/runc', family: 'runc', pid: 42, alive },
  drivenNow: null,
  drivenAfterRestart: null,
  risks: [],
  why: [],
});

function model(views: ContainerView[], over: Partial<ContainerModel> = {}): ContainerModel {
  return { criAvailable: true, runtimeStateAvailable: true, containersTruncated: false, containers: views, ...over } as ContainerModel;
}

describe('exit signals from CRI state', () => {
  it('confirms an exited container whose process is gone, and a container nobody knows any more', () => {
    const m = model([view('a', 'exited', false), view('b', 'exited', 'none'), view('c', 'running', true)]);
    expect(exitSignals(m, ['a', 'b', 'c', 'd']).map((s) => [s.id, s.kind])).toEqual([
      ['a', 'exited'],
      ['b', 'exited'],
      ['d', 'gone'],
    ]);
  });

  it('never confirms while the runtime still runs the process, or when it cannot tell', () => {
    expect(exitSignals(model([view('a', 'exited', true)]), ['a'])).toEqual([]);
    expect(exitSignals(model([view('a', 'exited', null)]), ['a'])).toEqual([]);
    expect(exitSignals(model([view('a', 'unknown', false)]), ['a'])).toEqual([]);
  });

  it('confirms nothing from an incomplete model (a missing container may just be unread)', () => {
    for (const over of [{ criAvailable: false }, { runtimeStateAvailable: false }, { containersTruncated: true }]) {
      expect(exitSignals(model([], over), ['gone'])).toEqual([]);
    }
    expect(exitSignals(null, ['x'])).toEqual([]);
  });
});
