import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/core/contracts.js';
import { createHttpServer, metricsCache, parseListenAddress, type HttpServer, type LogFn } from '../../src/daemon/http.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import { parseWebConfig } from '../../src/daemon/web-config.js';
import { CATALOGUE } from '../../src/findings/catalogue.js';
import { needBinary } from '../helpers/binaries.js';
import { demoStatus } from '../helpers/status-fixture.js';

const logs: { level: string; msg: string }[] = [];
const log: LogFn = (level, msg) => logs.push({ level, msg });
const open: HttpServer[] = [];

async function start(status: () => DaemonStatus, extra: Partial<Parameters<typeof createHttpServer>[0]> = {}, address = '127.0.0.1:0') {
  const metrics = createMetrics({ status, processMetrics: false });
  const server = createHttpServer({ status, registry: metrics.registry, webConfig: null, log, ...extra });
  open.push(server);
  const bound = await server.listen(address);
  return { server, ...bound, base: `http://127.0.0.1:${bound.port}` };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Send raw bytes and collect everything the server writes until it closes the connection. */
function raw(port: number, data: string, opts: { endAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(data);
      if (opts.endAfterWrite) sock.end();
    });
    let out = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (out += d));
    sock.on('close', () => resolve(out));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(out) : reject(e)));
  });
}

