/**
 * Issue #12: the follower's journalctl matches select only entries a pattern can use, and lose none.
 *
 * Every journal here is a real .journal file (systemd-journal-remote) read back by real journalctl
 * three ways: every entry (matches: null), the matches before issue #12 (every kernel line) and
 * FOLLOW_MATCHES. The classifier's events from the three reads are compared, and the selected and
 * relevant entries are counted.
 *
 * Kernel entries carry the fields journald's kmsg reader stores (PRIORITY, SYSLOG_FACILITY=0,
 * SYSLOG_IDENTIFIER=kernel, _SOURCE_MONOTONIC_TIMESTAMP), and the audit-socket copies the fields of
 * journald-audit.c (_TRANSPORT=audit, _AUDIT_TYPE, _AUDIT_ID, SYSLOG_FACILITY=4,
 * SYSLOG_IDENTIFIER=audit, MESSAGE "<type name> <body>"), as observed on this machine
 * (docs/journal.md, "Selection").
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJournalDirectoryFile } from '../../bench/generate.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createClassifier } from '../../src/events/classifier.js';
import type { Event } from '../../src/events/event.js';
import { FOLLOW_MATCHES, KERNEL_AUDIT_MATCHES, readJournalDirectory } from '../../src/journal/journalctl.js';
import { journalctlBinary, journalRemote, makeJournal, type FixtureEntry } from '../helpers/journal-fixture.js';
import { REAL_INCIDENT, sampleEntries } from '../events/sample.js';
import { collector } from './collect.js';

/** FOLLOW_MATCHES before issue #12: every kernel line */
const PREVIOUS_MATCHES = [...FOLLOW_MATCHES.slice(0, FOLLOW_MATCHES.length - KERNEL_AUDIT_MATCHES.length), '_TRANSPORT=kernel'];

const BUNDLED_INCIDENT = join(import.meta.dirname, '../../examples/incidents/nvidia-default.jsonl');

const jc = journalctlBinary();
const remote = journalRemote();
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cs-selection-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A `journalctl -o json` object as a fixture entry with every field it has (byte arrays as bytes). */
function fromJson(o: Record<string, unknown>): FixtureEntry {
  const fields: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === '__CURSOR' || k === '__REALTIME_TIMESTAMP' || k === '_BOOT_ID' || v === null) continue;
    fields[k] = Array.isArray(v) ? Buffer.from(v as number[]) : String(v);
  }
  return { realtimeUs: Number(o.__REALTIME_TIMESTAMP), bootId: typeof o._BOOT_ID === 'string' ? o._BOOT_ID : undefined, fields };
}

function jsonLines(file: string): FixtureEntry[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => fromJson(JSON.parse(l) as Record<string, unknown>));
}

/** The sample journal's text lines with the fields journald stores for each emitter. */
function sampleFixture(): FixtureEntry[] {
  return sampleEntries().map((e): FixtureEntry => {
    const fields: Record<string, string> = {};
    if (e.identifier === 'systemd') {
      // systemd's own lines about crio.service: PID 1, UNIT= names the unit (journald: init.scope)
      fields.UNIT = 'crio.service';
      return { ...e, cursor: null, unit: 'init.scope', bootId: undefined, streamId: null, fields };
    }
    if (e.transport === 'kernel') Object.assign(fields, { PRIORITY: '5', SYSLOG_FACILITY: '0' });
    return { ...e, cursor: null, bootId: undefined, pid: e.transport === 'kernel' ? null : e.pid, fields };
  });
}

