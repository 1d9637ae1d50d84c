/**
 * `--web.config.file`: the Prometheus exporter-toolkit web configuration file (YAML).
 *
 *   tls_server_config:   cert_file/key_file (or inline cert/key), client_auth_type, client_ca_file
 *                        (or inline client_ca), min_version, max_version, prefer_server_cipher_suites
 *   http_server_config:  headers (the five security headers exporter-toolkit allows), http2 (ignored: HTTP/1.1 only)
 *   basic_auth_users:    user: bcrypt hash
 *
 * Like exporter-toolkit, unknown keys are errors; settings we cannot honour (cipher_suites,
 * curve_preferences, client_allowed_sans, rate_limit) are errors too, never silently dropped.
 * Every error is one line naming the file and, where known, the line.
 * Relative paths resolve against the directory of the config file.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Clock } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import { createHostFileView } from '../config/index.js';

export type ClientAuthType =
  | 'NoClientCert'
  | 'RequestClientCert'
  | 'RequireAnyClientCert'
  | 'VerifyClientCertIfGiven'
  | 'RequireAndVerifyClientCert';

export interface WebTlsConfig {
  /** absolute path, or null when the certificate is given inline */
  certFile: string | null;
  keyFile: string | null;
  clientCaFile: string | null;
  /** inline PEM (`cert`, `key`, `client_ca`) */
  cert: string | null;
  key: string | null;
  clientCa: string | null;
  clientAuth: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion | null;
  preferServerCipherSuites: boolean;
}

export interface WebConfig {
  /** the file it was read from (absolute) */
  file: string;
  tls: WebTlsConfig | null;
  /** user -> bcrypt hash; null when basic auth is off */
  basicAuthUsers: Record<string, string> | null;
  /** extra response headers from http_server_config.headers */
  headers: Record<string, string>;
}

