/**
 * `config-hostile` (issue #11 item 4): the hostile config inputs of the issue, evaluated by the
 * built CLI (`check --root / --config F --config-dir D --output json`, the whole process: Node
 * start-up, engine, findings, JSON) against the real CRI-O loading the same files
 * (`crio --config F --config-dir D config`), median wall time of --reps runs each. The crio binary:
 * CRIO_SENTINEL_CRIO_BIN, else ../shared/crio-lab/bin/crio beside the repository; without it the
 * figures are crio-sentinel's alone (baseline null). value = the slowest case's median; limit 10 s.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './daemon.js';
import { hostileConfigs } from './config-hostile-inputs.js';
import { median, round, runChild, shippedNodeFlags } from './measure.js';

export interface ConfigHostileOptions {
  cli: string;
  work: string;
  quick: boolean;
  reps: number;
  repo: string;
  log: (m: string) => void;
}

interface Case {
  name: string;
  /** main file text; drop-ins: name -> text */
  main: string;
  dropIns: [string, string][];
}

function cases(quick: boolean): Case[] {
  const scale = quick ? 0.125 : 1;
  const out: Case[] = hostileConfigs().map((c) => ({ name: c.name, main: c.make(Math.round(c.issueSize * scale)), dropIns: [] }));
  const files = quick ? 4 : 16; // 16 x 3.9 MB fits the 64 MiB bound; the issue's 17th file makes it "not evaluated"
  out.push({
    name: `${files}-files-3.9MB-strings`,
    main: '',
    dropIns: Array.from({ length: files }, (_, i) => [`${String(i).padStart(2, '0')}-big.conf`, `[crio]\nlog_dir = "${'a'.repeat(3_900_000)}"\n`]),
  });
  const width = quick ? 1_000 : 10_000;
  out.push({
    name: `${width}-comment-dropins`,
    main: '',
    dropIns: [
      ['10-crio.conf', '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\n'],
      ...Array.from({ length: width }, (_, i): [string, string] => [`50-c${String(i).padStart(5, '0')}.conf`, '# nothing\n']),
      ['99-nvidia.conf', '[crio.runtime]\ndefault_runtime = "nvidia"\n[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\n'],
    ],
  });
  return out;
}

function crioBinary(repo: string): string | null {
  const p = process.env.CRIO_SENTINEL_CRIO_BIN ?? path.resolve(repo, '../shared/crio-lab/bin/crio');
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return p;
  } catch {
    return null;
  }
}

export async function runConfigHostile(o: ConfigHostileOptions): Promise<BenchResult> {
  const crio = crioBinary(o.repo);
  const node = shippedNodeFlags(o.cli);
  const rows: Record<string, unknown>[] = [];
  let worst = 0;
  let worstCrio: number | null = null;
  for (const c of cases(o.quick)) {
    const dir = path.join(o.work, `config-hostile-${c.name}`);
    const dropDir = path.join(dir, 'crio.conf.d');
    fs.mkdirSync(dropDir, { recursive: true });
    const main = path.join(dir, 'crio.conf');
    fs.writeFileSync(main, c.main);
    for (const [n, t] of c.dropIns) fs.writeFileSync(path.join(dropDir, n), t);
    const bytes = c.main.length + c.dropIns.reduce((s, [, t]) => s + t.length, 0);
    o.log(`config-hostile: ${c.name} (${(bytes / 1e6).toFixed(1)} MB) ...`);
    const ours: number[] = [];
    const theirs: number[] = [];
    let answer = '';
    let crioAnswer = '';
    for (let i = 0; i < o.reps; i++) {
      const r = await runChild(process.execPath, [...node, o.cli, 'check', '--root', '/', '--config', main, '--config-dir', dropDir, '--crio-version', '1.32.13', '--output', 'json'], { keepStdout: 1 << 26, timeoutMs: 300_000 });
      ours.push(r.wallSeconds);
      const m = /"defaultRuntime": \{\s*"name": "([^"]*)"/.exec(r.stdout);
      answer = r.code === 3 ? 'not evaluated' : m ? `default ${m[1]}` : `exit ${r.code}`;
      if (crio) {
        const k = await runChild(crio, ['--config', main, '--config-dir', dropDir, 'config'], { keepStdout: 1 << 22, timeoutMs: 300_000 });
        theirs.push(k.wallSeconds);
        const d = /^(?:# )?default_runtime = "([^"]*)"$/m.exec(k.stdout);
        crioAnswer = k.code === 0 ? `default ${d?.[1] ?? '?'}` : `exit ${k.code}`;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const med = round(median(ours), 3);
    const medCrio = theirs.length ? round(median(theirs), 3) : null;
    if (med > worst) {
      worst = med;
      worstCrio = medCrio;
    }
    rows.push({ case: c.name, megabytes: round(bytes / 1e6, 2), crioSentinelSeconds: med, crioSeconds: medCrio, ratio: medCrio ? round(med / medCrio, 1) : null, crioSentinel: answer, crio: crio ? crioAnswer : 'crio binary not found' });
  }
  return {
    metric: 'slowest hostile config case: crio-sentinel check (whole process) vs crio config',
    unit: 's',
    value: worst,
    baseline: worstCrio,
    ratio: worstCrio ? round(worst / worstCrio, 1) : null,
    limit: 10,
    pass: worst <= 10,
    runs: rows.map((r) => r.crioSentinelSeconds as number),
    details: { cases: rows, reps: o.reps, crio: crio ?? null },
  };
}
