/**
 * Side-effect edge: ask the host's CRI-O binary for its version.
 */
import { execFile } from 'node:child_process';
import { createHostFileView } from './host-file-view.js';
import { parseCrioVersion } from './version.js';

/** The hint is one short line: a larger file is not a version hint. */
const MAX_HINT_BYTES = 256;

const CRIO_CANDIDATES = ['/usr/bin/crio', '/usr/local/bin/crio', 'crio'];

function runVersion(file: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: timeoutMs, maxBuffer: 64 * 1024, windowsHide: true }, (err, stdout) => {
      if (err) return resolve(null);
      const m = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/.exec(stdout);
      resolve(m && parseCrioVersion(m[0]) ? m[0] : null);
    });
  });
}

/**
 * The host's CRI-O version string ("1.31.0"), or null.
 * Only when root is "/" (the binary under another root may not run on this machine): runs
 * `crio --version` (argument array, no shell, 5 s timeout).
 */
export async function detectHostCrioVersion(root: string, timeoutMs = 5000): Promise<string | null> {
  if (root !== '/') return null;
  for (const c of CRIO_CANDIDATES) {
    const v = await runVersion(c, timeoutMs);
    if (v) return v;
  }
  return null;
}

/**
 * Version hint of a bundled/mounted node tree: `<root>/.crio-sentinel-version` (first line), only
 * when root is not "/". Used by `check` and the daemon's `--demo` when no --crio-version is given.
 * Read through the bounded, non-blocking file view: a FIFO, a device or a file over
 * MAX_HINT_BYTES is no hint (null), never a hang or an unbounded read.
 */
export function readVersionHint(root: string): string | null {
  if (root === '/') return null;
  try {
    // through the file view: symlinks stay inside the root, a FIFO or device is refused, never read
    const buf = createHostFileView(root).readFile('/.crio-sentinel-version', MAX_HINT_BYTES);
    const text = buf.toString('utf8').split('\n')[0]?.trim() ?? '';
    return parseCrioVersion(text) ? text : null;
  } catch {
    return null;
  }
}