const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const CLIENT_AUTH: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
/** the headers exporter-toolkit accepts in http_server_config.headers */
const ALLOWED_HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy'];
/** headers whose values exporter-toolkit restricts */
const HEADER_VALUES: Record<string, string[]> = { 'X-Content-Type-Options': ['nosniff'], 'X-Frame-Options': ['deny', 'sameorigin'] };
const UNSUPPORTED: Record<string, string> = {
  cipher_suites: 'Go cipher suite names are not mapped; Node.js uses its default TLS 1.2/1.3 suites',
  curve_preferences: 'curve preferences are not supported',
  client_allowed_sans: 'client SAN allow-lists are not supported',
  rate_limit: 'rate limiting is not supported',
};
const BCRYPT = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Parse the text of a web config file. `file` names it in errors and anchors relative paths. */
export function parseWebConfig(text: string, file: string): WebConfig {
  const abs = resolve(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: Node | Pair | null | undefined): number | null => {
    const range = node && 'range' in node ? node.range : node && 'key' in node && isScalar(node.key) ? node.key.range : null;
    return range ? lineCounter.linePos(range[0]).line : null;
  };
  const fail = (msg: string, node?: Node | Pair | null, line?: number | null): never => {
    const l = line ?? lineOf(node);
    throw new UserError(`web config ${abs}${l ? ` line ${l}` : ''}: ${msg}`);
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? lineCounter.linePos(firstError.pos[0]).line;
    fail(firstError.message.split('\n')[0] ?? 'invalid YAML', null, line);
  }

  const out: WebConfig = { file: abs, tls: null, basicAuthUsers: null, headers: {} };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!isMap(root)) return fail('expected a mapping at the top level', root);

  const entries = (map: YAMLMap, where: string): [string, Node | null, Pair][] =>
    map.items.map((p) => {
      const pair = p as Pair<Node, Node | null>;
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return fail(`${where}: keys must be strings`, pair.key);
      return [pair.key.value, pair.value, pair as Pair];
    });
  const str = (v: Node | null, key: string, pair: Pair): string => {
    if (v === null || (isScalar(v) && v.value === null)) return '';
    if (!isScalar(v) || (typeof v.value !== 'string' && typeof v.value !== 'number')) return fail(`${key} must be a string`, v ?? pair);
    return String(v.value);
  };
  const bool = (v: Node | null, key: string, pair: Pair): boolean => {
    if (!isScalar(v) || typeof v.value !== 'boolean') return fail(`${key} must be true or false`, v ?? pair);
    return v.value;
  };
  const mapOf = (v: Node | null, key: string): YAMLMap | null => {
    if (v === null || (isScalar(v) && v.value === null)) return null;
    if (!isMap(v)) return fail(`${key} must be a mapping`, v);
    return v;
  };
  const path = (p: string): string => resolve(dirname(abs), p);

  for (const [key, value, pair] of entries(root, 'top level')) {
    if (Object.hasOwn(UNSUPPORTED, key)) fail(`${key} is not supported by crio-sentinel (${UNSUPPORTED[key]})`, pair);
    switch (key) {
      case 'tls_server_config': {
        const m = mapOf(value, key);
        if (!m) break;
        const t: WebTlsConfig = {
          certFile: null,
          keyFile: null,
          clientCaFile: null,
          cert: null,
          key: null,
          clientCa: null,
          clientAuth: 'NoClientCert',
          minVersion: 'TLSv1.2',
          maxVersion: null,
          preferServerCipherSuites: true,
        };
        let clientAuthPair: Pair | null = null;
        for (const [k, v, p] of entries(m, key)) {
          if (Object.hasOwn(UNSUPPORTED, k)) fail(`tls_server_config.${k} is not supported by crio-sentinel (${UNSUPPORTED[k]})`, p);
          switch (k) {
            case 'cert_file': t.certFile = str(v, k, p) ? path(str(v, k, p)) : null; break;
            case 'key_file': t.keyFile = str(v, k, p) ? path(str(v, k, p)) : null; break;
            case 'client_ca_file': t.clientCaFile = str(v, k, p) ? path(str(v, k, p)) : null; break;
            case 'cert': t.cert = str(v, k, p) || null; break;
            case 'key': t.key = str(v, k, p) || null; break;
            case 'client_ca': t.clientCa = str(v, k, p) || null; break;
            case 'client_auth_type': {
              const s = str(v, k, p) || 'NoClientCert';
              if (!(CLIENT_AUTH as readonly string[]).includes(s)) fail(`client_auth_type "${s}" is not one of ${CLIENT_AUTH.join(', ')}`, v ?? p);
              t.clientAuth = s as ClientAuthType;
              clientAuthPair = p;
              break;
            }
            case 'min_version':
            case 'max_version': {
              const s = str(v, k, p);
              const ver = Object.hasOwn(TLS_VERSIONS, s) ? TLS_VERSIONS[s] : undefined;
              if (!ver) fail(`${k} "${s}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`, v ?? p);
              if (k === 'min_version') t.minVersion = ver!;
              else t.maxVersion = ver!;
              break;
            }
            case 'prefer_server_cipher_suites': t.preferServerCipherSuites = bool(v, k, p); break;
            default: fail(`unknown key tls_server_config.${k}`, p);
          }
        }
        if (t.certFile && t.cert) fail('tls_server_config: cert_file and cert are mutually exclusive', m);
        if (t.keyFile && t.key) fail('tls_server_config: key_file and key are mutually exclusive', m);
        if (t.clientCaFile && t.clientCa) fail('tls_server_config: client_ca_file and client_ca are mutually exclusive', m);
        if (!t.certFile && !t.cert) fail('tls_server_config: missing cert_file', m);
        if (!t.keyFile && !t.key) fail('tls_server_config: missing key_file', m);
        const hasCa = Boolean(t.clientCaFile || t.clientCa);
        if (hasCa && t.clientAuth === 'NoClientCert') fail('tls_server_config: client_ca_file is set but client_auth_type is NoClientCert', clientAuthPair ?? m);
        if (!hasCa && (t.clientAuth === 'RequireAndVerifyClientCert' || t.clientAuth === 'VerifyClientCertIfGiven')) {
          fail(`tls_server_config: client_auth_type ${t.clientAuth} needs client_ca_file`, clientAuthPair ?? m);
        }
        if (t.maxVersion && TLS_ORDER.indexOf(t.maxVersion) < TLS_ORDER.indexOf(t.minVersion)) fail('tls_server_config: max_version is below min_version', m);
        out.tls = t;
        break;
      }
      case 'http_server_config': {
        const m = mapOf(value, key);
        if (!m) break;
        for (const [k, v, p] of entries(m, key)) {
          if (k === 'http2') {
            bool(v, k, p); // accepted for compatibility; the server speaks HTTP/1.1
          } else if (k === 'headers') {
            const hm = mapOf(v, 'http_server_config.headers');
            if (!hm) continue;
            for (const [h, hv, hp] of entries(hm, 'http_server_config.headers')) {
              const canonical = ALLOWED_HEADERS.find((a) => a.toLowerCase() === h.toLowerCase());
              if (!canonical) fail(`header "${h}" is not allowed (allowed: ${ALLOWED_HEADERS.join(', ')})`, hp);
              const val = str(hv, h, hp);
              if (/[\r\n]/.test(val)) fail(`header "${h}" contains a line break`, hv ?? hp);
              const allowed = HEADER_VALUES[canonical!];
              if (allowed && !allowed.includes(val)) fail(`header "${canonical}" must be one of ${allowed.join(', ')}, not "${val}"`, hv ?? hp);
              out.headers[canonical!] = val;
            }
          } else {
            fail(`unknown key http_server_config.${k}`, p);
          }
        }
        break;
      }
      case 'basic_auth_users': {
        const m = mapOf(value, key);
        if (!m) break;
        const users: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [u, v, p] of entries(m, key)) {
          const hash = str(v, `basic_auth_users.${u}`, p);
          if (!BCRYPT.test(hash)) fail(`basic_auth_users.${u}: not a bcrypt hash (expected $2a$/$2b$/$2y$, e.g. from htpasswd -nBC 10)`, v ?? p);
          if (u.includes(':')) fail(`basic_auth_users: user name "${u}" contains ":"`, p);
          users[u] = hash;
        }
        if (Object.keys(users).length > 0) out.basicAuthUsers = users;
        break;
      }
      default:
        fail(`unknown key ${key}`, pair);
    }
  }
  return out;
}

