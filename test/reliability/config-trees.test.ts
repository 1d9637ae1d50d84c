/**
 * Reliability campaign, config trees (issue #11): seeded, repeatable hostile mutations of the
 * example nodes' drop-ins, each evaluated by crio-sentinel's engine AND by the real CRI-O 1.32.13
 * (`crio --config <t>/crio.conf --config-dir <t>/crio.conf.d config`, no daemon needed) on the same
 * host paths: crio-sentinel gets the same explicit paths with root "/", so both read the same inputs.
 *
 * Compared per tree: whether CRI-O loads the configuration (`crio config` exits 0; it decodes every
 * file and validates that the default names a table, but checks no runtime binary, so the engine's
 * side is "no fatal error and no config-level error") and, when it does, the default runtime.
 * Classes of outcome, counted honestly:
 * - agree: same verdict (and same default);
 * - both block: a FIFO makes `crio config` block (killed after CRIO_TIMEOUT_MS) and the engine says
 *   CRI-O would block reading it;
 * - not evaluated: the engine reached one of its bounds (a device, a file over 4 MiB, a name it
 *   cannot open) and gave no answer — never counted as agreement;
 * - wrong: any other difference (the figure that must be 0).
 * A crash is an exception from the engine; a hang is an evaluation longer than HANG_MS.
 * The crio binary: CRIO_SENTINEL_CRIO_BIN, else ../shared/crio-lab/bin/crio beside the repository.
 * Missing: skipped locally with the reason; a failure under CI=true.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostFileView } from '../../src/config/host-file-view.js';
import { resolveDetailed } from '../../src/config/resolve.js';
import type { ConfigInputs } from '../../src/config/inputs.js';
import { inCI } from '../helpers/binaries.js';
import { REPO } from '../helpers/daemon-process.js';
import { HANG_MS, createFigures, createPrng, type Prng } from './harness.js';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20261202);
const TREES = Number(process.env.RELIABILITY_CONFIG_TREES ?? 520);
/** `crio config` takes ~60 ms here; a FIFO blocks it for good. A timeout without a FIFO is retried with RETRY_TIMEOUT_MS (a loaded machine). */
const CRIO_TIMEOUT_MS = 3000;
const RETRY_TIMEOUT_MS = 60_000;
const CRIO_VERSION = '1.32.13';

function crioBinary(): string | null {
  const p = process.env.CRIO_SENTINEL_CRIO_BIN ?? path.resolve(REPO, '../shared/crio-lab/bin/crio');
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return p;
  } catch {
    const reason = `the real crio binary is not at ${p} (set CRIO_SENTINEL_CRIO_BIN, or put the crio lab beside the repository as ../shared/crio-lab)`;
    if (inCI) throw new Error(`CI=true and ${reason}`);
    console.warn(`skipping: ${reason}`);
    return null;
  }
}
const CRIO = crioBinary();

const NODES = path.join(REPO, 'examples/nodes');
/** the drop-ins of every example node: name -> [file name, bytes][] */
const BASES: [string, [string, Buffer][]][] = fs
  .readdirSync(NODES)
  .filter((n) => fs.existsSync(path.join(NODES, n, 'etc/crio/crio.conf.d')))
  .sort()
  .map((n) => {
    const d = path.join(NODES, n, 'etc/crio/crio.conf.d');
    return [n, fs.readdirSync(d).sort().map((f): [string, Buffer] => [f, fs.readFileSync(path.join(d, f))])];
  });

type Entry = { bytes: Buffer } | { symlink: string } | { fifo: true } | { socket: true } | { dir: true };
interface TreeSpec {
  id: number;
  base: string;
  classes: string[];
  /** path relative to the tree dir -> entry; '.' is the tree dir itself */
  entries: Map<string, Entry>;
  /** --config-dir: a symlink loop or a file instead of a directory, when the mutation says so */
  dirName: string;
}

const NV = '[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\nruntime_type = "oci"\n';
const dr = (x: string): string => `[crio.runtime]\ndefault_runtime = "${x}"\n`;
const PROTO = ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', 'prototype', '__defineGetter__'];

