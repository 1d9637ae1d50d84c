import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import {
  MAX_WEB_FILE_BYTES,
  bcryptCost,
  clientCertAccepted,
  createBasicAuth,
  loadWebConfig,
  parseBasicAuthorization,
  parseWebConfig,
  tlsServerOptions,
} from '../../src/daemon/web-config.js';

const FILE = '/etc/crio-sentinel/web.yml';

function err(text: string): string {
  try {
    parseWebConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('expected an error');
}

describe('parseWebConfig', () => {
  let hash = '';
  beforeAll(() => {
    hash = bcrypt.hashSync('secret', 4);
  });

  it('reads the exporter-toolkit keys and resolves relative paths against the file', () => {
    const c = parseWebConfig(
      [
        'tls_server_config:',
        '  cert_file: tls/server.crt',
        '  key_file: /abs/server.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: ca.pem',
        '  min_version: TLS13',
        'http_server_config:',
        '  http2: true',
        '  headers:',
        '    x-frame-options: deny',
        '    Strict-Transport-Security: max-age=3600',
        'basic_auth_users:',
        `  alice: ${hash}`,
        `  bob: '$2y$10$EXRkfkdmXn2gzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q'`,
        '',
      ].join('\n'),
      FILE,
    );
    expect(c.file).toBe(FILE);
    expect(c.tls).toMatchObject({
      certFile: '/etc/crio-sentinel/tls/server.crt',
      keyFile: '/abs/server.key',
      clientCaFile: '/etc/crio-sentinel/ca.pem',
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: null,
    });
    expect(c.headers).toEqual({ 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=3600' });
    expect(Object.keys(c.basicAuthUsers ?? {})).toEqual(['alice', 'bob']);
  });

  it('accepts an empty file and defaults TLS 1.2 as the minimum', () => {
    expect(parseWebConfig('', FILE)).toEqual({ file: FILE, tls: null, basicAuthUsers: null, headers: {} });
    expect(parseWebConfig('# nothing\n', FILE).tls).toBeNull();
    expect(parseWebConfig('tls_server_config:\n  cert_file: a\n  key_file: b\n', FILE).tls?.minVersion).toBe('TLSv1.2');
  });

  it('names the file and line of unknown keys and bad values', () => {
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n')).toBe(`web config ${FILE} line 4: unknown key tls_server_config.certfile`);
    expect(err('basic_auth_users:\n  alice: plaintext\n')).toMatch(new RegExp(`^web config ${FILE} line 2: basic_auth_users.alice: not a bcrypt hash`));
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS9\n')).toMatch(/line 4: min_version "TLS9" is not one of TLS10, TLS11, TLS12, TLS13/);
    expect(err('\n\nfoo: 1\n')).toMatch(/line 3: unknown key foo/);
    expect(err('constructor: 1\n')).toMatch(/line 1: unknown key constructor$/);
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: toString\n')).toMatch(/line 4: min_version "toString" is not one of/);
    expect(err('http_server_config:\n  headers:\n    Server: evil\n')).toMatch(/line 3: header "Server" is not allowed/);
    expect(err('tls_server_config:\n  cert_file: a\n')).toMatch(/missing key_file/);
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n')).toMatch(/line 4: tls_server_config.cipher_suites is not supported/);
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n')).toMatch(/needs client_ca_file/);
    expect(err('tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n')).toMatch(/client_ca_file is set but client_auth_type is NoClientCert/);
    expect(err('- a\n- b\n')).toMatch(/expected a mapping at the top level/);
    expect(err('basic_auth_users:\n  a: x\n  a: y\n')).toMatch(new RegExp(`^web config ${FILE} line 3: `));
    expect(err('tls_server_config: [\n')).toMatch(new RegExp(`^web config ${FILE} line \\d+: `));
    expect(err('http_server_config:\n  http2: maybe\n')).toMatch(/line 2: http2 must be true or false/);
    expect(err('http_server_config:\n  headers:\n    X-Frame-Options: allow-from x\n')).toMatch(/line 3: header "X-Frame-Options" must be one of deny, sameorigin, not "allow-from x"/);
  });

  it('builds node:https options and maps the client auth modes', () => {
    const files: Record<string, string> = { '/c.pem': 'CERT', '/k.pem': 'KEY', '/ca.pem': 'CA' };
    const read = (p: string) => {
      const v = files[p];
      if (v === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
      return Buffer.from(v);
    };
    const t = parseWebConfig('tls_server_config:\n  cert_file: /c.pem\n  key_file: /k.pem\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: /ca.pem\n  max_version: TLS13\n', FILE).tls!;
    const o = tlsServerOptions(t, read);
    expect([String(o.cert), String(o.key), String(o.ca)]).toEqual(['CERT', 'KEY', 'CA']);
    expect(o).toMatchObject({ requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    const missing = parseWebConfig('tls_server_config:\n  cert_file: /nope.pem\n  key_file: /k.pem\n', FILE).tls!;
    expect(() => tlsServerOptions(missing, read)).toThrow(/cannot read cert_file \/nope\.pem/);

    expect(clientCertAccepted('NoClientCert', { presented: false, authorized: false })).toBe(true);
    expect(clientCertAccepted('RequireAnyClientCert', { presented: false, authorized: false })).toBe(false);
    expect(clientCertAccepted('RequireAnyClientCert', { presented: true, authorized: false })).toBe(true);
    expect(clientCertAccepted('VerifyClientCertIfGiven', { presented: false, authorized: false })).toBe(true);
    expect(clientCertAccepted('VerifyClientCertIfGiven', { presented: true, authorized: false })).toBe(false);
    expect(clientCertAccepted('RequireAndVerifyClientCert', { presented: true, authorized: true })).toBe(true);
  });

  describe('loadWebConfig', () => {
    let dir = '';
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-webcfg-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads a real file and names a missing one', () => {
      const f = path.join(dir, 'web.yml');
      fs.writeFileSync(f, `basic_auth_users:\n  alice: ${hash}\n`);
      expect(loadWebConfig(f).basicAuthUsers).toEqual({ alice: hash });
      expect(() => loadWebConfig(path.join(dir, 'missing.yml'))).toThrow(new RegExp(`^web config ${dir}/missing.yml: cannot read: open ${dir}/missing.yml: no such file or directory`));
    });

    it('refuses a FIFO, a device and an oversized file without blocking or reading them (issue #11 item 15)', () => {
      const fifo = path.join(dir, 'cert.fifo');
      const mk = spawnSync('mkfifo', [fifo]);
      expect(mk.status).toBe(0);
      const key = path.join(dir, 'key.pem');
      fs.writeFileSync(key, 'KEY');
      const big = path.join(dir, 'big.pem');
      fs.writeFileSync(big, Buffer.alloc(MAX_WEB_FILE_BYTES + 1, 0x41));
      const tls = (cert: string) => parseWebConfig(`tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`, FILE).tls!;
      const t0 = Date.now();
      expect(() => tlsServerOptions(tls(fifo))).toThrow(new RegExp(`^web config: cannot read cert_file ${fifo}: .*FIFO \\(named pipe\\), not a regular file$`));
      expect(() => tlsServerOptions(tls('/dev/zero'))).toThrow(/^web config: cannot read cert_file \/dev\/zero: .*character device, not a regular file$/);
      expect(() => tlsServerOptions(tls(big))).toThrow(new RegExp(`^web config: cannot read cert_file ${big}: .*larger than the ${MAX_WEB_FILE_BYTES}-byte limit`));
      expect(() => loadWebConfig(fifo)).toThrow(/FIFO \(named pipe\), not a regular file/);
      expect(Date.now() - t0).toBeLessThan(5000);
    });
  });
});

describe('basic auth', () => {
  const OK = { ok: true, user: 'alice' };
  const INVALID = { ok: false, reason: 'invalid' };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('runs one bcrypt check at a time and answers busy when too many wait', async () => {
    const auth = createBasicAuth({ alice: bcrypt.hashSync('pw', 4) }, { maxConcurrent: 1, maxQueued: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => auth.verify(basic('alice', `wrong-${i}`))));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['invalid', 'invalid', 'invalid', 'busy', 'busy', 'busy']);
    // the slots are released: later checks run again, and queued identical credentials hit the cache
    const same = await Promise.all([auth.verify(basic('alice', 'pw')), auth.verify(basic('alice', 'pw')), auth.verify(basic('alice', 'pw'))]);
    expect(same).toEqual([OK, OK, OK]);
  });

  it('a login in use stays cached past the TTL; a flood of failures cannot evict it (issue #11 item 5)', async () => {
    let now = 1_000_000;
    let compares = 0;
    const realCompare = bcrypt.compare;
    (bcrypt as { compare: typeof bcrypt.compare }).compare = ((a: string, b: string) => {
      compares++;
      return realCompare(a, b);
    }) as typeof bcrypt.compare;
    try {
      const auth = createBasicAuth({ alice: bcrypt.hashSync('pw', 4) }, { now: () => now, ttlMs: 60_000, maxEntries: 4 });
      expect(await auth.verify(basic('alice', 'pw'))).toEqual(OK);
      // a scrape every 30 s for 10 minutes, with 50 wrong passwords in between each time
      for (let i = 0; i < 20; i++) {
        now += 30_000;
        await Promise.all(Array.from({ length: 50 }, (_, j) => auth.verify(basic(`u${j}`, 'x'), '10.0.0.9')));
        expect(await auth.verify(basic('alice', 'pw'), '10.0.0.1')).toEqual(OK);
      }
      const before = compares;
      expect(await auth.verify(basic('alice', 'pw'))).toEqual(OK);
      expect(compares).toBe(before); // still the cached login: no bcrypt
    } finally {
      (bcrypt as { compare: typeof bcrypt.compare }).compare = realCompare;
    }
  });

  it('serves queues round-robin: a flood from one source or against one name does not starve another (issue #11 item 5)', async () => {
    const auth = createBasicAuth({ alice: bcrypt.hashSync('pw', 4), bob: bcrypt.hashSync('pw2', 4) }, { maxQueued: 8, maxQueuedPerKey: 3 });
    const flood = Array.from({ length: 40 }, (_, i) => auth.verify(basic(i % 2 ? 'alice' : `nobody${i}`, 'wrong'), '10.0.0.9'));
    const bob = auth.verify(basic('bob', 'pw2'), '10.0.0.9');
    const alice = auth.verify(basic('alice', 'pw'), '10.0.0.1');
    expect(await bob).toEqual({ ok: true, user: 'bob' });
    expect(await alice).toEqual(OK);
    const r = await Promise.all(flood);
    // each flooding queue got at most its 3 places (+1 running); the rest was refused without bcrypt
    expect(r.filter((x) => !x.ok && x.reason === 'busy').length).toBeGreaterThanOrEqual(40 - 8);
  });

  it('costs the same for unknown users as for known ones, whatever their bcrypt cost (issue #11 item 7)', async () => {
    const users = { cheap: bcrypt.hashSync('pw', 4), dear: bcrypt.hashSync('pw', 9) };
    const auth = createBasicAuth(users);
    // interleaved, so that the load of a shared machine weighs on all three alike
    const times: Record<string, number[]> = { nobody: [], cheap: [], dear: [] };
    for (let i = 0; i < 7; i++) {
      for (const u of Object.keys(times)) {
        const t0 = performance.now();
        await auth.verify(basic(u, `wrong${i}`));
        times[u]!.push(performance.now() - t0);
      }
    }
    const median = (u: string): number => times[u]!.sort((a, b) => a - b)[3]!;
    const [unknown, cheap, dear] = [median('nobody'), median('cheap'), median('dear')];
    console.log(`basic auth medians: unknown ${unknown.toFixed(1)} ms, cost-4 user ${cheap.toFixed(1)} ms, cost-9 user ${dear.toFixed(1)} ms`);
    // before the fix: the unknown user (cost-10 dummy) took ~40x the cost-4 user and ~2x the cost-9 one
    for (const x of [cheap, dear]) {
      expect(x / unknown).toBeGreaterThan(0.5);
      expect(x / unknown).toBeLessThan(2);
    }
    expect(bcryptCost(users.dear)).toBe(9);
  });

  it('parses Authorization headers', () => {
    expect(parseBasicAuthorization(basic('a', 'b:c'))).toEqual({ user: 'a', password: 'b:c' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({ user: 'u', password: '' });
    expect(parseBasicAuthorization('Bearer abc')).toBeNull();
    expect(parseBasicAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasicAuthorization(undefined)).toBeNull();
  });

  it('verifies bcrypt hashes, caches successes until the TTL, never failures', async () => {
    let now = 1_000_000;
    const hash = bcrypt.hashSync('pw', 4);
    const users = { alice: hash };
    let compares = 0;
    const realCompare = bcrypt.compare;
    // count bcrypt work through a spy on the module export the implementation calls
    (bcrypt as { compare: typeof bcrypt.compare }).compare = ((a: string, b: string) => {
      compares++;
      return realCompare(a, b);
    }) as typeof bcrypt.compare;
    try {
      const auth = createBasicAuth(users, { now: () => now, ttlMs: 60_000 });
      expect(await auth.verify(basic('alice', 'pw'))).toEqual(OK);
      expect(await auth.verify(basic('alice', 'pw'))).toEqual(OK);
      expect(compares).toBe(1);
      expect(await auth.verify(basic('alice', 'nope'))).toEqual(INVALID);
      expect(await auth.verify(basic('alice', 'nope'))).toEqual(INVALID);
      expect(compares).toBe(3);
      // unknown users still cost one bcrypt comparison (no user enumeration by timing)
      expect(await auth.verify(basic('mallory', 'pw'))).toEqual(INVALID);
      expect(compares).toBe(4);
      expect(await auth.verify(basic('__proto__', 'pw'))).toEqual(INVALID);
      now += 60_001;
      expect(await auth.verify(basic('alice', 'pw'))).toEqual(OK);
      expect(compares).toBe(6);
      expect(await auth.verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    } finally {
      (bcrypt as { compare: typeof bcrypt.compare }).compare = realCompare;
    }
  });
});