const TLS_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The web config file and the PEM files it names are read at most this large. */
export const MAX_WEB_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Read a file the web config needs through the bounded, non-blocking file view (src/config): a
 * FIFO, socket or device is refused without blocking ("… is a FIFO (named pipe), not a regular
 * file"), and a file over MAX_WEB_FILE_BYTES is refused without being read.
 */
export function readWebFile(p: string): Buffer {
  return hostView.readFile(resolve(p), MAX_WEB_FILE_BYTES);
}
const hostView = createHostFileView('/');

/** Read and parse a web config file (the edge: file I/O). Errors are UserErrors naming the file. */
export function loadWebConfig(file: string, readFile: (p: string) => string = (p) => readWebFile(p).toString('utf8')): WebConfig {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw new UserError(`web config ${resolve(file)}: cannot read: ${(err as Error).message}`);
  }
  return parseWebConfig(text, file);
}

/** TLS options for node:https, reading the PEM files now. Errors name the file. */
export function tlsServerOptions(
  t: WebTlsConfig,
  readFile: (p: string) => Buffer = readWebFile,
): { cert: Buffer | string; key: Buffer | string; ca?: Buffer | string; requestCert: boolean; rejectUnauthorized: boolean; minVersion: SecureVersion; maxVersion?: SecureVersion; honorCipherOrder: boolean } {
  const read = (p: string, what: string): Buffer => {
    try {
      return readFile(p);
    } catch (err) {
      throw new UserError(`web config: cannot read ${what} ${p}: ${(err as Error).message}`);
    }
  };
  const cert = t.certFile ? read(t.certFile, 'cert_file') : (t.cert ?? '');
  const key = t.keyFile ? read(t.keyFile, 'key_file') : (t.key ?? '');
  const ca = t.clientCaFile ? read(t.clientCaFile, 'client_ca_file') : (t.clientCa ?? undefined);
  const requestCert = t.clientAuth !== 'NoClientCert';
  return {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    requestCert,
    // only RequireAndVerifyClientCert is enforced by the TLS layer; the other modes are checked per request
    rejectUnauthorized: t.clientAuth === 'RequireAndVerifyClientCert',
    minVersion: t.minVersion,
    ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
    honorCipherOrder: t.preferServerCipherSuites,
  };
}

