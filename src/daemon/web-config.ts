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
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Clock } from '../core/types.js';
import { UserError } from '../core/errors.js';

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

/** Read and parse a web config file (the edge: file I/O). Errors are UserErrors naming the file. */
export function loadWebConfig(file: string, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): WebConfig {
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
  readFile: (p: string) => Buffer = (p) => readFileSync(p),
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
  verify(authorization: string | undefined): Promise<AuthResult>;
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

/**
 * Basic auth against bcrypt hashes. bcrypt is deliberately slow (about 90 ms at cost 10 in
 * bcryptjs), so:
 * - successful verifications are cached for `ttlMs`, keyed by a SHA-256 of user, hash and password
 *   (exporter-toolkit caches by user, hash and password too); failures are not cached;
 * - at most `maxConcurrent` bcrypt checks run at once (exporter-toolkit runs one at a time), and at
 *   most `maxQueued` wait; further requests get 'busy' instead of piling up CPU work and memory;
 * - unknown users are checked against a dummy hash so that response time does not reveal which
 *   users exist.
 */
export function createBasicAuth(
  users: Record<string, string>,
  deps: { now?: Clock; ttlMs?: number; maxEntries?: number; maxConcurrent?: number; maxQueued?: number } = {},
): BasicAuth {
  const now = deps.now ?? Date.now;
  const ttlMs = deps.ttlMs ?? 60_000;
  const maxEntries = deps.maxEntries ?? 256;
  const maxConcurrent = deps.maxConcurrent ?? 1;
  const maxQueued = deps.maxQueued ?? 32;
  const cache = new Map<string, { user: string; expires: number; digest: Buffer }>();
  // a valid hash of a forgotten random string at cost 10: comparing against it costs what a real check costs
  const dummy = '$2b$10$/wpHxvjATyW8PtUAHgUKf.qpopGKdrCzERVHD6bGypR8vLy.ZlpR2';
  let running = 0;
  const waiting: (() => void)[] = [];
  /** Take a bcrypt slot: true at once or after waiting, false when the queue is full. */
  const acquire = (): Promise<boolean> | boolean => {
    if (running < maxConcurrent) {
      running++;
      return true;
    }
    if (waiting.length >= maxQueued) return false;
    return new Promise<boolean>((resolve) => waiting.push(() => resolve(true)));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next(); // the slot passes to the next waiter
    else running--;
  };
  const cached = (key: string, digest: Buffer): string | null => {
    const hit = cache.get(key);
    if (!hit) return null;
    if (hit.expires > now() && timingSafeEqual(hit.digest, digest)) return hit.user;
    cache.delete(key);
    return null;
  };
  return {
    async verify(authorization) {
      const cred = parseBasicAuthorization(authorization);
      if (!cred) return { ok: false, reason: 'missing' };
      const hash = Object.prototype.hasOwnProperty.call(users, cred.user) ? users[cred.user] : undefined;
      const digest = createHash('sha256').update(cred.user).update('\0').update(hash ?? '').update('\0').update(cred.password).digest();
      const key = digest.toString('hex');
      const hit = cached(key, digest);
      if (hit !== null) return { ok: true, user: hit };
      if (!(await acquire())) return { ok: false, reason: 'busy' };
      let ok: boolean;
      try {
        // a request queued behind the same credentials finds them cached now
        const late = cached(key, digest);
        if (late !== null) return { ok: true, user: late };
        ok = await bcrypt.compare(cred.password, hash ?? dummy);
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
