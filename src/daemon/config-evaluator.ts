/**
 * Runs the config engine without blocking the daemon's event loop: in a worker thread
 * (config-worker.ts) that builds its own FileView from the root. A hostile tree can make an
 * evaluation slow or large, so each one is bounded:
 * - a timeout (default 10 s): the worker is terminated and the evaluation fails;
 * - a heap cap for the worker (default 512 MiB): running out of it kills the worker, not the daemon;
 * - a crash of the worker fails the evaluation; the next one starts a fresh worker.
 * A failed evaluation rejects with an Error saying why; the daemon keeps its last good report.
 * The worker is stopped after `idleMs` without work, so an idle daemon does not carry its heap.
 *
 * Where the worker script is not there (the TypeScript sources under vitest) or an injected
 * `inline` engine is given (fault tests), the engine runs inline on the caller's thread.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConfigInputs } from '../config/inputs.js';
import type { ConfigReport } from '../core/contracts.js';
import type { EvalRequest } from './config-worker.js';

export interface ConfigEvaluatorOptions {
  /** the host root (the worker's FileView) */
  root: string;
  /** an evaluation that takes longer is stopped (ms); default 10 000 */
  timeoutMs?: number;
  /** heap cap of the worker (MiB); default 512 */
  maxHeapMb?: number;
  /** stop the worker after this long without work (ms); default 1000 (a catch-up after the start does not carry its heap) */
  idleMs?: number;
  /** the worker script; default config-worker.js next to this module */
  workerUrl?: URL;
  /** run this engine inline instead of a worker (an injected engine: fault tests) */
  inline?: (inputs: ConfigInputs) => ConfigReport;
  /** the engine to run inline when the worker script is missing (the sources under vitest) */
  fallback?: (inputs: ConfigInputs) => ConfigReport;
}

export interface ConfigEvaluator {
  evaluate(inputs: ConfigInputs): Promise<ConfigReport>;
  /** 'worker' or 'inline' */
  mode(): 'worker' | 'inline';
  /** evaluations stopped by the timeout, and workers that died */
  faults(): { timeouts: number; crashes: number };
  close(): Promise<void>;
}

type Reply = { id: number; ok: true; report: ConfigReport } | { id: number; ok: false; error: string };

export function createConfigEvaluator(opts: ConfigEvaluatorOptions): ConfigEvaluator {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const idleMs = opts.idleMs ?? 1_000;
  const url = opts.workerUrl ?? new URL('./config-worker.js', import.meta.url);
  const inline = opts.inline ?? null;
  const useWorker = inline === null && fs.existsSync(fileURLToPath(url));
  let worker: Worker | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let nextId = 1;
  let timeouts = 0;
  let crashes = 0;
  let closed = false;
  /** the evaluation in flight (evaluations are serialised by the caller; a second one waits) */
  let chain: Promise<unknown> = Promise.resolve();
  let current: { id: number; worker: Worker; resolve: (r: ConfigReport) => void; reject: (e: Error) => void } | null = null;

  /** fail the evaluation in flight (only if it runs on `on`, when given) */
  const fail = (err: Error, on?: Worker): void => {
    if (on && current?.worker !== on) return;
    const c = current;
    current = null;
    c?.reject(err);
  };

  const spawn = (): Worker => {
    const w = new Worker(url, {
      workerData: { root: opts.root },
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 512 },
      stdout: false,
      stderr: false,
    });
    w.unref();
    w.on('message', (m: Reply) => {
      if (!current || m.id !== current.id) return;
      const c = current;
      current = null;
      if (m.ok) c.resolve(m.report);
      else c.reject(new Error(m.error));
    });
    w.on('error', (err) => {
      if (worker === w) worker = null;
      if (current?.worker !== w) return;
      crashes++;
      fail(new Error(`configuration worker failed: ${err.message}`), w);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      if (current?.worker === w) {
        crashes++;
        fail(new Error(`configuration worker exited (code ${code}) during an evaluation`), w);
      }
    });
    return w;
  };

  const runInWorker = (inputs: ConfigInputs): Promise<ConfigReport> =>
    new Promise<ConfigReport>((resolve, reject) => {
      if (closed) {
        reject(new Error('configuration evaluator closed'));
        return;
      }
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      worker ??= spawn();
      const w = worker;
      const id = nextId++;
      const timer = setTimeout(() => {
        if (current?.id !== id) return;
        timeouts++;
        fail(new Error(`configuration evaluation did not finish within ${timeoutMs} ms and was stopped`));
        if (worker === w) worker = null;
        void w.terminate();
      }, timeoutMs);
      timer.unref();
      current = {
        id,
        worker: w,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      w.postMessage({ id, inputs } satisfies EvalRequest);
    }).finally(() => {
      if (closed || idleMs <= 0) return;
      idleTimer = setTimeout(() => {
        const w = worker;
        worker = null;
        void w?.terminate();
      }, idleMs);
      idleTimer.unref();
    });

  return {
    evaluate(inputs) {
      if (!useWorker) {
        const run = inline ?? opts.fallback ?? null;
        if (!run) return Promise.reject(new Error(`configuration worker script ${fileURLToPath(url)} is missing`));
        return Promise.resolve().then(() => run(inputs));
      }
      const p = chain.then(() => runInWorker(inputs));
      chain = p.catch(() => undefined);
      return p;
    },
    mode: () => (useWorker ? 'worker' : 'inline'),
    faults: () => ({ timeouts, crashes }),
    async close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      fail(new Error('configuration evaluator closed'));
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
