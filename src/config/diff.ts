/**
 * A small, correct unified-diff generator (GNU diff -u format) for the `fix` command.
 * Line-based LCS after trimming the common prefix and suffix; when the differing middle is too large
 * for the quadratic table it is emitted as one replaced block (still a correct diff).
 */

const MAX_CELLS = 4_000_000;

interface Split {
  lines: string[];
  /** the text does not end with a newline */
  noEol: boolean;
}

function split(text: string): Split {
  if (text === '') return { lines: [], noEol: false };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
    return { lines, noEol: false };
  }
  return { lines, noEol: true };
}

type Op = { t: ' ' | '-' | '+'; line: string; a: number; b: number };

function diffOps(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ops: Op[] = [];
  for (let i = 0; i < pre; i++) ops.push({ t: ' ', line: a[i] as string, a: i, b: i });
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((l, i) => ops.push({ t: '-', line: l, a: pre + i, b: pre }));
    bm.forEach((l, j) => ops.push({ t: '+', line: l, a: pre + n, b: pre + j }));
  } else {
    // lcs[i][j] = LCS length of am[i..] and bm[j..]
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? (lcs[(i + 1) * w + j + 1] as number) + 1 : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ t: ' ', line: am[i] as string, a: pre + i, b: pre + j });
        i++;
        j++;
      } else if (i < n && (j === m || (lcs[(i + 1) * w + j] as number) >= (lcs[i * w + j + 1] as number))) {
        // deletions first, as GNU diff prints a replaced block
        ops.push({ t: '-', line: am[i] as string, a: pre + i, b: pre + j });
        i++;
      } else {
        ops.push({ t: '+', line: bm[j] as string, a: pre + i, b: pre + j });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) ops.push({ t: ' ', line: a[a.length - suf + k] as string, a: a.length - suf + k, b: b.length - suf + k });
  return ops;
}

function range(start0: number, count: number): string {
  const start = count === 0 ? start0 : start0 + 1;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * Unified diff of two texts; '' when equal. `before` null means a new file (--- /dev/null).
 * Labels are the paths after "a/" and "b/" (host path without the leading slash).
 */
export function unifiedDiff(hostPath: string, before: string | null, after: string, context = 3): string {
  if (before === after) return '';
  const A = split(before ?? '');
  const B = split(after);
  const label = hostPath.replace(/^\/+/, '');
  // the last line of a text without a final newline is a different line from the same text with one
  const NOEOL = '\u0000<no newline>';
  const keyed = (x: Split) => x.lines.map((l, i) => (x.noEol && i === x.lines.length - 1 ? l + NOEOL : l));
  const ops = diffOps(keyed(A), keyed(B)).map((o) => ({ ...o, line: o.line.endsWith(NOEOL) ? o.line.slice(0, -NOEOL.length) : o.line }));
  const changed = ops.map((o, i) => (o.t !== ' ' ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  const out = [before === null ? '--- /dev/null' : `--- a/${label}`, `+++ b/${label}`];
  // group changes into hunks
  let k = 0;
  while (k < changed.length) {
    const lo = Math.max(0, (changed[k] as number) - context);
    let hi = Math.min(ops.length - 1, (changed[k] as number) + context);
    k++;
    while (k < changed.length && (changed[k] as number) - context <= hi + 1) {
      hi = Math.min(ops.length - 1, (changed[k] as number) + context);
      k++;
    }
    const hunk = ops.slice(lo, hi + 1);
    const aCount = hunk.filter((o) => o.t !== '+').length;
    const bCount = hunk.filter((o) => o.t !== '-').length;
    const first = hunk[0] as Op;
    out.push(`@@ -${range(first.a, aCount)} +${range(first.b, bCount)} @@`);
    for (const o of hunk) {
      out.push(`${o.t}${o.line}`);
      const isLastA = o.t !== '+' && o.a === A.lines.length - 1;
      const isLastB = o.t !== '-' && o.b === B.lines.length - 1;
      if ((o.t !== '+' && isLastA && A.noEol) || (o.t === '+' && isLastB && B.noEol)) {
        out.push('\\ No newline at end of file');
      }
    }
  }
  return out.join('\n') + '\n';
}
