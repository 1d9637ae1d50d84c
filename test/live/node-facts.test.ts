import os from 'node:os';
import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { collectMountedNodeFacts, collectNodeFacts, osReleaseName } from '../../src/live/node-facts.js';

describe('node facts', () => {
  it('counts NVIDIA controllers and lists their models', async () => {
    const r = await collectNodeFacts({
      root: '/',
      nodeName: 'gpu-1',
      deps: {
        osInfo: async () => ({ distro: 'Ubuntu', release: '24.04', kernel: '6.8.0-45-generic' }),
        graphics: async () => ({
          controllers: [
            { vendor: 'NVIDIA Corporation', model: 'H100 SXM5 80GB' },
            { vendor: '', vendorId: '10de', model: 'H100 SXM5 80GB' },
            { vendor: 'Matrox Electronics Systems Ltd.', model: 'MGA G200e' },
          ],
        }),
      },
    });
    expect(r).toEqual({
      facts: { name: 'gpu-1', kernel: '6.8.0-45-generic', os: 'Ubuntu 24.04', nvidiaGpus: 2, gpuModels: ['H100 SXM5 80GB'] },
      up: true,
      lastError: null,
    });
  });

  it('degrades (not fails) when systeminformation throws, and under a non-/ root', async () => {
    const r = await collectNodeFacts({
      root: '/',
      nodeName: 'n',
      deps: { osInfo: async () => ({ kernel: '6.1' }), graphics: async () => Promise.reject(new Error('lspci: not found')) },
    });
    expect(r.up).toBe(false);
    expect(r.lastError).toMatch(/graphics: lspci: not found/);
    expect(r.facts.kernel).toBe('6.1');
    expect(r.facts.nvidiaGpus).toBeNull();
    const rooted = await collectNodeFacts({
      root: '/host',
      nodeName: 'n',
      deps: { osInfo: async () => ({ kernel: 'x' }), graphics: async () => ({ controllers: [] }) },
    });
    expect(rooted.up).toBe(false);
    expect(rooted.facts.kernel).toBeNull();
    expect(rooted.lastError).toMatch(/--root is \/host/);
  });

  it('reads this machine through the real systeminformation', async () => {
    const r = await collectNodeFacts({ root: '/', nodeName: 'here', deps: { osInfo: () => si.osInfo(), graphics: () => si.graphics() } });
    expect(r.facts.kernel).toBe(os.release());
    expect(r.facts.os).not.toBeNull();
    expect(typeof r.facts.nvidiaGpus).toBe('number');
    expect(r.facts.gpuModels.length).toBeLessThanOrEqual(r.facts.nvidiaGpus ?? 0);
  });
});

describe('node facts of a node mounted at --root (--node-facts=mounted)', () => {
  const tree = (files: Record<string, string>) => ({
    kernel: () => '6.8.0-45-generic',
    readText: (p: string) => files[p] ?? null,
    listDir: (p: string) => [...new Set(Object.keys(files).filter((f) => f.startsWith(p + '/')).map((f) => f.slice(p.length + 1).split('/')[0]!))],
  });

  it('takes the OS from <root>/etc/os-release and counts NVIDIA display controllers on the PCI bus', () => {
    const pci = '/sys/bus/pci/devices';
    const r = collectMountedNodeFacts({
      root: '/host',
      nodeName: 'gpu-7',
      deps: tree({
        '/host/etc/os-release': 'NAME="Ubuntu"\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n',
        [`${pci}/0000:17:00.0/vendor`]: '0x10de\n',
        [`${pci}/0000:17:00.0/class`]: '0x030200\n',
        [`${pci}/0000:17:00.0/device`]: '0x2330\n',
        [`${pci}/0000:3d:00.0/vendor`]: '0x10de\n',
        [`${pci}/0000:3d:00.0/class`]: '0x030200\n',
        [`${pci}/0000:3d:00.0/device`]: '0x2330\n',
        // an NVIDIA NVSwitch bridge (class 0x0680) is not a GPU; an Intel NIC is not either
        [`${pci}/0000:05:00.0/vendor`]: '0x10de\n',
        [`${pci}/0000:05:00.0/class`]: '0x068000\n',
        [`${pci}/0000:00:1f.6/vendor`]: '0x8086\n',
        [`${pci}/0000:00:1f.6/class`]: '0x020000\n',
      }),
    });
    expect(r).toEqual({
      facts: { name: 'gpu-7', kernel: '6.8.0-45-generic', os: 'Ubuntu 24.04.1 LTS', nvidiaGpus: 2, gpuModels: ['NVIDIA PCI device 0x2330'] },
      up: true,
      lastError: null,
    });
  });

  it('degrades with the reason when os-release or the PCI bus cannot be read', () => {
    const r = collectMountedNodeFacts({ root: '/host', nodeName: 'n', deps: tree({}) });
    expect(r.up).toBe(false);
    expect(r.facts.os).toBeNull();
    expect(r.facts.nvidiaGpus).toBeNull();
    expect(r.lastError).toMatch(/no os-release under \/host; \/sys\/bus\/pci\/devices: no PCI devices visible/);
    expect(osReleaseName('NAME=Debian\nVERSION_ID="12"\n')).toBe('Debian 12');
  });
});