/** One mutation per class; each edits the tree spec (files live under crio.conf.d/). */
const MUTATIONS: Record<string, (t: TreeSpec, r: Prng, out: string) => void> = {
  bom: (t, r) => {
    const f = pickFile(t, r);
    if (!f) return;
    const boms = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff]), Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf])];
    const b = r.pick(boms);
    const bytes = (t.entries.get(f) as { bytes: Buffer }).bytes;
    if (r.chance(0.8)) t.entries.set(f, { bytes: Buffer.concat([b, bytes]) });
    else {
      const nl = bytes.indexOf(0x0a);
      t.entries.set(f, { bytes: Buffer.concat([bytes.subarray(0, nl + 1), Buffer.from([0xef, 0xbb, 0xbf]), bytes.subarray(nl + 1)]) });
    }
  },
  encoding: (t, r) => {
    const f = pickFile(t, r);
    if (!f) return;
    const bytes = (t.entries.get(f) as { bytes: Buffer }).bytes;
    const text = bytes.toString('latin1');
    const m = r.int(6);
    let out: Buffer;
    if (m === 0) out = Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'); // CRLF
    else if (m === 1) out = Buffer.concat([bytes, Buffer.from('# caf\xe9\n', 'latin1')]); // Latin-1 in a comment: invalid UTF-8
    else if (m === 2) out = Buffer.concat([bytes, Buffer.from('# café ✓ 𝄞\n', 'utf8')]); // valid UTF-8 in a comment
    else if (m === 3) out = Buffer.concat([bytes, Buffer.from([0x23, 0x20, 0x00, 0x0a])]); // NUL in a comment
    else if (m === 4) out = Buffer.from(bytes.toString('utf8').replace(/\n/g, '\r'), 'utf8'); // bare CR
    else out = Buffer.from(`${bytes.toString('utf8')}\n[crio.runtime.runtimes."nvídia-ü"]\nruntime_path = "/usr/bin/x"\n`, 'utf8'); // a non-ASCII handler name
    t.entries.set(f, { bytes: out });
  },
  special: (t, r) => {
    const name = `${r.pick(['05', '50', '95'])}-special.conf`;
    const k = r.int(4);
    if (k === 0) t.entries.set(`crio.conf.d/${name}`, { fifo: true });
    else if (k === 1) t.entries.set(`crio.conf.d/${name}`, { socket: true });
    else if (k === 2) t.entries.set(`crio.conf.d/${name}`, { symlink: '/dev/null' });
    else t.entries.set(`crio.conf.d/${name}`, { dir: true });
  },
  symlink: (t, r, out) => {
    const k = r.int(7);
    const name = `crio.conf.d/${r.pick(['07', '60', '98'])}-link.conf`;
    if (k === 0) {
      const target = path.join(out, `t${t.id}-${r.int(1e6)}.conf`);
      fs.writeFileSync(target, dr('runc') + '[crio.runtime.runtimes.runc]\n');
      t.entries.set(name, { symlink: target }); // a file outside the tree
    } else if (k === 1) t.entries.set(name, { symlink: '/nonexistent/x.conf' }); // dangling
    else if (k === 2) {
      t.entries.set(name, { symlink: path.basename(name) }); // a loop on itself
    } else if (k === 3) t.dirName = 'loop.d'; // crio.conf.d is a symlink loop
    else if (k === 4) t.dirName = 'linked.d'; // crio.conf.d is a symlink to a directory: read as a file
    else if (k === 5) t.entries.set(`crio.conf.d/sub-link`, { symlink: out }); // a symlinked directory: lstat says link, read fails
    else {
      const f = pickFile(t, r);
      if (f) t.entries.set(`crio.conf.d/99-again.conf`, { symlink: path.basename(f) }); // relative link to a sibling
    }
  },
  depth: (t, r) => {
    const levels = 1 + r.int(40);
    const dir = Array.from({ length: levels }, (_, i) => `d${i}`).join('/');
    t.entries.set(`crio.conf.d/${r.pick(['00', '55', 'zz'])}/${dir}/x.conf`, { bytes: Buffer.from(r.chance(0.5) ? dr('runc') + '[crio.runtime.runtimes.runc]\n' : '# deep\n') });
  },
  width: (t, r) => {
    const n = 20 + r.int(300);
    for (let i = 0; i < n; i++) t.entries.set(`crio.conf.d/50-w${String(i).padStart(4, '0')}.conf`, { bytes: Buffer.from(r.chance(0.01) ? dr('nvidia') + NV : '# nothing\n') });
  },
  size: (t, r) => {
    const k = r.int(10);
    const n = k === 0 ? 4 * 1024 * 1024 + 1 + r.int(1000) : 1000 + r.int(1_500_000);
    const body = r.chance(0.5) ? `# ${'x'.repeat(n)}\n` : `[crio]\nlog_dir = "${'a'.repeat(n)}"\n`;
    t.entries.set(`crio.conf.d/${r.pick(['01', '51', '97'])}-big.conf`, { bytes: Buffer.from(body) });
  },
  'odd-names': (t, r) => {
    const names = ['.hidden.conf', 'with space.conf', 'ünï.conf', 'x.conf~', '05-x.conf', '05.d', 'UPPER.CONF', '-dash', 'a'.repeat(200) + '.conf', 'tab\tname.conf', 'nl\nname.conf', '☃.conf'];
    const raw = r.chance(0.1);
    const nm = raw ? Buffer.from([0x61, 0xff, 0xfe, 0x2e, 0x63]) : Buffer.from(r.pick(names));
    const body = Buffer.from(r.chance(0.5) ? dr('runc') + '[crio.runtime.runtimes.runc]\n' : '# odd\n');
    if (nm.toString() === '05.d') t.entries.set(`crio.conf.d/05.d/inner.conf`, { bytes: body });
    else t.entries.set(`crio.conf.d/${nm.toString('latin1')}`, { bytes: body, raw: raw ? nm : undefined } as Entry);
  },
  'prototype-keys': (t, r) => {
    const p = r.pick(PROTO);
    const k = r.int(4);
    let text: string;
    if (k === 0) text = `[crio.runtime.runtimes.${p}]\nruntime_path = "/usr/bin/runc"\n` + (r.chance(0.5) ? dr(p) : '');
    else if (k === 1) text = `[crio.runtime]\n${p} = 1\n`;
    else if (k === 2) text = `[crio.runtime.runtimes.crun]\n${p} = "x"\n`;
    else text = `[${p}.constructor]\ncall = 1\n[crio.runtime.workloads.${p}]\n`;
    t.entries.set(`crio.conf.d/${r.pick(['20', '70'])}-proto.conf`, { bytes: Buffer.from(text) });
  },
  toml: (t, r) => {
    const texts = [
      'Default_Runtime = "runc"\n',
      '[CRIO.Runtime]\ndefault_runtime = "runc"\n',
      '[crio.runtime]\ndefault_runtime = 1\n',
      '[crio.runtime]\ndefault_runtime = "nope"\n',
      '[crio.runtime]\ndefault_runtime = "crun"\ndefault_runtime = "runc"\n',
      '[crio.runtime.runtimes]\nkata = { runtime_path = "/usr/bin/kata", runtime_type = "vm" }\n' + dr('kata'),
      'crio.runtime.default_runtime = "runc"\n',
      '[[crio.runtime.runtimes]]\nx = 1\n',
      `[crio]\nstorage_option = [${Array.from({ length: 2000 }, (_, i) => `"o${i % 700}"`).join(',')}]\n`,
      `x = ${'['.repeat(200)}${']'.repeat(200)}\n`,
      '[crio.runtime]\ndefault_runtime = ""\n',
      '[crio.runtime]\ndefault_runtime = "runc" # trailing\n[crio.runtime.runtimes.runc]\nruntime_root = ""\n',
      'big = 9223372036854775807\nbigger = 9223372036854775808\n',
      'd = 1979-05-27T07:32:00Z\n',
    ];
    t.entries.set(`crio.conf.d/${r.pick(['15', '65', '99'])}-toml.conf`, { bytes: Buffer.from(r.pick(texts)) });
  },
};
const CLASSES = Object.keys(MUTATIONS);