describe('parseListenAddress', () => {
  it('accepts the exporter forms and rejects the rest', () => {
    expect(parseListenAddress(':20260')).toEqual({ host: '', port: 20260 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parseListenAddress('20260')).toThrow(/invalid address "20260"/);
    expect(() => parseListenAddress('host:70000')).toThrow(/invalid address/);
  });
});

describe('metricsCache', () => {
  it('shares one render between concurrent scrapes and reuses it for the TTL', async () => {
    let now = 0;
    let renders = 0;
    const cached = metricsCache(async () => `body ${++renders}`, 100, () => now);
    expect(await Promise.all([cached(), cached(), cached()])).toEqual(['body 1', 'body 1', 'body 1']);
    now = 99;
    expect(await cached()).toBe('body 1');
    expect(cached.fresh()).toBe('body 1');
    now = 100;
    expect(cached.fresh()).toBeNull();
    expect(await cached()).toBe('body 2');
    let fail = true;
    const flaky = metricsCache(async () => {
      if (fail) throw new Error('x');
      return 'ok';
    }, 100, () => now);
    await expect(flaky()).rejects.toThrow('x');
    fail = false;
    expect(await flaky()).toBe('ok');
    let n = 0;
    const uncached = metricsCache(async () => ++n, 0, () => now);
    await uncached();
    await uncached();
    expect(n).toBe(2);
    expect(uncached.fresh()).toBeNull();
    // invalidate(): a changed state is re-rendered once the body is minMs (100) old; concurrent
    // callers keep sharing one render, and a render started before a change counts as stale
    let v = 0;
    let release: () => void = () => {};
    now = 1000;
    const gated = metricsCache(() => new Promise<number>((r) => { const mine = ++v; release = () => r(mine); }), 1000, () => now);
    const first = gated();
    gated.invalidate();
    expect(gated()).toBe(first);
    release();
    expect(await first).toBe(1);
    expect(gated.fresh()).toBe(1);
    now = 1100;
    expect(gated.fresh()).toBeNull();
    const second = gated();
    release();
    expect(await second).toBe(2);
    now = 1900;
    expect(gated.fresh()).toBe(2);
    gated.invalidate();
    expect(gated.fresh()).toBeNull();
    for (let i = 0; i < 50; i++) gated.invalidate();
    const third = gated();
    expect(gated()).toBe(third);
    release();
    expect(await third).toBe(3);
    expect(v).toBe(3);
  });
});

describe('createHttpServer over a real socket', () => {
  it('serves /metrics, /healthz, /api/v1/status and the page with GET', async () => {
    const { base, url } = await start(() => demoStatus());
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const m = await fetch(`${base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    expect(text).toContain('crio_sentinel_default_runtime_is_nvidia 1');
    expect(text).toContain('crio_sentinel_pod_stuck_terminating_seconds{namespace="ml-team",pod="trainer-7f9c6d5b8-x2kqp"} 2412');

    const h = await fetch(`${base}/healthz`);
    expect([h.status, await h.text()]).toEqual([200, 'ok\n']);

    const s = await fetch(`${base}/api/v1/status`);
    expect(s.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await s.json()) as DaemonStatus;
    expect(body).toEqual(JSON.parse(JSON.stringify(demoStatus())));

    const p = await fetch(`${base}/`);
    expect(p.status).toBe(200);
    expect(p.headers.get('content-type')).toMatch(/^text\/html/);
    expect(p.headers.get('content-security-policy')).toMatch(/default-src 'none'.*style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(p.headers.get('x-powered-by')).toBeNull();
    expect(p.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await p.text()).toContain('trainer-7f9c6d5b8-x2kqp');

    const nf = await fetch(`${base}/nope`);
    expect(nf.status).toBe(404);
  });

  it('answers HEAD without a body and refuses other methods with 405 and Allow', async () => {
    const { base, port } = await start(() => demoStatus());
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(head.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await head.text()).toBe('');
    const headPage = await fetch(`${base}/`, { method: 'HEAD' });
    expect(headPage.status).toBe(200);
    expect(await headPage.text()).toBe('');
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = await fetch(`${base}/metrics`, { method, ...(method === 'POST' ? { body: 'x=1' } : {}) });
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
    // a GET with a body is refused too
    const withBody = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd');
    expect(withBody).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('reports readiness from the status: 503 with the reason, then 200', async () => {
    let status = demoStatus({ ready: { ok: false, reason: 'configuration not evaluated yet' } });
    const { base } = await start(() => status);
    const r1 = await fetch(`${base}/readyz`);
    expect(r1.status).toBe(503);
    expect(await r1.text()).toBe('not ready: configuration not evaluated yet\n');
    status = demoStatus({ ready: { ok: true, reason: 'configuration evaluated; journal source off' } });
    const r2 = await fetch(`${base}/readyz`);
    expect(r2.status).toBe(200);
    expect(await r2.text()).toContain('journal source off');
  });

  it('refuses oversized headers with 431', async () => {
    const { base } = await start(() => demoStatus(), { limits: { maxHeaderSize: 4096 } });
    const r = await fetch(`${base}/healthz`, { headers: { 'x-big': 'a'.repeat(8000) } });
    expect(r.status).toBe(431);
    const ok = await fetch(`${base}/healthz`, { headers: { 'x-small': 'a'.repeat(1000) } });
    expect(ok.status).toBe(200);
  });

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const { port } = await start(() => demoStatus(), {
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 300, connectionsCheckingIntervalMs: 100 },
    });
    // never sends the blank line that ends the headers; the server must answer 408 and close
    const out = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('turns a failing status source into a 500 and a log line, and keeps serving', async () => {
    let fail = true;
    const { base } = await start(() => {
      if (fail) throw new Error('boom');
      return demoStatus();
    });
    const r = await fetch(`${base}/api/v1/status`);
    expect(r.status).toBe(500);
    expect(logs.some((l) => l.level === 'error' && l.msg === 'request failed')).toBe(true);
    fail = false;
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(200);
  });

  it('names the address when it is already in use', async () => {
    const { port } = await start(() => demoStatus());
    const metrics = createMetrics({ status: () => demoStatus(), processMetrics: false });
    const second = createHttpServer({ status: () => demoStatus(), registry: metrics.registry, webConfig: null, log });
    await expect(second.listen(`127.0.0.1:${port}`)).rejects.toThrow(`127.0.0.1:${port}: cannot listen: address already in use`);
  });

  it('does basic auth over plain HTTP too, with a warning in the log', async () => {
    const webConfig = parseWebConfig(`basic_auth_users:\n  u: ${bcrypt.hashSync('pw', 4)}\n`, '/nonexistent/web.yml');
    logs.length = 0;
    const { base } = await start(() => demoStatus(), { webConfig });
    expect(logs.some((l) => l.level === 'warn' && l.msg.startsWith('basic auth without TLS'))).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(401);
    const ok = await fetch(`${base}/readyz`, { headers: { Authorization: `Basic ${Buffer.from('u:pw').toString('base64')}` } });
    expect(ok.status).toBe(200);
  });

  it('listens on IPv6 loopback when asked', async () => {
    let s;
    try {
      s = await start(() => demoStatus(), {}, '[::1]:0');
    } catch (err) {
      console.warn(`skipping: no IPv6 loopback here (${(err as Error).message})`);
      return;
    }
    expect(s.url).toBe(`http://[::1]:${s.port}/`);
    const r = await fetch(`http://[::1]:${s.port}/healthz`);
    expect(r.status).toBe(200);
  });

  it('close() ends idle keep-alive connections promptly', async () => {
    const { server, port } = await start(() => demoStatus());
    const agent = new http.Agent({ keepAlive: true });
    const got = await new Promise<number>((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path: '/healthz', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    expect(got).toBe(200);
    await server.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    agent.destroy();
  });

  it('keeps answering /metrics under a flood of 600 idle connections (issue #11 item 8)', async () => {
    const { port } = await start(() => demoStatus());
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    const connect = (): Promise<net.Socket> =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
        s.on('close', () => closedByServer++);
        sockets.push(s);
      });
    try {
      // 300 connections that never send a byte, 300 kept alive after one request
      for (let i = 0; i < 300; i++) await connect();
      for (let i = 0; i < 300; i++) {
        const s = await connect();
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      }
      await new Promise((r) => setTimeout(r, 200));
      const codes: (number | string)[] = [];
      for (let i = 0; i < 20; i++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Connection: 'close' }, signal: AbortSignal.timeout(3000) });
          await r.text();
          codes.push(r.status);
        } catch (err) {
          codes.push((err as Error).message);
        }
      }
      expect(codes).toEqual(Array(20).fill(200));
      // room was made by closing idle connections, oldest first
      expect(closedByServer).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('TLS and basic auth with a real client', () => {
  let dir = '';
  let certPem = '';
  const password = 'correct horse battery staple';

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-tls-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function makeCert(): boolean {
    const openssl = needBinary('openssl', 'openssl');
    if (!openssl) return false;
    const r = spawnSync(
      openssl,
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    certPem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    return true;
  }

  function get(port: number, auth: string | null, pathName = '/metrics'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.get(
        { host: '127.0.0.1', port, path: pathName, ca: certPem, headers: auth === null ? {} : { Authorization: auth } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
    });
  }

  it('serves HTTPS with basic auth: right 200, wrong 401, none 401, plain HTTP refused', async () => {
    if (!makeCert()) return;
    const hash = bcrypt.hashSync(password, 4);
    // relative paths in the web config resolve against its directory
    const cfgFile = path.join(dir, 'web.yml');
    fs.writeFileSync(
      cfgFile,
      `tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS12\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  prometheus: ${hash}\n`,
    );
    const webConfig = parseWebConfig(fs.readFileSync(cfgFile, 'utf8'), cfgFile);
    const { port, url } = await start(() => demoStatus(), { webConfig });
    expect(url).toBe(`https://127.0.0.1:${port}/`);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

    const ok = await get(port, basic('prometheus', password));
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('crio_sentinel_build_info');
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
    // second time from the verification cache, same answer
    expect((await get(port, basic('prometheus', password))).status).toBe(200);

    const wrong = await get(port, basic('prometheus', 'wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm="crio-sentinel"/);
    expect((await get(port, basic('nobody', password))).status).toBe(401);
    const none = await get(port, null);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="crio-sentinel"/);
    // every endpoint is behind auth, the page too
    expect((await get(port, null, '/')).status).toBe(401);
    expect((await get(port, basic('prometheus', password), '/')).status).toBe(200);

    // plain HTTP to the TLS port never gets a response
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    const rawOut = await raw(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(rawOut).not.toMatch(/^HTTP\/1\.1 200/);
    // a client that does not trust the certificate is refused
    await expect(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/healthz' }, resolve).on('error', reject)),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('applies a re-read web config: new users and a rotated certificate, without a restart', async () => {
    if (!certPem && !makeCert()) return;
    const openssl = needBinary('openssl', 'openssl')!;
    const r = spawnSync(
      openssl,
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'key2.pem'), '-out', path.join(dir, 'cert2.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const cert2 = fs.readFileSync(path.join(dir, 'cert2.pem'), 'utf8');
    const file = path.join(dir, 'web-reload.yml');
    const cfg = (cert: string, key: string, pw: string) =>
      parseWebConfig(`tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync(pw, 4)}\n`, file);
    const { server, port } = await start(() => demoStatus(), { webConfig: cfg('cert.pem', 'key.pem', 'old-pw') });
    const basic = (p: string) => `Basic ${Buffer.from(`prometheus:${p}`).toString('base64')}`;
    const getWith = (ca: string, auth: string) =>
      new Promise<number>((resolve, reject) => {
        const agent = new https.Agent({ keepAlive: false });
        https.get({ host: '127.0.0.1', port, path: '/healthz', ca, agent, headers: { Authorization: auth } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await getWith(certPem, basic('old-pw'))).toBe(200);
    server.setWebConfig(cfg('cert2.pem', 'key2.pem', 'new-pw'));
    expect(await getWith(cert2, basic('new-pw'))).toBe(200);
    expect(await getWith(cert2, basic('old-pw'))).toBe(401);
    await expect(getWith(certPem, basic('new-pw'))).rejects.toThrow();
    // changes that need a restart are refused and the running config stays
    expect(() => server.setWebConfig(null)).toThrow(/turning TLS on or off needs a restart/);
    const mtls = parseWebConfig(`tls_server_config:\n  cert_file: cert2.pem\n  key_file: key2.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: cert.pem\n`, file);
    expect(() => server.setWebConfig(mtls)).toThrow(/client_auth_type from NoClientCert to RequireAndVerifyClientCert needs a restart/);
    expect(await getWith(cert2, basic('new-pw'))).toBe(200);
  });

  it('names the files when the certificate or key is unusable', () => {
    fs.writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n');
    const file = path.join(dir, 'web-bad.yml');
    const webConfig = parseWebConfig('tls_server_config:\n  cert_file: garbage.pem\n  key_file: garbage.pem\n', file);
    const metrics = createMetrics({ status: () => demoStatus(), processMetrics: false });
    expect(() => createHttpServer({ status: () => demoStatus(), registry: metrics.registry, webConfig, log })).toThrow(
      new RegExp(`^web config ${file}: unusable TLS certificate/key \\(${dir}/garbage.pem, ${dir}/garbage.pem\\): `),
    );
    const missing = parseWebConfig('tls_server_config:\n  cert_file: nope.pem\n  key_file: nope.pem\n', file);
    expect(() => createHttpServer({ status: () => demoStatus(), registry: metrics.registry, webConfig: missing, log })).toThrow(/cannot read cert_file .*nope\.pem: open .*nope\.pem: no such file or directory/);
  });

  it('is scraped by a real Prometheus over TLS with basic auth', async () => {
    const prometheus = needBinary('prometheus', 'prometheus');
    if (!prometheus) return;
    if (!certPem && !makeCert()) return;
    const cfgFile = path.join(dir, 'web-prom.yml');
    fs.writeFileSync(cfgFile, `tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 4)}\n`);
    const { port } = await start(() => demoStatus(), { webConfig: parseWebConfig(fs.readFileSync(cfgFile, 'utf8'), cfgFile) });
    // a free port for Prometheus' own API (bind 0, read it, release it)
    const promPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const promCfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      promCfg,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        '  - job_name: crio-sentinel',
        '    scheme: https',
        `    tls_config: { ca_file: ${path.join(dir, 'cert.pem')} }`,
        `    basic_auth: { username: prometheus, password: "${password}" }`,
        `    static_configs: [ { targets: ["127.0.0.1:${port}"] } ]`,
        '',
      ].join('\n'),
    );
    const child = spawn(prometheus, [`--config.file=${promCfg}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let promLog = '';
    child.stderr.on('data', (d: Buffer) => (promLog = (promLog + d.toString('utf8')).slice(-20_000)));
    const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const j = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return j.data.result;
    };
    try {
      let up: string | undefined;
      for (let i = 0; i < 200 && up !== '1'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        up = await query('up{job="crio-sentinel"}').then((r) => r[0]?.value[1], () => undefined);
      }
      expect(up, promLog).toBe('1');
      expect((await query('crio_sentinel_pods_stuck_terminating'))[0]?.value[1]).toBe('3');
      expect((await query('crio_sentinel_default_runtime_info'))[0]?.metric.source_file).toBe('/etc/crio/crio.conf.d/99-nvidia.conf');
      expect((await query('count(crio_sentinel_finding_active)'))[0]?.value[1]).toBe(String(CATALOGUE.length));
      expect((await query('crio_sentinel_pod_stuck_terminating_seconds > 2000'))[0]?.metric.pod).toBe('trainer-7f9c6d5b8-x2kqp');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('requires a verified client certificate with RequireAndVerifyClientCert', async () => {
    if (!certPem && !makeCert()) return;
    const openssl = needBinary('openssl', 'openssl')!;
    const r = spawnSync(
      openssl,
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'client-key.pem'), '-out', path.join(dir, 'client.pem'), '-days', '1', '-subj', '/CN=prometheus'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const cfgFile = path.join(dir, 'web-mtls.yml');
    fs.writeFileSync(cfgFile, `tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: client.pem\n`);
    const { port } = await start(() => demoStatus(), { webConfig: parseWebConfig(fs.readFileSync(cfgFile, 'utf8'), cfgFile) });
    const withCert = await new Promise<number>((resolve, reject) =>
      https
        .get({ host: '127.0.0.1', port, path: '/healthz', ca: certPem, cert: fs.readFileSync(path.join(dir, 'client.pem')), key: fs.readFileSync(path.join(dir, 'client-key.pem')) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(withCert).toBe(200);
    await expect(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/healthz', ca: certPem }, resolve).on('error', reject)),
    ).rejects.toThrow();
  });
});
