/**
 * Hostile config inputs of issue #11 item 4, shared by the bench (bench/config-hostile.ts) and the
 * linearity tests (test/config/linear.test.ts). Each makes one CRI-O main file of size ~n.
 */
import type { ConfigReport } from '../src/core/contracts.js';

export interface HostileConfig {
  name: string;
  /** the text of a main file whose hostile part has size n */
  make(n: number): string;
  /** what CRI-O makes of it; throws when the report disagrees */
  check(r: ConfigReport, n: number): void;
  /** n for the unit test's 8x growth check */
  testSize: number;
  /** n of the issue's report */
  issueSize: number;
}

const expectDefault = (name: string) => (r: ConfigReport): void => {
  if (r.effective?.defaultRuntime.name !== name) throw new Error(`default ${r.effective?.defaultRuntime.name ?? 'none'} (${r.startError ?? ''}), want ${name}`);
};

const DEFAULT_CRUN = '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_root = "/run/crun"\n';

export function hostileConfigs(): HostileConfig[] {
  return [
    {
      name: 'header-parts',
      make: (n) => `[${Array.from({ length: n }, () => 'a').join('.')}]\nx = 1\n${DEFAULT_CRUN}`,
      check: expectDefault('crun'),
      testSize: 2_500,
      issueSize: 40_000,
    },
    {
      name: 'storage-option',
      make: (n) => `[crio]\nstorage_option = [${Array.from({ length: n }, (_, i) => `"o${i % (n >> 1 || 1)}"`).join(', ')}]\n${DEFAULT_CRUN}`,
      check: expectDefault('crun'),
      testSize: 5_000,
      issueSize: 40_000,
    },
    {
      name: 'runtime-tables',
      // the default names no table: the finding lists every table with the line that defines it
      make: (n) => `[crio.runtime]\ndefault_runtime = "missing"\n${Array.from({ length: n }, (_, i) => `[crio.runtime.runtimes.r${i}]\nruntime_path = "/usr/bin/runc"\n`).join('')}`,
      check: (r, n) => {
        const f = r.findings.find((x) => x.id === 'default-runtime-undefined');
        if (!f || !f.evidence.join('\n').includes(`r${n - 1} (file /etc/crio/crio.conf line ${2 * n + 1}`)) throw new Error('default-runtime-undefined without every table and its line');
      },
      testSize: 1_000,
      issueSize: 50_000,
    },
    {
      name: 'case-folded-tables',
      // every table header spelled in another case: each line is found by the case-folded lookup
      make: (n) => `[Crio.Runtime]\nDefault_Runtime = "r${n - 1}"\n${Array.from({ length: n }, (_, i) => `[CRIO.runtime.RUNTIMES.r${i}]\nruntime_root = "/run/r"\n`).join('')}`,
      check: (r, n) => expectDefault(`r${n - 1}`)(r),
      testSize: 1_000,
      issueSize: 50_000,
    },
    {
      name: 'big-string',
      make: (n) => `[crio]\nlog_dir = "${'a'.repeat(n)}"\n${DEFAULT_CRUN}`,
      check: expectDefault('crun'),
      testSize: 256 * 1024,
      issueSize: 3_900_000,
    },
  ];
}
