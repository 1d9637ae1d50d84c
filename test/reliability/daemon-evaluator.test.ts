/**
 * The config evaluator (src/daemon/config-evaluator.ts) bounds a runaway evaluation: a worker that
 * does not answer in time is terminated and counted, one that runs out of its heap fails the
 * evaluation and not the process; the next evaluation gets a fresh worker.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigEvaluator } from '../../src/daemon/config-evaluator.js';

let tmp: string | null = null;
afterEach(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = null;
});

describe('the config evaluator bounds a runaway evaluation', () => {
  it('stops a worker that does not answer in time, counts it, and serves the next evaluation from a fresh worker', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-evalw-'));
    const worker = path.join(tmp, 'worker.mjs');
    // answers only when inputs.crioVersion is "ok"; otherwise spins forever (a runaway engine)
    fs.writeFileSync(
      worker,
      `import { parentPort } from 'node:worker_threads';
       parentPort.on('message', (m) => {
         if (m.inputs.crioVersion !== 'ok') for (;;) {}
         parentPort.postMessage({ id: m.id, ok: true, report: { crioVersion: 'ok', files: [], effective: null, crioWouldStart: true, startError: null, lowLevelRuntime: null, findings: [] } });
       });`,
    );
    const ev = createConfigEvaluator({ root: tmp, timeoutMs: 2000, idleMs: 0, workerUrl: new URL(`file://${worker}`) });
    try {
      expect(ev.mode()).toBe('worker');
      const t0 = Date.now();
      await expect(ev.evaluate({ crioVersion: 'spin' })).rejects.toThrow(/did not finish within 2000 ms/);
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(ev.faults().timeouts).toBe(1);
      const r = await ev.evaluate({ crioVersion: 'ok' });
      expect(r.crioVersion).toBe('ok');
    } finally {
      await ev.close();
    }
  });

  it('a worker that runs out of its heap fails the evaluation, not the process', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-evalw-'));
    const worker = path.join(tmp, 'worker.mjs');
    fs.writeFileSync(worker, `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)); });`);
    const ev = createConfigEvaluator({ root: tmp, timeoutMs: 30_000, maxHeapMb: 32, workerUrl: new URL(`file://${worker}`) });
    try {
      await expect(ev.evaluate({ crioVersion: null })).rejects.toThrow(/configuration worker (failed|exited)/);
      expect(ev.faults().crashes).toBeGreaterThanOrEqual(1);
    } finally {
      await ev.close();
    }
  });
});
