/**
 * Read-only client for CRI-O's HTTP/1.1 endpoints on its CRI socket (crio-config.md §10):
 * `GET /config` (TOML of the live, validated config) and `GET /info` (JSON CrioInfo).
 * gRPC and HTTP/1 share the socket; CRI-O's own client sends `Host: crio`.
 * Every request has a timeout and a response size cap; nothing here retries or caches.
 */
import http from 'node:http';

export interface CrioClientOptions {
  /** path of the socket on THIS machine (already mapped under --root) */
  socketPath: string;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface CrioClient {
  /** raw TOML body of GET /config */
  getConfig(): Promise<string>;
  /** parsed JSON body of GET /info */
  getInfo(): Promise<Record<string, unknown>>;
}

export class CrioApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'CrioApiError';
  }
}

const DEFAULT_TIMEOUT_MS = 2000;
/** /config is about 6 KB on a real node; 1 MiB leaves room and still bounds memory */
const DEFAULT_MAX_BYTES = 1 << 20;

export function createCrioClient(opts: CrioClientOptions): CrioClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;

  const get = (path: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, body?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(body ?? '');
      };
      const req = http.request(
        { socketPath: opts.socketPath, path, method: 'GET', headers: { Host: 'crio', Accept: '*/*' }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) {
              req.destroy();
              done(new CrioApiError(`GET ${path}: response larger than ${maxBytes} bytes`, res.statusCode ?? null));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status !== 200) {
              done(new CrioApiError(`GET ${path}: HTTP ${status}${body ? `: ${body.trim().slice(0, 200)}` : ''}`, status));
            } else done(null, body);
          });
          res.on('error', (e) => done(new CrioApiError(`GET ${path}: ${e.message}`, null)));
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        done(new CrioApiError(`GET ${path}: no answer within ${timeoutMs} ms`, null));
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) =>
        done(new CrioApiError(`GET ${path} on ${opts.socketPath}: ${e.message}`, null)),
      );
      req.end();
    });

  return {
    getConfig: () => get('/config'),
    async getInfo() {
      const body = await get('/info');
      let v: unknown;
      try {
        v = JSON.parse(body);
      } catch {
        throw new CrioApiError('GET /info: response is not JSON', 200);
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CrioApiError('GET /info: response is not a JSON object', 200);
      return v as Record<string, unknown>;
    },
  };
}
