/**
 * A small structured logger: one logfmt or JSON line per record, to an injected writer (stderr in
 * the daemon), with a level filter and an injected clock. No global state.
 */
import type { Clock } from '../core/clock.js';
import type { LogFormat, LogLevel } from './flags.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** a logger that adds these fields to every record */
  with(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function logfmtValue(v: unknown): string {
  let s: string;
  if (v instanceof Error) s = v.message;
  else if (typeof v === 'string') s = v;
  else if (v === undefined) s = '';
  else if (typeof v === 'object' && v !== null) s = JSON.stringify(v);
  else s = String(v);
  return s === '' || /[\s"=\\]|[^\x20-\x7e]/.test(s) ? JSON.stringify(s) : s;
}

function plain(v: unknown): unknown {
  return v instanceof Error ? v.message : v;
}

export function formatRecord(format: LogFormat, ts: string, level: LogLevel, msg: string, fields: LogFields): string {
  if (format === 'json') {
    const rec: Record<string, unknown> = { ts, level, msg };
    for (const [k, v] of Object.entries(fields)) if (!(k in rec)) rec[k] = plain(v);
    return JSON.stringify(rec);
  }
  const parts = [`ts=${ts}`, `level=${level}`, `msg=${logfmtValue(msg)}`];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    parts.push(`${k.replace(/[^A-Za-z0-9_.-]/g, '_')}=${logfmtValue(v)}`);
  }
  return parts.join(' ');
}

export function createLogger(opts: {
  level: LogLevel;
  format: LogFormat;
  clock: Clock;
  write: (line: string) => void;
  fields?: LogFields;
}): Logger {
  const min = RANK[opts.level];
  const base = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    try {
      opts.write(formatRecord(opts.format, new Date(opts.clock()).toISOString(), level, msg, { ...base, ...fields }) + '\n');
    } catch {
      // a broken log pipe must not take the daemon down
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return silentLogger;
  },
};
