/**
 * Journal fixtures made at test time:
 * - toExport(): serialise entries to the journal export format (text fields, and binary fields for
 *   values with a newline, control bytes or invalid UTF-8);
 * - makeJournal()/appendJournal(): turn them into a real .journal file with Debian's
 *   systemd-journal-remote (re-running on the same file appends). Realtime timestamps must not be
 *   in the future (log-formats.md §14: a future tail makes the next append rotate the file).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { JournalEntry } from '../../src/journal/entry.js';
import { needBinary } from './binaries.js';

export type FixtureEntry = Partial<JournalEntry> & { fields?: Record<string, string | Buffer> };

export const FIXTURE_BOOT_ID = '0123456789abcdef0123456789abcdef';
/** the fixture boot "started" at 2023-11-14T22:13:20Z: __MONOTONIC_TIMESTAMP = realtime - this */
export const FIXTURE_BOOT_EPOCH_US = 1_700_000_000_000_000;

/** A value goes out as a text field only when it is valid UTF-8 without control characters (TAB allowed). */
function needsBinary(v: Buffer): boolean {
  for (const c of v) {
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return !Buffer.from(v.toString('utf8'), 'utf8').equals(v);
}

function field(name: string, value: string | Buffer): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (!needsBinary(v)) return Buffer.concat([Buffer.from(`${name}=`), v, Buffer.from('\n')]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(v.length));
  return Buffer.concat([Buffer.from(`${name}\n`), len, v, Buffer.from('\n')]);
}

/** Serialise entries to export format. Missing realtimeUs: now (µs). */
export function toExport(entries: FixtureEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.cursor) parts.push(field('__CURSOR', e.cursor));
    const realtimeUs = e.realtimeUs ?? Date.now() * 1000;
    parts.push(field('__REALTIME_TIMESTAMP', String(realtimeUs)));
    // a monotonic clock consistent with realtime within one boot (journalctl seeks a foreign cursor by it)
    if (e.fields?.['__MONOTONIC_TIMESTAMP'] === undefined) parts.push(field('__MONOTONIC_TIMESTAMP', String(Math.max(0, realtimeUs - FIXTURE_BOOT_EPOCH_US))));
    if (e.bootId !== null) parts.push(field('_BOOT_ID', e.bootId ?? FIXTURE_BOOT_ID));
    if (e.unit) parts.push(field('_SYSTEMD_UNIT', e.unit));
    if (e.identifier) parts.push(field('SYSLOG_IDENTIFIER', e.identifier));
    if (e.transport) parts.push(field('_TRANSPORT', e.transport));
    // journald stores a priority on every entry; the kernel's audit/AppArmor lines are notices (5)
    if (e.transport === 'kernel' && e.fields?.['PRIORITY'] === undefined) parts.push(field('PRIORITY', '5'));
    if (e.pid !== undefined && e.pid !== null) parts.push(field('_PID', String(e.pid)));
    if (e.streamId) parts.push(field('_STREAM_ID', e.streamId));
    for (const [k, v] of Object.entries(e.fields ?? {})) parts.push(field(k, v));
    if (e.message !== undefined) parts.push(field('MESSAGE', e.message));
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Path of systemd-journal-remote, or null (test skips locally; throws under CI=true). */
export function journalRemote(): string | null {
  return needBinary('systemd-journal-remote', 'systemd-journal-remote');
}

/** Path of journalctl, or null (test skips locally; throws under CI=true). */
export function journalctlBinary(): string | null {
  return needBinary('journalctl', 'systemd');
}

function runRemote(file: string, data: Buffer): Promise<void> {
  const bin = journalRemote();
  if (bin === null) throw new Error('systemd-journal-remote is not installed');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-o', file, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`systemd-journal-remote exited ${code}: ${err.trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

function assertNotFuture(entries: FixtureEntry[]): void {
  const nowUs = Date.now() * 1000;
  for (const e of entries) {
    if (e.realtimeUs !== undefined && e.realtimeUs > nowUs) {
      throw new Error(`fixture entry at ${e.realtimeUs} µs is in the future: journal files must not get future timestamps`);
    }
  }
}

/** Write entries into a new (or existing: appends) journal file `<dir>/<fileName>`; returns its path. */
export async function makeJournal(dir: string, entries: FixtureEntry[], fileName = 'system.journal'): Promise<string> {
  if (!fileName.endsWith('.journal')) throw new Error('journal file names must end with .journal');
  assertNotFuture(entries);
  const file = join(dir, fileName);
  await runRemote(file, toExport(entries));
  return file;
}

/** Append entries to an existing journal file (systemd-journal-remote appends to the same file). */
export async function appendJournal(file: string, entries: FixtureEntry[]): Promise<string> {
  assertNotFuture(entries);
  await runRemote(file, toExport(entries));
  return file;
}

/** n ordinary crio entries, timestamps spaced 1 µs apart ending before now. */
export function crioEntries(n: number, opts: { startUs?: number; prefix?: string } = {}): FixtureEntry[] {
  const start = opts.startUs ?? Date.now() * 1000 - n - 10_000_000;
  const out: FixtureEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      realtimeUs: start + i,
      unit: 'crio.service',
      identifier: 'crio',
      transport: 'stdout',
      pid: 1873,
      message: `time="2026-01-01T00:00:00Z" level=info msg="${opts.prefix ?? 'fixture entry'} ${i}"`,
    });
  }
  return out;
}