/**
 * Whether a TLS client passes the configured client_auth_type, given what the TLS layer saw
 * (for the modes the TLS layer cannot enforce alone).
 */
export function clientCertAccepted(mode: ClientAuthType, peer: { presented: boolean; authorized: boolean }): boolean {
  switch (mode) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return true;
    case 'RequireAnyClientCert':
      return peer.presented;
    case 'VerifyClientCertIfGiven':
      return !peer.presented || peer.authorized;
    case 'RequireAndVerifyClientCert':
      return peer.presented && peer.authorized;
  }
}

export type AuthResult =
  | { ok: true; user: string }
  /** missing: no or malformed credentials; invalid: wrong user or password; busy: too many checks queued */
  | { ok: false; reason: 'missing' | 'invalid' | 'busy' };

export interface BasicAuth {
  /** `source` (the client's address) keeps one client's flood from starving the others */
  verify(authorization: string | undefined, source?: string): Promise<AuthResult>;
}

/** Parse `Basic base64(user:password)`; null when malformed. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic[ \t]+([A-Za-z0-9+/=._~-]+)[ \t]*$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** bcrypt's cost factor of a hash (`$2b$12$…` → 12) */
export function bcryptCost(hash: string): number {
  return Number(hash.slice(hash.indexOf('$', 1) + 1, hash.indexOf('$', 1) + 3));
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed bcrypt hash of cost `cost` that no password matches (random salt and digest):
 * comparing a password against it costs exactly what a real check at that cost costs.
 */
export function dummyHash(cost: number): string {
  const c = Math.min(31, Math.max(4, Math.trunc(cost) || 10));
  const body = Array.from(randomBytes(53), (b) => BCRYPT_ALPHABET[b & 63]).join('');
  return `$2b$${String(c).padStart(2, '0')}$${body}`;
}

export interface BasicAuthOptions {
  now?: Clock;
  /** a verified login stays cached while used at least this often (ms); default 10 min */
  ttlMs?: number;
  /** verified logins cached at most (least recently used go first); default 256 */
  maxEntries?: number;
  /** bcrypt checks at once; default 1 (as exporter-toolkit) */
  maxConcurrent?: number;
  /** bcrypt checks waiting, all sources together; default 64 */
  maxQueued?: number;
  /** bcrypt checks waiting per source and user name (unknown names share one); default 4 */
  maxQueuedPerKey?: number;
}

/**
 * Basic auth against bcrypt hashes. bcrypt is deliberately slow (about 90 ms at cost 10 in
 * bcryptjs), so a flood of wrong passwords must neither starve right ones nor tell which users exist:
 * - A verified login is cached (keyed by a SHA-256 of user, hash and password, as exporter-toolkit
 *   does) for as long as it keeps being used within `ttlMs`; failures are never cached, so a flood
 *   cannot evict a verified login. The cache belongs to this user list: a re-read web config
 *   (SIGHUP) starts an empty one, so removed users are refused at once.
 * - bcrypt checks wait in one queue per (source address, user name), served round-robin, one check
 *   at a time. A queue holds at most `maxQueuedPerKey` checks and all together at most `maxQueued`;
 *   beyond that a request is refused as 'busy' at constant cost (no bcrypt), and when the total is
 *   reached a newcomer from a shorter queue displaces the newest check of the longest one. A flood
 *   from one source, or against one name, therefore only fills its own queue: other sources and
 *   users keep getting a turn every other check.
 * - Constant work: an unknown user is checked against a dummy hash with the highest cost in the
 *   file, and a check against a cheaper hash holds its turn until a check at that highest cost
 *   would have ended (measured), so response time tells neither whether a user exists nor which
 *   cost its hash has.
 */
export function createBasicAuth(users: Record<string, string>, deps: BasicAuthOptions = {}): BasicAuth {
  const now = deps.now ?? Date.now;
  const ttlMs = deps.ttlMs ?? 600_000;
  const maxEntries = deps.maxEntries ?? 256;
  const maxConcurrent = deps.maxConcurrent ?? 1;
  const maxQueued = deps.maxQueued ?? 64;
  const maxQueuedPerKey = deps.maxQueuedPerKey ?? 4;
  /** LRU: Map order is use order */
  const cache = new Map<string, { user: string; expires: number; digest: Buffer }>();
  const costs = Object.values(users).map(bcryptCost);
  const maxCost = costs.length ? Math.max(...costs) : 10;
  const dummy = dummyHash(maxCost);
  /** how long one check at maxCost takes here (ms); measured on the checks at that cost */
  let fullCheckMs: number | null = null;
  let calibration: Promise<void> | null = null;
  const measured = (ms: number): void => {
    fullCheckMs = fullCheckMs === null ? ms : fullCheckMs * 0.8 + ms * 0.2;
  };
  const calibrate = (): Promise<void> => {
    calibration ??= (async () => {
      const t0 = performance.now();
      await bcrypt.compare('calibration', dummy);
      measured(performance.now() - t0);
    })();
    return calibration;
  };

  let running = 0;
  let queued = 0;
  /** waiters per key, served round-robin in Map order */
  const queues = new Map<string, ((go: boolean) => void)[]>();
  const next = (): void => {
    while (running < maxConcurrent && queues.size > 0) {
      const [key, q] = queues.entries().next().value as [string, ((go: boolean) => void)[]];
      queues.delete(key);
      const w = q.shift()!;
      queued--;
      if (q.length > 0) queues.set(key, q); // to the back: the next key gets the next turn
      running++;
      w(true);
    }
  };
  /** Wait for a bcrypt turn: true when it is ours, false when refused (queue full). */
  const acquire = (key: string): Promise<boolean> => {
    if (running < maxConcurrent && queues.size === 0) {
      running++;
      return Promise.resolve(true);
    }
    const mine = queues.get(key);
    if ((mine?.length ?? 0) >= maxQueuedPerKey) return Promise.resolve(false);
    if (queued >= maxQueued) {
      let longest: ((go: boolean) => void)[] | null = null;
      for (const q of queues.values()) if (!longest || q.length > longest.length) longest = q;
      if (!longest || longest.length <= (mine?.length ?? 0) + 1) return Promise.resolve(false);
      longest.pop()!(false);
      queued--;
    }
    return new Promise<boolean>((resolve) => {
      const q = queues.get(key) ?? [];
      q.push(resolve);
      queues.set(key, q);
      queued++;
    });
  };
  const release = (): void => {
    running--;
    next();
  };
  const cached = (key: string, digest: Buffer): string | null => {
    const hit = cache.get(key);
    if (!hit) return null;
    cache.delete(key);
    if (hit.expires > now() && timingSafeEqual(hit.digest, digest)) {
      hit.expires = now() + ttlMs;
      cache.set(key, hit); // most recently used last
      return hit.user;
    }
    return null;
  };
  return {
    async verify(authorization, source = '') {
      const cred = parseBasicAuthorization(authorization);
      if (!cred) return { ok: false, reason: 'missing' };
      const hash = Object.prototype.hasOwnProperty.call(users, cred.user) ? users[cred.user] : undefined;
      const digest = createHash('sha256').update(cred.user).update('\0').update(hash ?? '').update('\0').update(cred.password).digest();
      const key = digest.toString('hex');
      const hit = cached(key, digest);
      if (hit !== null) return { ok: true, user: hit };
      const queue = `${source}\0${hash === undefined ? '' : cred.user}`;
      if (!(await acquire(queue))) return { ok: false, reason: 'busy' };
      let ok: boolean;
      try {
        // a request queued behind the same credentials finds them cached now
        const late = cached(key, digest);
        if (late !== null) return { ok: true, user: late };
        const against = hash ?? dummy;
        const t0 = performance.now();
        ok = await bcrypt.compare(cred.password, against);
        const took = performance.now() - t0;
        if (bcryptCost(against) >= maxCost) measured(took);
        else {
          // a cheaper hash: hold the turn until a check at the highest cost would have ended
          await calibrate();
          const rest = (fullCheckMs ?? 0) - (performance.now() - t0);
          if (rest > 0) await new Promise((r) => setTimeout(r, rest));
        }
      } finally {
        release();
      }
      if (!ok || hash === undefined) return { ok: false, reason: 'invalid' };
      if (cache.size >= maxEntries) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(key, { user: cred.user, expires: now() + ttlMs, digest });
      return { ok: true, user: cred.user };
    },
  };
}
