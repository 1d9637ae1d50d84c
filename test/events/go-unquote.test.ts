import { describe, expect, it } from 'vitest';
import { goQuoteBody, goUnquote, parseLogrus } from '../../src/events/go-unquote.js';

describe('goUnquote', () => {
  it('decodes every Go %q escape', () => {
    expect(goUnquote('a\\ab\\bc\\fd\\ne\\rf\\tg\\vh')).toBe('a\x07b\bc\fd\ne\rf\tg\x0bh');
    expect(goUnquote('\\\\ \\" \\u00e9 \\U0001F600')).toBe('\\ " é 😀');
  });

  it('collects \\xNN bytes and decodes them as UTF-8 at the end', () => {
    expect(goUnquote('caf\\xc3\\xa9!')).toBe('café!');
    // an invalid byte becomes U+FFFD, never throws
    expect(goUnquote('x\\xffy')).toBe('x\ufffdy');
  });

  it('keeps unknown or truncated escapes literally', () => {
    expect(goUnquote('a\\qb')).toBe('a\\qb');
    expect(goUnquote('end\\')).toBe('end\\');
    expect(goUnquote('\\u12')).toBe('\\u12');
  });

  it('round-trips with goQuoteBody', () => {
    const s = 'line1\n\t"quoted" \\ back';
    expect(goUnquote(goQuoteBody(s))).toBe(s);
  });
});

describe('parseLogrus', () => {
  it('splits time, level, quoted msg and bare/quoted fields', () => {
    const l = parseLogrus(
      'time="2025-11-28T10:02:14.102227153Z" level=info msg="Started container" PID=48231 containerID=06ea description=ml-train/p/trainer id=bd9c name=/runtime.v1.RuntimeService/StartContainer sandboxID=b7ad',
    );
    expect(l).toEqual({
      time: '2025-11-28T10:02:14.102227153Z',
      level: 'info',
      msg: 'Started container',
      fields: { PID: '48231', containerID: '06ea', description: 'ml-train/p/trainer', id: 'bd9c', name: '/runtime.v1.RuntimeService/StartContainer', sandboxID: 'b7ad' },
    });
  });

  it('unquotes an embedded runtime stderr with escaped quotes and \\n', () => {
    const l = parseLogrus('time="2023-06-14 23:50:37.383837278-07:00" level=error msg="Killing container x failed: `runc kill x KILL` failed: time=\\"t\\" level=error msg=\\"unable to signal init: permission denied\\"\\n : exit status 1"');
    expect(l?.msg).toBe('Killing container x failed: `runc kill x KILL` failed: time="t" level=error msg="unable to signal init: permission denied"\n : exit status 1');
    expect(l?.level).toBe('error');
  });

  it('accepts a bare one-word msg and rejects non-logrus lines', () => {
    expect(parseLogrus('time="2025-01-01T00:00:00Z" level=info msg=Word')?.msg).toBe('Word');
    expect(parseLogrus('I1128 10:00:00.000000 1 x.go:1] "hi"')).toBeNull();
    expect(parseLogrus('time="2025-01-01T00:00:00Z" level=info')).toBeNull();
  });

  it('survives an unterminated quote', () => {
    expect(parseLogrus('time="2025-01-01T00:00:00Z" level=info msg="cut off')?.msg).toBe('cut off');
  });
});
