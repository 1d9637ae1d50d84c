/**
 * Node facts from systeminformation: OS, kernel, NVIDIA GPUs (count, models).
 * Under a non-"/" root the local machine is not the node being diagnosed: the facts are then
 * degraded (unknown, with the reason) rather than wrong.
 */
import type { NodeFacts } from '../core/contracts.js';

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

/** File access for collectMountedNodeFacts (injected: tests give a fixture tree). */
export interface MountedFactsDeps {
  /** the node's kernel release: a container shares the node's kernel, so uname is right there */
  kernel(): string;
  readText(path: string): string | null;
  listDir(path: string): string[];
}

/** PRETTY_NAME (else NAME VERSION_ID) of an os-release file. */
export function osReleaseName(text: string): string | null {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) kv.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const pretty = kv.get('PRETTY_NAME');
  if (pretty) return pretty;
  const name = [kv.get('NAME'), kv.get('VERSION_ID')].filter(Boolean).join(' ');
  return name !== '' ? name : null;
}

/**
 * Node facts when the node's file system is mounted at `root` on the same node (a DaemonSet with
 * --root=/host): kernel from uname, OS from <root>/etc/os-release, NVIDIA GPUs from the PCI devices
 * in /sys/bus/pci/devices (vendor 0x10de, display-controller class 0x03xxxx), which a container sees
 * for the whole node. GPU models are not named there, only PCI device ids.
 */
export function collectMountedNodeFacts(opts: { root: string; nodeName: string; deps: MountedFactsDeps }): NodeFactsResult {
  const facts: NodeFacts = { name: opts.nodeName, kernel: null, os: null, nvidiaGpus: null, gpuModels: [] };
  const errors: string[] = [];
  facts.kernel = opts.deps.kernel() || null;
  const root = opts.root.replace(/\/+$/, '');
  const rel = opts.deps.readText(`${root}/etc/os-release`) ?? opts.deps.readText(`${root}/usr/lib/os-release`);
  if (rel === null) errors.push(`no os-release under ${opts.root}`);
  else facts.os = osReleaseName(rel);
  const pci = '/sys/bus/pci/devices';
  const devices = opts.deps.listDir(pci);
  if (devices.length === 0) {
    errors.push(`${pci}: no PCI devices visible`);
  } else {
    const ids: string[] = [];
    for (const d of devices) {
      const vendor = opts.deps.readText(`${pci}/${d}/vendor`)?.trim().toLowerCase();
      const cls = opts.deps.readText(`${pci}/${d}/class`)?.trim().toLowerCase();
      if (vendor !== '0x10de' || !cls?.startsWith('0x03')) continue;
      ids.push(`NVIDIA PCI device ${opts.deps.readText(`${pci}/${d}/device`)?.trim().toLowerCase() ?? 'unknown'}`);
    }
    facts.nvidiaGpus = ids.length;
    facts.gpuModels = [...new Set(ids)].slice(0, 16);
  }
  return { facts, up: errors.length === 0, lastError: errors.length ? errors.join('; ') : null };
}
