/**
 * The real CRI-O 1.32 lab for the CRI client and runtime-state tests: the `crio-lab` script of
 * ../shared/crio-lab (or CRIO_SENTINEL_CRIO_LAB). Each test gets its own lab dir and calls down().
 * Skips locally with one reason (not root, no lab, missing runc/conmon); under CI=true a missing
 * piece is a failure.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, inCI } from '../helpers/binaries.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB_SCRIPT = process.env.CRIO_SENTINEL_CRIO_LAB ?? path.resolve(REPO, '../shared/crio-lab/crio-lab');

/** null when the lab can run here, else why not (throws under CI=true). */
export function labUnavailable(): string | null {
  let why: string | null = null;
  if (process.getuid?.() !== 0) why = 'the CRI-O lab needs root';
  else if (!fs.existsSync(LAB_SCRIPT)) why = `no crio-lab script at ${LAB_SCRIPT} (set CRIO_SENTINEL_CRIO_LAB)`;
  else {
    for (const [bin, pkg] of [['runc', 'runc'], ['conmon', 'conmon'], ['buildah', 'buildah'], ['crun', 'crun']] as const) {
      if (!findBinary(bin)) {
        why = `${bin} not found (apt-get install --no-install-recommends ${pkg})`;
        break;
      }
    }
  }
  if (why && inCI) throw new Error(`CI=true and ${why}`);
  if (why) console.warn(`skipping the real CRI-O tests: ${why}`);
  return why;
}

function lab(args: string[], timeoutMs = 180_000): string {
  return execFileSync(LAB_SCRIPT, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Lab {
  dir: string;
  socket: string;
  config: string;
  configDir: string;
  pod(name: string, handler?: string): { podId: string; containerId: string };
  restart(): void;
  hup(): void;
  down(): void;
}

export function labUp(prefix: string): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  lab(['up', dir]);
  return {
    dir,
    socket: path.join(dir, 'crio.sock'),
    config: path.join(dir, 'etc/crio/crio.conf'),
    configDir: path.join(dir, 'etc/crio/crio.conf.d'),
    pod(name, handler) {
      const out = lab(['pod', dir, name, ...(handler ? [handler] : [])]).trim().split('\n').pop() ?? '';
      const [podId, containerId] = out.split(' ');
      if (!podId || !containerId) throw new Error(`crio-lab pod: unexpected output "${out}"`);
      return { podId, containerId };
    },
    restart: () => void lab(['restart', dir]),
    hup: () => void lab(['hup', dir]),
    down() {
      // the dir stays: removing it recursively could reach into a mount `down` failed to lift
      lab(['down', dir], 60_000);
    },
  };
}
