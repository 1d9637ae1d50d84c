/**
 * `crio-sentinel check`: one-shot diagnosis of the CRI-O configuration on disk.
 * Exit status (monitoring-plugin style): 0 nothing above info, 1 warning, 2 critical, 3 UNKNOWN:
 * usage error, could not run, or no CRI-O under --root (see noCrioReason).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors.js';
import type { ConfigInputs } from '../config/inputs.js';
import type { FileView } from '../core/file-view.js';
import { exitStatusFor } from '../findings/catalogue.js';
import { createHostFileView } from '../config/host-file-view.js';
import { detectHostCrioVersion, readVersionHint } from '../config/host-version.js';
import { renderReportText } from '../config/render-text.js';
import { CRIO_PATH, resolveConfig, resolveInputPaths } from '../config/resolve.js';
import { parseCrioVersion } from '../config/version.js';

export const CHECK_USAGE = `usage: crio-sentinel check [options]

Resolve the configuration CRI-O would load (main file, drop-ins, flags, environment), its
default runtime with the file and line that set it, and report static findings.

options:
  --root DIR              host file system root (default /; a DaemonSet mounts the host at /host)
  --config FILE           CRI-O's --config (default /etc/crio/crio.conf; "" skips the main file)
  --config-dir DIR        CRI-O's --config-dir (default /etc/crio/crio.conf.d; "" skips drop-ins)
  --default-runtime NAME  CRI-O's --default-runtime flag
  --runtimes SPEC         CRI-O's --runtimes flag (repeatable; name:path:root[:type[:privileged[:config_path[:min_memory]]]])
  --env KEY=VALUE         CRI-O's environment (repeatable): CONTAINER_CONFIG, CONTAINER_CONFIG_DIR,
                          CONTAINER_DEFAULT_RUNTIME, CONTAINER_RUNTIMES. crio-sentinel's own environment is never used.
  --crio-version V        CRI-O version (e.g. 1.31.0). Default: \`crio --version\` when --root is /,
                          else the first line of <root>/.crio-sentinel-version; else unknown (newest rules)
  --output text|json      output format (default text); json is the ConfigReport contract
  -h, --help              this help

exit status: 0 ok/info, 1 warning, 2 critical, 3 UNKNOWN: usage error, could not run, or no
CRI-O under --root (no main config file, no drop-in directory, no /etc/crio and no crio binary on
CRI-O's PATH; the reason is on stderr, stdout stays empty)`;

/** CRI-O's configuration directory: its packages create it even when they ship no crio.conf */
const CRIO_CONFIG_HOME = '/etc/crio';

export interface CheckOptions {
  root: string;
  inputs: ConfigInputs;
  output: 'text' | 'json';
}

/** Parse check/fix's shared config options; throws UserError or node's ERR_PARSE_ARGS_*. */
export async function parseConfigOptions(argv: string[], extra: NonNullable<ParseArgsConfig['options']> = {}) {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      root: { type: 'string', default: '/' },
      config: { type: 'string' },
      'config-dir': { type: 'string' },
      'default-runtime': { type: 'string' },
      runtimes: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      'crio-version': { type: 'string' },
      output: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
      ...extra,
    },
  });
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const root = path.resolve(String(v.root ?? '/'));
  const output = String(v.output ?? 'text');
  if (output !== 'text' && output !== 'json') throw new UserError(`--output must be text or json, not "${output}"`);
  const env: Record<string, string> = {};
  for (const kv of (v.env as string[] | undefined) ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--env wants KEY=VALUE, got "${kv}"`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  let crioVersion = (v['crio-version'] as string | undefined) ?? null;
  if (crioVersion !== null && !parseCrioVersion(crioVersion)) throw new UserError(`--crio-version "${crioVersion}" is not a version like 1.31.0`);
  if (!v.help) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(root);
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) throw new UserError(`--root ${root}: not a directory`);
    crioVersion ??= root === '/' ? await detectHostCrioVersion(root) : readVersionHint(root);
  }
  const inputs: ConfigInputs = { crioVersion, env };
  if (v.config !== undefined) inputs.config = v.config as string;
  if (v['config-dir'] !== undefined) inputs.configDir = v['config-dir'] as string;
  if (v['default-runtime'] !== undefined) inputs.defaultRuntime = v['default-runtime'] as string;
  if (v.runtimes !== undefined) inputs.runtimes = v.runtimes as string[];
  return { root, inputs, output: output as 'text' | 'json', help: v.help === true, values: v };
}

/**
 * Why there is no CRI-O to check under the root, or null when there is one. A host without CRI-O
 * has none of: the main config file and the drop-in directory where the inputs say they are
 * (a skipped one is simply not looked at), /etc/crio (every CRI-O package creates it), and a `crio`
 * executable in CRI-O's PATH. Any one of them present is a CRI-O node, however broken its
 * configuration: its findings stand (exit 1 or 2).
 */
export function noCrioReason(inputs: ConfigInputs, view: FileView): string | null {
  const { mainPath, configDir } = resolveInputPaths(inputs);
  const looked = [mainPath, configDir, CRIO_CONFIG_HOME, ...CRIO_PATH.map((d) => `${d}/crio`)].filter((p) => p !== '');
  const exists = (p: string): boolean => {
    try {
      return view.lstat(p) !== null;
    } catch {
      return true; // there but unreadable (EACCES, ELOOP): something is there
    }
  };
  if (looked.some(exists)) return null;
  const parts = [mainPath, configDir, CRIO_CONFIG_HOME].filter((p, i, a) => p !== '' && a.indexOf(p) === i).map((p) => `no ${p}`);
  return `UNKNOWN: CRI-O is not installed here: ${parts.join(', ')}, no crio in ${CRIO_PATH.join(':')} (wrong --root, or the host path is not mounted?)`;
}

export async function main(argv: string[]): Promise<number> {
  const opts = await parseConfigOptions(argv);
  if (opts.help) {
    process.stdout.write(CHECK_USAGE + '\n');
    return 0;
  }
  const view = createHostFileView(opts.root);
  const absent = noCrioReason(opts.inputs, view);
  if (absent !== null) throw new UserError(absent);
  const report = resolveConfig(opts.inputs, view);
  process.stdout.write(opts.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderReportText(report, { root: opts.root }));
  // a crio-sentinel bound stopped the evaluation: UNKNOWN (3), never a confident answer
  if (report.findings.some((f) => f.id === 'config-not-evaluated')) return 3;
  return exitStatusFor(report.findings);
}
