/**
 * Worker thread of the config evaluator (config-evaluator.ts): runs the config engine off the
 * daemon's event loop. The FileView is created here, from the root the daemon was given; only
 * plain data (ConfigInputs in, ConfigReport out) crosses the thread boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ConfigInputs } from '../config/inputs.js';
import { createHostFileView, resolveConfig } from '../config/index.js';

export interface EvalRequest {
  id: number;
  inputs: ConfigInputs;
}

const port = parentPort;
if (port) {
  const view = createHostFileView((workerData as { root: string }).root);
  port.on('message', (m: EvalRequest) => {
    try {
      port.postMessage({ id: m.id, ok: true, report: resolveConfig(m.inputs, view) });
    } catch (err) {
      port.postMessage({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