/** Kernel and audit entries as journald stores them on a GPU node without auditd. */
function kernelMix(startUs: number, n: number): FixtureEntry[] {
  const out: FixtureEntry[] = [];
  const kernel = (us: number, priority: number, message: string): FixtureEntry => ({
    realtimeUs: us, identifier: 'kernel', transport: 'kernel', message,
    fields: { PRIORITY: String(priority), SYSLOG_FACILITY: '0', _SOURCE_MONOTONIC_TIMESTAMP: String(us % 1e12) },
  });
  for (let i = 0; i < n; i++) {
    const us = startUs + i * 1000;
    switch (i % 10) {
      case 0: out.push(kernel(us, 6, `IPv6: ADDRCONF(NETDEV_CHANGE): cali${i.toString(16).padStart(11, '0')}: link becomes ready`)); break;
      case 1: out.push(kernel(us, 6, `cni0: port ${i % 64}(veth${i.toString(16)}) entered forwarding state`)); break;
      case 2: out.push(kernel(us, 7, `nvidia-uvm: uvm_gpu_retain: GPU ${i % 8} retained`)); break;
      case 3: out.push(kernel(us, 4, `NVRM: GPU at PCI:0000:3b:00: GPU has fallen off the bus (${i}).`)); break;
      case 4: out.push(kernel(us, 3, `nvidia-nvswitch${i % 4}: SXid (PCI:0000:0${i % 8}:00.0): 12028, Non-fatal, Link 44 egress non-posted PRIV error`)); break;
      case 5: out.push(kernel(us, 6, `eth0: renamed from veth${i.toString(16)}`)); break;
      case 6: out.push(kernel(us, 5, `audit: type=1400 audit(${Math.floor(us / 1e6)}.${i % 1000}:${i}): apparmor="STATUS" operation="profile_replace" info="same as current profile, skipping" profile="unconfined" name="crio-default" pid=${9000 + i} comm="apparmor_parser"`)); break;
      case 7: {
        // one AppArmor denial: the kernel-log copy (PRIORITY=5) and journald's audit-socket copy
        const body = `apparmor="DENIED" operation="signal" class="signal" profile="crio-default" pid=${40000 + i} comm="runc" requested_mask="receive" denied_mask="receive" signal=kill peer="runc"`;
        out.push({ realtimeUs: us, identifier: 'audit', transport: 'audit', pid: 40000 + i, message: `AVC ${body}`, fields: { _AUDIT_TYPE: '1400', _AUDIT_ID: String(i), _AUDIT_TYPE_NAME: 'AVC', SYSLOG_FACILITY: '4' } });
        out.push(kernel(us + 1, 5, `audit: type=1400 audit(${Math.floor(us / 1e6)}.${i % 1000}:${i}): ${body}`));
        break;
      }
      case 8: out.push({ realtimeUs: us, identifier: 'nvidia-smi', transport: 'kernel', pid: 7000 + i, message: 'userspace write to /dev/kmsg', fields: { PRIORITY: '5', SYSLOG_FACILITY: '1' } }); break;
      default: out.push(kernel(us, 6, `br_netfilter: entry ${i}`));
    }
  }
  return out;
}

/** Other units of a busy node: an app's JSON logs, sshd, cron. */
function otherUnits(startUs: number, n: number): FixtureEntry[] {
  const out: FixtureEntry[] = [];
  for (let i = 0; i < n; i++) {
    const us = startUs + i * 1000 + 500;
    if (i % 3 === 0) out.push({ realtimeUs: us, unit: 'trainer-api.service', identifier: 'trainer-api', transport: 'stdout', pid: 3100, message: `{"level":"info","msg":"request done","path":"/v1/jobs/${i}","ms":${i % 97}}` });
    else if (i % 3 === 1) out.push({ realtimeUs: us, unit: 'ssh.service', identifier: 'sshd', transport: 'syslog', pid: 30000 + i, message: `Accepted publickey for core from 10.0.0.${i % 255} port ${1024 + i} ssh2` });
    else out.push({ realtimeUs: us, unit: 'cron.service', identifier: 'CRON', transport: 'syslog', pid: 40000 + i, message: '(root) CMD (run-parts /etc/cron.hourly)' });
  }
  return out;
}

interface Read {
  entries: JournalEntry[];
  events: Event[];
}

async function read(jdir: string, matches: readonly string[] | null): Promise<Read> {
  const c = collector();
  await readJournalDirectory(jdir, c, { journalctl: jc!, matches, timeoutMs: 120_000 });
  const cl = createClassifier();
  const events = c.entries.map((e) => cl.classify(e)).filter((e): e is Event => e !== null);
  return { entries: c.entries, events };
}

/** what a detection is: the event without the raw line (cursor-free, comparable across reads) */
const key = (e: Event): string => JSON.stringify({ ...e, line: undefined });

interface Counts {
  all: number;
  previous: number;
  selected: number;
  relevant: number;
  kernelPrevious: number;
  kernelSelected: number;
  kernelRelevant: number;
}

/** The three reads of one journal directory; asserts that FOLLOW_MATCHES loses no detection. */
async function compare(jdir: string): Promise<Counts> {
  const [all, previous, selected] = [await read(jdir, null), await read(jdir, PREVIOUS_MATCHES), await read(jdir, FOLLOW_MATCHES)];
  // nothing a pattern used before is lost
  expect(selected.events.map(key)).toEqual(previous.events.map(key));
  // every AppArmor denial of the journal is detected: as its kernel-log copy
  const denials = (r: Read): Event[] => r.events.filter((e) => e.kind === 'apparmor-denied');
  const kernelDenials = all.entries.filter((e) => e.transport === 'kernel' && e.message.includes('apparmor="DENIED"'));
  expect(denials(selected)).toHaveLength(kernelDenials.length);
  // selected entries are a subset of the previous selection
  const prevCursors = new Set(previous.entries.map((e) => e.cursor));
  expect(selected.entries.every((e) => prevCursors.has(e.cursor))).toBe(true);
  // relevant: the entries of the full read that give an event (kubelet continuation lines excepted)
  const cl = createClassifier();
  let relevant = 0;
  for (const e of all.entries) if (cl.classify(e) !== null) relevant++;
  const isKernel = (e: JournalEntry): boolean => e.transport === 'kernel';
  return {
    all: all.entries.length,
    previous: previous.entries.length,
    selected: selected.entries.length,
    relevant,
    kernelPrevious: previous.entries.filter(isKernel).length,
    kernelSelected: selected.entries.filter(isKernel).length,
    kernelRelevant: kernelDenials.length,
  };
}