function pickFile(t: TreeSpec, r: Prng): string | null {
  const files = [...t.entries].filter(([, e]) => 'bytes' in e).map(([p]) => p);
  return files.length ? r.pick(files) : null;
}

function makeSpec(id: number, r: Prng, out: string): TreeSpec {
  const [base, files] = r.pick(BASES);
  const t: TreeSpec = { id, base, classes: [], entries: new Map(), dirName: 'crio.conf.d' };
  for (const [f, b] of files) t.entries.set(`crio.conf.d/${f}`, { bytes: b });
  const n = 1 + r.int(2);
  for (let i = 0; i < n; i++) {
    // every class equally often: the first mutation cycles through them
    const cls = i === 0 ? (CLASSES[id % CLASSES.length] as string) : r.pick(CLASSES);
    t.classes.push(cls);
    MUTATIONS[cls]?.(t, r, out);
  }
  return t;
}

function build(t: TreeSpec, dir: string): { main: string; confDir: string } {
  fs.mkdirSync(path.join(dir, 'crio.conf.d'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'crio.conf'), '');
  for (const [rel, e] of t.entries) {
    const raw = (e as { raw?: Buffer }).raw;
    const full = raw ? Buffer.concat([Buffer.from(path.join(dir, 'crio.conf.d') + '/'), raw]) : path.join(dir, rel);
    if (!raw) fs.mkdirSync(path.dirname(full as string), { recursive: true });
    if ('bytes' in e) fs.writeFileSync(full, e.bytes);
    else if ('symlink' in e) fs.symlinkSync(e.symlink, full);
    else if ('dir' in e) fs.mkdirSync(full, { recursive: true });
    else if ('fifo' in e) {
      // node has no mkfifo: the coreutils tool, argument array, no shell
      if (spawnSync('mkfifo', [full as string]).status !== 0) throw new Error('mkfifo failed');
    }
    // sockets are bound by run() while crio reads the tree
  }
  let confDir = path.join(dir, 'crio.conf.d');
  if (t.dirName === 'loop.d') {
    fs.renameSync(confDir, path.join(dir, 'real.d'));
    fs.symlinkSync(confDir, confDir);
  } else if (t.dirName === 'linked.d') {
    fs.renameSync(confDir, path.join(dir, 'real.d'));
    fs.symlinkSync(path.join(dir, 'real.d'), confDir);
  }
  confDir = path.join(dir, 'crio.conf.d');
  return { main: path.join(dir, 'crio.conf'), confDir };
}


