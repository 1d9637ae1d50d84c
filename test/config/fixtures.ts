/**
 * Fixture trees for the config engine tests: a host layout built in a temp dir at test time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { resolveConfig, resolveDetailed } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import type { ConfigReport } from '../../src/core/contracts.js';

/** The packaged 10-crio.conf (cri-o/packaging bundle). */
export const P10 = `[crio.image]
signature_policy = "/etc/crio/policy.json"

[crio.runtime]
default_runtime = "crun"

[crio.runtime.runtimes.crun]
runtime_path = "/usr/libexec/crio/crun"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"
allowed_annotations = [
    "io.containers.trace-syscall",
]

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
`;

export const NV = `[crio.runtime.runtimes.nvidia]
runtime_path = "/usr/bin/nvidia-container-runtime"
runtime_type = "oci"
`;

export const dr = (x: string): string => `[crio.runtime]\ndefault_runtime = "${x}"\n`;

/** nvidia-ctk runtime configure --runtime=crio --set-as-default output when no options were copied (crio-config.md §12.2). */
export const NVIDIA_CTK_DEFAULT = `
[crio]

  [crio.runtime]
    default_runtime = "nvidia"

    [crio.runtime.runtimes]

      [crio.runtime.runtimes.nvidia]
        runtime_path = "/usr/bin/nvidia-container-runtime"
        runtime_type = "oci"
`;

/** The same without --set-as-default (gpu-operator#2236 shape). */
export const NVIDIA_CTK_NOT_DEFAULT = `
[crio]

  [crio.runtime]

    [crio.runtime.runtimes]

      [crio.runtime.runtimes.nvidia]
        runtime_path = "/usr/bin/nvidia-container-runtime"
        runtime_type = "oci"
`;

export const STANDARD_BINARIES = [
  '/usr/libexec/crio/crun',
  '/usr/libexec/crio/runc',
  '/usr/libexec/crio/conmon',
  '/usr/bin/crun',
  '/usr/bin/runc',
  '/usr/bin/conmon',
  '/usr/bin/nvidia-container-runtime',
];

export type Entry = string | Buffer | { symlink: string } | { fifo: true } | { dir: true } | { mode: number; content: string };

export interface Tree {
  root: string;
  add(p: string, e: Entry): void;
  cleanup(): void;
}

const trees: string[] = [];

/** Build a host tree under a fresh temp dir. Binaries default to STANDARD_BINARIES (executables). */
export function makeTree(files: Record<string, Entry>, binaries: string[] = STANDARD_BINARIES): Tree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-cfg-'));
  trees.push(root);
  const add = (p: string, e: Entry): void => {
    const full = path.join(root, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (typeof e === 'string' || Buffer.isBuffer(e)) fs.writeFileSync(full, e);
    else if ('symlink' in e) fs.symlinkSync(e.symlink, full);
    else if ('fifo' in e) {
      const r = spawnSync('mkfifo', [full]);
      if (r.status !== 0) throw new Error('mkfifo failed');
    } else if ('dir' in e) fs.mkdirSync(full, { recursive: true });
    else {
      fs.writeFileSync(full, e.content);
      fs.chmodSync(full, e.mode);
    }
  };
  for (const b of binaries) add(b, { mode: 0o755, content: '#!/bin/sh\nexit 0\n' });
  for (const [p, e] of Object.entries(files)) add(p, e);
  return { root, add, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function cleanupTrees(): void {
  for (const t of trees.splice(0)) fs.rmSync(t, { recursive: true, force: true });
}

export function check(tree: Tree | string, inputs: Partial<ConfigInputs> & { crioVersion: string | null }): ConfigReport {
  const root = typeof tree === 'string' ? tree : tree.root;
  return resolveConfig(inputs as ConfigInputs, createHostFileView(root));
}

export function detailed(tree: Tree, inputs: Partial<ConfigInputs> & { crioVersion: string | null }) {
  return resolveDetailed(inputs as ConfigInputs, createHostFileView(tree.root));
}

/** effective default name and sorted runtime names, or the start error. */
export function summary(r: ConfigReport): { default: string | null; runtimes: string[]; error: string | null } {
  return {
    default: r.effective?.defaultRuntime.name ?? null,
    runtimes: Object.keys(r.effective?.runtimes ?? {}).sort(),
    error: r.startError,
  };
}

export const ids = (r: ConfigReport): string[] => r.findings.map((f) => f.id);
