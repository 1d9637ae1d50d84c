import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { parseDuration, parseListenAddress, parseRunFlags } from '../../src/daemon/flags.js';
import { createLogger, formatRecord } from '../../src/daemon/log.js';

describe('run flags', () => {
  it('has the documented defaults', () => {
    const f = parseRunFlags([], {}, 'node-a');
    expect(f.listen).toEqual({ host: undefined, port: 20260, text: ':20260' });
    expect(f.root).toBe('/');
    expect(f.stateDir).toBe('/var/lib/crio-sentinel');
    expect(f.crioSocket).toBe('/var/run/crio/crio.sock');
    expect(f.nodeName).toBe('node-a');
    expect(f.thresholds).toEqual({ stuckAfterMs: 120_000, execLoopCount: 3, execLoopWindowMs: 60_000, execLoopQuietMs: 300_000 });
    expect(f.crioPollMs).toBe(15_000);
    expect(f.logLevel).toBe('info');
    expect(f.logFormat).toBe('logfmt');
    expect(f.config).toBeUndefined();
    expect(f.configDir).toBeUndefined();
    expect(f.noJournal).toBe(false);
    expect(f.demo).toBe(false);
  });

  it('takes NODE_NAME over the host name, and --node-name over both', () => {
    expect(parseRunFlags([], { NODE_NAME: 'k8s-node' }, 'h').nodeName).toBe('k8s-node');
    expect(parseRunFlags(['--node-name', 'x'], { NODE_NAME: 'k8s-node' }, 'h').nodeName).toBe('x');
  });

  it('parses every flag in both spellings', () => {
    const f = parseRunFlags(
      [
        '--web.listen-address=[::1]:0', '--web.config.file', '/etc/w.yml', '--root=/host', '--config', '', '--config-dir=/etc/crio/d',
        '--crio-version', 'v1.24.6', '--state-dir', '/tmp/s', '--journal-directory', '/j', '--no-journal', '--crio-socket', '/run/x.sock',
        '--stuck-threshold', '90s', '--exec-loop-count=5', '--exec-loop-window', '1m30s', '--exec-loop-quiet', '500ms',
        '--log-level', 'debug', '--log-format', 'json', '--crio-poll-interval', '2s',
      ],
      {},
      'h',
    );
    expect(f).toMatchObject({
      listen: { host: '::1', port: 0 },
      webConfigFile: '/etc/w.yml',
      root: '/host',
      config: '',
      configDir: '/etc/crio/d',
      crioVersion: '1.24.6',
      stateDir: '/tmp/s',
      journalDirectory: '/j',
      noJournal: true,
      crioSocket: '/run/x.sock',
      crioPollMs: 2000,
      thresholds: { stuckAfterMs: 90_000, execLoopCount: 5, execLoopWindowMs: 90_000, execLoopQuietMs: 500 },
      logLevel: 'debug',
      logFormat: 'json',
    });
  });

  it('demo defaults: loopback listen address and a 20 s stuck threshold', () => {
    const f = parseRunFlags(['--demo'], {}, 'h');
    expect(f.listen.text).toBe('127.0.0.1:20260');
    expect(f.thresholds.stuckAfterMs).toBe(20_000);
    expect(parseRunFlags(['--demo', '--stuck-threshold', '2m'], {}, 'h').thresholds.stuckAfterMs).toBe(120_000);
  });

  it('rejects bad values with a one-line UserError naming the flag', () => {
    const bad: [string[], RegExp][] = [
      [['--stuck-threshold', '2 minutes'], /--stuck-threshold: invalid duration/],
      [['--exec-loop-window', ''], /--exec-loop-window: invalid duration/],
      [['--exec-loop-count', '0'], /--exec-loop-count: expected a positive integer/],
      [['--log-level', 'trace'], /--log-level: expected one of debug\|info\|warn\|error/],
      [['--log-format', 'text'], /--log-format: expected one of logfmt\|json/],
      [['--web.listen-address', 'localhost'], /--web.listen-address: invalid address/],
      [['--web.listen-address', ':70000'], /--web.listen-address: invalid address/],
      [['--crio-version', 'latest'], /--crio-version: expected X.Y.Z/],
      [['--root', ''], /--root: must not be empty/],
      [['--bogus'], /bogus/],
      [['extra'], /extra/],
    ];
    for (const [argv, re] of bad) {
      let err: unknown;
      try {
        parseRunFlags(argv, {}, 'h');
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('takes --log.level and --log.format as node_exporter spells them; the dashed spellings are aliases', () => {
    expect(parseRunFlags(['--log.level=debug', '--log.format', 'json'], {}, 'h')).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
    expect(parseRunFlags(['--log-level', 'warn', '--log-format=json'], {}, 'h')).toMatchObject({ logLevel: 'warn', logFormat: 'json' });
    expect(parseRunFlags(['--log.level', 'error', '--log-level', 'error'], {}, 'h').logLevel).toBe('error');
    expect(() => parseRunFlags(['--log.level', 'debug', '--log-level', 'info'], {}, 'h')).toThrow('--log.level "debug" and its alias --log-level "info" disagree');
    expect(() => parseRunFlags(['--log.level', 'trace'], {}, 'h')).toThrow(/^--log\.level: expected one of debug\|info\|warn\|error, got "trace"$/);
    expect(() => parseRunFlags(['--log.format', 'text'], {}, 'h')).toThrow(/^--log\.format: expected one of logfmt\|json/);
  });

  it('durations and listen addresses', () => {
    expect(parseDuration('2m', 'x')).toBe(120_000);
    expect(parseDuration('1h2m3s', 'x')).toBe(3_723_000);
    expect(parseDuration('1.5s', 'x')).toBe(1500);
    expect(() => parseDuration('5', 'x')).toThrow(UserError);
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0, text: '127.0.0.1:0' });
  });
});

describe('structured logger', () => {
  it('writes logfmt with quoting, filters by level, uses the injected clock', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'logfmt', clock: () => Date.parse('2026-11-28T22:00:00Z'), write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('config changed', { path: '/etc/crio/crio.conf.d/99 nvidia.conf', n: 3, err: new Error('bad "x"') });
    log.with({ source: 'journal' }).warn('down');
    expect(lines).toEqual([
      'ts=2026-11-28T22:00:00.000Z level=info msg="config changed" path="/etc/crio/crio.conf.d/99 nvidia.conf" n=3 err="bad \\"x\\""\n',
      'ts=2026-11-28T22:00:00.000Z level=warn msg=down source=journal\n',
    ]);
  });

  it('writes one JSON object per line', () => {
    const line = formatRecord('json', '2026-11-28T22:00:00.000Z', 'error', 'boom', { err: new Error('x'), n: 1 });
    expect(JSON.parse(line)).toEqual({ ts: '2026-11-28T22:00:00.000Z', level: 'error', msg: 'boom', err: 'x', n: 1 });
  });
});
