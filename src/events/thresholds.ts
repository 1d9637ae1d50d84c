/**
 * THE event thresholds: one type, one set of defaults, one set of flags — `scan` and `run` take the
 * same flag names in the same units (durations), so a post-mortem and the daemon judge alike.
 */
import { parseDuration, positiveInt } from '../core/duration.js';

export interface Thresholds {
  /** stuck when no exit after grace + this (default 2 min) */
  stuckAfterMs: number;
  /** exec loop: this many permission-denied exec failures … (default 3) */
  execLoopCount: number;
  /** … within this window (default 60 s) */
  execLoopWindowMs: number;
  /** a loop clears after this long without failures (default 5 min) */
  execLoopQuietMs: number;
  /** kill failures still coming this long after the grace period mean stuck (default 60 s) */
  killLoopAfterGraceMs: number;
  /** window in which kill failures, AppArmor denials, missing handlers stay active findings (default 15 min) */
  recentMs: number;
  /** grace period assumed when no line gave one (default 30 s) */
  defaultGraceS: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  stuckAfterMs: 120_000,
  execLoopCount: 3,
  execLoopWindowMs: 60_000,
  execLoopQuietMs: 300_000,
  killLoopAfterGraceMs: 60_000,
  recentMs: 900_000,
  defaultGraceS: 30,
};

/** The thresholds a user sets on the command line. */
export type ThresholdFlags = Pick<Thresholds, 'stuckAfterMs' | 'execLoopCount' | 'execLoopWindowMs' | 'execLoopQuietMs'>;

/** node:util parseArgs options, shared by `scan` and `run`. */
export const THRESHOLD_OPTIONS = {
  'stuck-threshold': { type: 'string' },
  'exec-loop-count': { type: 'string' },
  'exec-loop-window': { type: 'string' },
  'exec-loop-quiet': { type: 'string' },
} as const;

/** Help lines for the options above (the stuck default is the caller's: the demo uses a shorter one). */
export function thresholdHelp(stuckDefault: string): string {
  return [
    `  --stuck-threshold=DUR       a pod is stuck Terminating after its grace period + this (default ${stuckDefault})`,
    '  --exec-loop-count=N         permission-denied exec failures that make a loop (default 3)',
    '  --exec-loop-window=DUR      ... within this window (default 60s)',
    '  --exec-loop-quiet=DUR       a loop ends after this long without failures (default 5m)',
  ].join('\n');
}

/** Parse the threshold flags (durations as 90s, 2m, 1m30s); bad values throw UserError naming the flag. */
export function parseThresholdFlags(
  values: { 'stuck-threshold'?: string | undefined; 'exec-loop-count'?: string | undefined; 'exec-loop-window'?: string | undefined; 'exec-loop-quiet'?: string | undefined },
  stuckDefault = '2m',
): ThresholdFlags {
  return {
    stuckAfterMs: parseDuration(values['stuck-threshold'] ?? stuckDefault, 'stuck-threshold'),
    execLoopCount: positiveInt(values['exec-loop-count'] ?? String(DEFAULT_THRESHOLDS.execLoopCount), 'exec-loop-count'),
    execLoopWindowMs: parseDuration(values['exec-loop-window'] ?? '60s', 'exec-loop-window'),
    execLoopQuietMs: parseDuration(values['exec-loop-quiet'] ?? '5m', 'exec-loop-quiet'),
  };
}
