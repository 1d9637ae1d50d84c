/**
 * Tests that need a system binary (journalctl, systemd-journal-remote, promtool, prometheus,
 * prometheus-alertmanager, chromium, systemd-analyze) call `needBinary`:
 * - the binary is found: returns its path;
 * - not found locally: returns null and the caller skips with the reason;
 * - not found under CI=true: throws, because a skip in CI would hide a missing install step.
 */
import { delimiter } from 'node:path';
import { findExecutable } from '../../src/journal/journalctl.js';

/** findExecutable (the daemon's PATH lookup) over PATH plus the sbin and systemd directories. */
export function findBinary(name: string, extraDirs: string[] = []): string | null {
  const dirs = [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/lib/systemd', '/usr/lib/systemd', ...extraDirs];
  return findExecutable(name, dirs.join(delimiter));
}

export const inCI = process.env.CI === 'true';

/** Path of the binary, or null (locally) with a console note; throws under CI=true. */
export function needBinary(name: string, debianPackage: string): string | null {
  const p = findBinary(name);
  if (p) return p;
  const reason = `${name} not found: install the Debian package ${debianPackage} (apt-get install --no-install-recommends ${debianPackage})`;
  if (inCI) throw new Error(`CI=true and ${reason}; .ci/run must install it`);
  console.warn(`skipping: ${reason}`);
  return null;
}
