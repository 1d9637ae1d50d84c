import os from 'node:os';
import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { collectNodeFacts } from '../../src/live/node-facts.js';

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
