/**
 * Node facts from systeminformation: OS, kernel, NVIDIA GPUs (count, models).
 * Under a non-"/" root the local machine is not the node being diagnosed: the facts are then
 * degraded (unknown, with the reason) rather than wrong.
 */
import type { NodeFacts } from '../core/types.js';

export interface NodeFactsDeps {
  osInfo(): Promise<{ distro?: string; release?: string; kernel?: string; platform?: string }>;
  graphics(): Promise<{ controllers: { vendor?: string; model?: string; vendorId?: string; name?: string }[] }>;
}

export interface NodeFactsResult {
  facts: NodeFacts;
  up: boolean;
  lastError: string | null;
}

export function isNvidiaController(c: { vendor?: string; vendorId?: string; model?: string; name?: string }): boolean {
  const vendorId = (c.vendorId ?? '').toLowerCase().replace(/^0x/, '');
  return /nvidia/i.test(c.vendor ?? '') || vendorId === '10de' || /nvidia/i.test(c.name ?? '');
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function collectNodeFacts(opts: { root: string; nodeName: string; deps: NodeFactsDeps }): Promise<NodeFactsResult> {
  const facts: NodeFacts = { name: opts.nodeName, kernel: null, os: null, nvidiaGpus: null, gpuModels: [] };
  if (opts.root !== '/') {
    return { facts, up: false, lastError: `--root is ${opts.root}: facts of this machine would not describe that node` };
  }
  const errors: string[] = [];
  try {
    const os = await opts.deps.osInfo();
    facts.kernel = os.kernel && os.kernel !== '' ? os.kernel : null;
    const name = [os.distro, os.release].filter((s) => s && s !== '').join(' ');
    facts.os = name !== '' ? name : (os.platform ?? null);
  } catch (err) {
    errors.push(`osInfo: ${msg(err)}`);
  }
  try {
    const g = await opts.deps.graphics();
    const nv = g.controllers.filter(isNvidiaController);
    facts.nvidiaGpus = nv.length;
    facts.gpuModels = [...new Set(nv.map((c) => (c.model ?? c.name ?? '').trim()).filter((m) => m !== ''))].slice(0, 16);
  } catch (err) {
    errors.push(`graphics: ${msg(err)}`);
  }
  return { facts, up: errors.length === 0, lastError: errors.length ? errors.join('; ') : null };
}