describe.skipIf(jc === null || remote === null)('follow selection (issue #12): real journal files, real journalctl', () => {
  it('KERNEL_AUDIT_MATCHES ANDs the kernel transport with PRIORITY=5 (journalctl: different fields AND)', () => {
    expect(FOLLOW_MATCHES.slice(-3)).toEqual(['+', '_TRANSPORT=kernel', 'PRIORITY=5']);
  });

  it('a mixed node journal: selects the AppArmor kernel lines and not the other kernel lines; no detection lost', async () => {
    const jdir = join(dir, 'mixed');
    mkdirSync(jdir);
    const endUs = Date.now() * 1000 - 60_000_000;
    // crio, kubelet, conmon, PID 1, kernel (generated, 36 ms apart) ...
    await writeJournalDirectoryFile({ entries: 20_000, endUs, stepUs: 1000, incidentEvery: 500 }, join(jdir, 'system.journal'));
    // ... plus kernel/audit lines as journald stores them and other units
    const start = endUs - 20_000_000;
    await makeJournal(jdir, [...kernelMix(start, 4000), ...otherUnits(start, 6000)].sort((a, b) => a.realtimeUs! - b.realtimeUs!), 'extra.journal');
    const c = await compare(jdir);
    // the generator's kernel noise (PRIORITY=6) and the mix's non-notice lines are gone
    expect(c.kernelSelected).toBeLessThan(c.kernelPrevious);
    // what is still selected on the kernel transport: the denials, other audit records, userspace /dev/kmsg writes at notice
    expect(c.kernelSelected).toBe(c.kernelRelevant + 400 + 400);
    expect(c.kernelRelevant).toBeGreaterThan(400);
    expect(c.selected).toBeLessThan(c.previous);
    process.stdout.write(`selection mixed: ${JSON.stringify(c)}\n`);
  }, 180_000);

  it('the sample journal: same detections as before', async () => {
    const jdir = join(dir, 'sample');
    mkdirSync(jdir);
    await makeJournal(jdir, sampleFixture());
    const c = await compare(jdir);
    expect(c.selected).toBe(c.previous);
    process.stdout.write(`selection sample: ${JSON.stringify(c)}\n`);
  }, 60_000);

  it('the real incident (CRI-O 1.31.0, real journald): same detections as before', async () => {
    const jdir = join(dir, 'real');
    mkdirSync(jdir);
    await makeJournal(jdir, jsonLines(REAL_INCIDENT));
    const c = await compare(jdir);
    expect(c.relevant).toBeGreaterThan(20);
    process.stdout.write(`selection real-incident: ${JSON.stringify(c)}\n`);
  }, 60_000);

  it('the bundled demo incident (kernel AppArmor denials at PRIORITY=5): every denial still selected', async () => {
    const jdir = join(dir, 'bundled');
    mkdirSync(jdir);
    await makeJournal(jdir, jsonLines(BUNDLED_INCIDENT));
    const c = await compare(jdir);
    expect(c.kernelRelevant).toBeGreaterThan(0);
    expect(c.kernelSelected).toBe(c.kernelRelevant);
    process.stdout.write(`selection bundled incident: ${JSON.stringify(c)}\n`);
  }, 60_000);

  // journals captured from the crio-lab, when committed (JSON lines of journalctl -o json)
  const labDirs = ['test/fixtures/lab', 'examples/lab'].map((d) => join(import.meta.dirname, '../..', d));
  const labFiles = labDirs.flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => f.endsWith('.jsonl')).map((f) => join(d, f));
    } catch {
      return [];
    }
  });
  it.each(labFiles.length ? labFiles : ['(none committed)'])('lab journal %s: same detections as before', async (file) => {
    if (file === '(none committed)') return;
    const jdir = join(dir, `lab-${labFiles.indexOf(file)}`);
    mkdirSync(jdir);
    await makeJournal(jdir, jsonLines(file));
    const c = await compare(jdir);
    process.stdout.write(`selection ${file}: ${JSON.stringify(c)}\n`);
  }, 60_000);
});
