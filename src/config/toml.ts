/**
 * THE TOML parser of crio-sentinel (every host-controlled TOML text goes through it): smol-toml,
 * linear in the text, with dictionaries that keep any key as an own property.
 *
 * @iarna/toml, used before, resolved a table header's last part through Object.prototype:
 * `[crio.runtime.runtimes.constructor]` decoded onto the global `Object` function (a made-up type
 * mismatch, issue #11 item 9), and `[x.hasOwnProperty]\ncall = 1` overwrote a global built-in in
 * the reading process.
 */
import { parse, TomlError } from 'smol-toml';

/**
 * Nesting (arrays, inline tables) beyond this is refused by the parser before it could exhaust the
 * stack. BurntSushi/toml has no such bound, so a document past it is "not evaluated", not invalid.
 */
export const MAX_TOML_DEPTH = 1000;

export class TomlSyntaxError extends Error {
  constructor(
    /** one line, without the source excerpt */
    readonly text: string,
    /** 1-based, or null */
    readonly line: number | null,
    readonly column: number | null,
    /** the document nests deeper than MAX_TOML_DEPTH (a crio-sentinel bound, not a syntax error) */
    readonly tooDeep: boolean,
  ) {
    super(text);
    this.name = 'TomlSyntaxError';
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The first integer outside int64 (BurntSushi refuses it: "… is out of range for int64"), or null. */
function outOfInt64(doc: unknown): bigint | null {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'bigint') {
      if (v > INT64_MAX || v < INT64_MIN) return v;
    } else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (typeof v === 'object' && v !== null && !(v instanceof Date)) for (const x of Object.values(v)) stack.push(x);
  }
  return null;
}

/** Parse a TOML document; throws TomlSyntaxError (never another error for bad input). */
export function parseToml(text: string): Record<string, unknown> {
  try {
    const doc = parse(text, { maxDepth: MAX_TOML_DEPTH, integersAsBigInt: 'asNeeded' }) as Record<string, unknown>;
    const big = outOfInt64(doc);
    if (big !== null) return fail(`${big} is out of range for int64`, null, null, false);
    return doc;
  } catch (e) {
    if (e instanceof TomlSyntaxError) throw e;
    if (e instanceof TomlError) {
      const first = e.message.split('\n', 1)[0] ?? '';
      const msg = first.replace(/^Invalid TOML document: /, '');
      return fail(msg, e.line ?? null, e.column ?? null, /excessively nested/.test(msg));
    }
    if (e instanceof RangeError) return fail(`too deeply nested to parse (${e.message})`, null, null, true);
    throw e;
  }
}

function fail(text: string, line: number | null, column: number | null, tooDeep: boolean): never {
  throw new TomlSyntaxError(text, line, column, tooDeep);
}
