#!/usr/bin/env -S node --max-semi-space-size=2 --single-threaded-gc --optimize-for-size
/**
 * crio-sentinel command line: `check`, `fix`, `scan` and `run` are faces of one pipeline.
 * Each command module exports `main(argv): Promise<number>` and returns its exit status.
 *
 * Node flags (the shebang; the Dockerfile's ENTRYPOINT repeats them, a test keeps them equal), for
 * a daemon that must stay small on a busy node (bench memory-10m, docs/performance.md):
 * --max-semi-space-size=2   young generation of 2 MiB semi-spaces instead of 16 MiB;
 * --single-threaded-gc      no GC helper threads: with them, RSS at 5 M and 10 M entries ranged over
 *                           89-132 MiB in three runs, without them over 78-87 MiB in four, for the
 *                           same live heap; CPU on the follow path was the same.
 * --optimize-for-size       V8's memory-saving mode (among others, full GCs that compact to give
 *                           pages back): the daemon's peak anonymous RSS while it catches up 1 M
 *                           journal entries 55-59 MiB instead of 70-78 MiB, for about 1 s more
 *                           CPU (7.3 -> 8.3 s of node; bench vs-npd, docs/performance.md).
 */
import { UserError } from './core/errors.js';
import { VERSION } from './core/version.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  check: { summary: 'one-shot diagnosis of the CRI-O configuration on disk', load: () => import('./commands/check.js') },
  fix: { summary: 'print (or --apply) the minimal change that removes fixable critical findings', load: () => import('./commands/fix.js') },
  scan: { summary: 'offline incident analysis of a journal export', load: () => import('./commands/scan.js') },
  run: { summary: 'the daemon: metrics, status API and page', load: () => import('./commands/run.js') },
  pods: { summary: 'what happens to each running pod if CRI-O restarts now (CRI + runtime roots)', load: () => import('./commands/pods.js') },
};

function usage(): string {
  const lines = ['usage: crio-sentinel <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(6)} ${c.summary}`);
  lines.push('', "Run 'crio-sentinel <command> --help' for the options of a command.");
  return lines.join('\n');
}

export async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 3 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`crio-sentinel ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`crio-sentinel: unknown command "${name}"\n${usage()}\n`);
    return 3;
  }
  try {
    const mod = await cmd.load();
    return await mod.main(rest);
  } catch (err) {
    if (err instanceof UserError || (err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`crio-sentinel ${name}: ${err.message}\n`);
      return 3;
    }
    process.stderr.write(`crio-sentinel ${name}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 3;
  }
}

/**
 * A reader that goes away (`crio-sentinel scan … | head -1`) makes writes to stdout fail with
 * EPIPE, reported as an 'error' event that would crash the process with a stack trace. Every
 * command instead ends quietly with the status it would have had; later writes are dropped (the
 * daemon keeps running). Any other failure to write stdout (ENOSPC, EIO) loses output: it is
 * said once on stderr and the exit status is 3. A failing stderr is ignored: nothing can be said.
 */
let outputError: string | null = null;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || outputError !== null) return;
  outputError = err.code ?? err.message;
  process.stderr.write(`crio-sentinel: cannot write to standard output: ${outputError}\n`);
  process.exitCode = 3; // the error can arrive after the command's status was set
});
process.stderr.on('error', () => {});

cli(process.argv.slice(2)).then(
  (code) => {
    if (outputError !== null) code = 3;
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`crio-sentinel: ${String(err)}\n`);
    process.exitCode = 3;
  },
);
