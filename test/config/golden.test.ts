/**
 * Golden tests against `crio config` of real CRI-O 1.24.6 and 1.31.0
 * (/work/shared/reference/captures/crio-config): same trees, same effective default, runtime set
 * and fatal error file/line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeCrioToml } from '../../src/config/summarize.js';
import { NVIDIA_CTK_DEFAULT, P10, check, cleanupTrees, makeTree } from './fixtures.js';

import { fileURLToPath } from 'node:url';

/** copy of /work/shared/reference/captures/crio-config, kept with the tests so a fresh clone has it */
const CAPTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'captures');
const D = '/etc/crio/crio.conf.d';
const BROKEN = '[crio.runtime]\ndefault_runtime = nvidia\n';

const scenarios: Record<string, Record<string, string>> = {
  's1-packaged': { [`${D}/10-crio.conf`]: P10 },
  's2-plus-nvidia-ctk-default': { [`${D}/10-crio.conf`]: P10, [`${D}/99-nvidia.toml`]: NVIDIA_CTK_DEFAULT },
  's3-plus-broken-dropin': { [`${D}/10-crio.conf`]: P10, [`${D}/50-gpu.conf`]: BROKEN },
};

afterEach(() => cleanupTrees());

describe('golden: crio config of real CRI-O', () => {
  for (const version of ['1.24.6', '1.31.0']) {
    for (const [name, files] of Object.entries(scenarios)) {
      const base = path.join(CAPTURES, `v${version}-${name}`);
      it(`v${version} ${name}: same default, runtime set and error as the real binary`, () => {
        const rc = Number(fs.readFileSync(`${base}.rc`, 'utf8').trim());
        const stdout = fs.readFileSync(`${base}.stdout`, 'utf8');
        const stderr = fs.readFileSync(`${base}.stderr`, 'utf8');
        const r = check(makeTree(files), { crioVersion: version, config: '', configDir: D });
        if (rc === 0) {
          const real = summarizeCrioToml(stdout);
          // a value equal to the built-in default is printed commented out
          const builtin = version.startsWith('1.24') ? 'runc' : 'crun';
          expect(r.effective?.defaultRuntime.name).toBe(real.defaultRuntime ?? builtin);
          expect(Object.keys(r.effective?.runtimes ?? {}).sort()).toEqual(Object.keys(real.runtimes).sort());
          for (const [h, v] of Object.entries(real.runtimes)) {
            const mine = r.effective?.runtimes[h];
            expect(mine?.runtimePath).toBe(v.runtimePath);
            expect(mine?.runtimeType).toBe(v.runtimeType);
            expect(mine?.runtimeRoot).toBe(v.runtimeRoot || (builtin === 'crun' ? '/run/crun' : '/run/runc'));
          }
          // v1.31 logs the files it applies, in order
          const logged = [...stderr.matchAll(/Updating config from drop-in file: (\S+?)"/g)].map((m) => m[1]);
          if (logged.length) expect(r.files.filter((f) => f.status === 'applied').map((f) => f.path)).toEqual(logged);
        } else {
          const fatal = /level=fatal msg="(.*)"$/m.exec(stderr)?.[1]?.replace(/\\"/g, '"') ?? '';
          expect(r.crioWouldStart).toBe(false);
          expect(r.effective).toBeNull();
          // same wrapping prefix (1.31+) and same file; ours names line 2 too
          const prefix = fatal.slice(0, fatal.indexOf('toml:'));
          expect(r.startError?.startsWith(prefix)).toBe(true);
          expect(prefix).toContain('/etc/crio/crio.conf.d/50-gpu.conf');
          expect(fatal).toContain('line 2');
          expect(r.startError).toContain('toml: line 2, column');
          const f = r.findings.find((x) => x.id === 'config-parse-error');
          expect(f?.evidence[0]).toMatch(/^file \/etc\/crio\/crio\.conf\.d\/50-gpu\.conf line 2 column \d+: /);
        }
      });
    }
  }
});