interface CrioOutcome {
  kind: 'ok' | 'fail' | 'timeout';
  defaultRuntime: string | null;
  stderr: string;
}

function runCrio(main: string, confDir: string, timeoutMs = CRIO_TIMEOUT_MS): Promise<CrioOutcome> {
  return new Promise((resolve) => {
    const child = spawn(CRIO as string, ['--config', main, '--config-dir', confDir, 'config'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) return resolve({ kind: 'timeout', defaultRuntime: null, stderr: err });
      // a value equal to the built-in default is printed commented out
      const m = /^(?:# )?default_runtime = ("(?:[^"\\]|\\.)*")$/m.exec(out);
      resolve({ kind: code === 0 ? 'ok' : 'fail', defaultRuntime: m ? (JSON.parse(m[1] as string) as string) : null, stderr: err });
    });
  });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-config-trees-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('reliability: hostile config trees vs the real crio config', () => {
  it.skipIf(CRIO === null)(`${TREES} seeded trees (seed ${SEED}): no crash, no hang, no divergence from CRI-O ${CRIO_VERSION}`, async () => {
    const rng = createPrng(SEED);
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside);
    const total = createFigures('config trees');
    const perClass = new Map(CLASSES.map((c) => [c, createFigures(`config trees/${c}`)]));
    const counts = { agree: 0, bothBlock: 0, notEvaluated: 0 };
    const details: string[] = [];
    for (let i = 0; i < TREES; i++) {
      const spec = makeSpec(i, rng, outside);
      const dir = path.join(work, `t${i}`);
      const { main, confDir } = build(spec, dir);
      const servers: net.Server[] = [];
      for (const [rel, e] of spec.entries) {
        if (!('socket' in e)) continue;
        const srv = net.createServer();
        await new Promise<void>((res) => srv.listen(path.join(dir, rel), res));
        servers.push(srv);
      }
      const crioP = runCrio(main, confDir);
      const figs = [total, ...spec.classes.map((c) => perClass.get(c)!)];
      for (const f of new Set(figs)) f.tried();
      const what = `tree ${i} (${spec.base}; ${spec.classes.join('+')})`;
      let ours: ReturnType<typeof resolveDetailed> | null = null;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        ours = resolveDetailed({ crioVersion: CRIO_VERSION, config: main, configDir: confDir } as ConfigInputs, createHostFileView('/'));
      } catch (e) {
        for (const f of new Set(figs)) f.crash(`${what}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      // a hang is > HANG_MS of this process's CPU (other work on a shared machine stretches wall time), or 10x that in wall time
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const ms = performance.now() - t0;
      if (cpuMs > HANG_MS || ms > 10 * HANG_MS) for (const f of new Set(figs)) f.hang(`${what}: ${cpuMs.toFixed(0)} ms CPU, ${ms.toFixed(0)} ms wall`);
      let crio = await crioP;
      const hasFifo = [...spec.entries.values()].some((e) => 'fifo' in e);
      if (crio.kind === 'timeout' && !hasFifo) crio = await runCrio(main, confDir, RETRY_TIMEOUT_MS);
      for (const s of servers) await new Promise<void>((res) => s.close(() => res()));
      if (!ours) continue;
      // config-level validation only: `crio config` checks no runtime binary
      const oursLoads = ours.fatal === null && !(ours.startError ?? '').startsWith('validating runtime config');
      const oursDefault = ours.defaultRuntime?.name ?? null;
      let verdict: 'agree' | 'bothBlock' | 'notEvaluated' | 'wrong';
      if (ours.fatal?.kind === 'limit') verdict = 'notEvaluated';
      else if (crio.kind === 'timeout') verdict = ours.fatal?.kind === 'not-regular' && /block/.test(ours.fatal.message) ? 'bothBlock' : 'wrong';
      else if (crio.kind === 'fail') verdict = oursLoads ? 'wrong' : 'agree';
      else verdict = oursLoads && oursDefault === crio.defaultRuntime ? 'agree' : 'wrong';
      if (verdict === 'wrong') {
        const crioSays = crio.kind === 'ok' ? `loads, default ${crio.defaultRuntime}` : crio.kind === 'timeout' ? 'blocks' : `fails: ${crio.stderr.trim().split('\n').pop()?.slice(0, 300)}`;
        const oursSays = oursLoads ? `loads, default ${oursDefault}` : `fails: ${ours.startError?.slice(0, 300)}`;
        for (const f of new Set(figs)) f.wrongAnswer(`${what}: crio ${crioSays}; crio-sentinel ${oursSays}`);
      } else counts[verdict]++;
      if (verdict !== 'wrong') fs.rmSync(dir, { recursive: true, force: true });
      else details.push(dir);
    }
    for (const f of perClass.values()) f.report();
    const line = total.report();
    process.stdout.write(`reliability: config trees: ${counts.agree} agree with crio config, ${counts.bothBlock} both block (FIFO), ${counts.notEvaluated} not evaluated (a crio-sentinel bound)\n`);
    expect(total.inputs).toBeGreaterThanOrEqual(Math.min(TREES, 500));
    expect(total.failures, line).toEqual([]);
  }, 1_800_000);
});
