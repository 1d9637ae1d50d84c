import { UserError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse a Prometheus-style duration: "90s", "2m", "1m30s", "500ms", "1h". Returns milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
    pos = re.lastIndex;
  }
  if (t === '' || pos !== t.length) {
    throw new UserError(`--${flag}: invalid duration "${text}" (use e.g. 90s, 2m, 1m30s, 500ms)`);
  }
  return Math.round(total);
}

export function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UserError(`--${flag}: expected a positive integer, got "${text}"`);
  return Number(text);
}
