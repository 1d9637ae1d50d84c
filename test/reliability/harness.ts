/**
 * The reliability campaign's shared harness (issue #11), deliberately tiny:
 * - `createPrng(seed)`: the seeded PRNG of the benchmarks (bench/prng.ts: mulberry32), so that a
 *   campaign is repeatable from its seed;
 * - `createFigures(cls)`: counts, per class of input, the inputs tried, crashes (an exception or a
 *   crashed process), hangs (longer than HANG_MS) and wrong answers, keeps the first few failure
 *   details for the assertion message, and prints the one line the README's Reliability table quotes:
 *     reliability: <class>: N inputs, N crashes, N hangs, N wrong
 */
export { createPrng, type Prng } from '../../bench/prng.js';

/** An input that takes longer than this is a hang. */
export const HANG_MS = 2000;

export interface Figures {
  readonly cls: string;
  readonly inputs: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly wrong: number;
  /** the first failures (at most 10), "crash|hang|wrong: detail" */
  readonly failures: readonly string[];
  /** count inputs tried (default 1) */
  tried(n?: number): void;
  crash(detail: string): void;
  hang(detail: string): void;
  wrongAnswer(detail: string): void;
  /** `reliability: <class>: N inputs, N crashes, N hangs, N wrong` */
  line(): string;
  /** print line() on stdout and return it */
  report(): string;
}

export function createFigures(cls: string): Figures {
  let inputs = 0;
  let crashes = 0;
  let hangs = 0;
  let wrong = 0;
  const failures: string[] = [];
  const note = (kind: string, detail: string): void => {
    if (failures.length < 10) failures.push(`${kind}: ${detail.slice(0, 500)}`);
  };
  const f: Figures = {
    cls,
    get inputs() {
      return inputs;
    },
    get crashes() {
      return crashes;
    },
    get hangs() {
      return hangs;
    },
    get wrong() {
      return wrong;
    },
    failures,
    tried: (n = 1) => void (inputs += n),
    crash: (d) => {
      crashes++;
      note('crash', d);
    },
    hang: (d) => {
      hangs++;
      note('hang', d);
    },
    wrongAnswer: (d) => {
      wrong++;
      note('wrong', d);
    },
    line: () => `reliability: ${cls}: ${inputs} inputs, ${crashes} crashes, ${hangs} hangs, ${wrong} wrong`,
    report: () => {
      const l = f.line();
      process.stdout.write(l + '\n');
      return l;
    },
  };
  return f;
}
