/**
 * A fake CRI-O for tests: the HTTP/1 endpoints CRI-O serves on its CRI socket (server/inspect.go),
 * over a REAL unix socket.
 *   GET /config  -> TOML of the live config, in the shape `crio status config` prints
 *                   (BurntSushi encoder, two-space indents, no comments), Content-Type application/toml
 *   GET /info    -> JSON CrioInfo with the real field names
 *   GET /containers/<id> -> 404 "can't find the container with id <id>"
 *   anything else -> 404
 * Mutable: switch the default runtime, replace handlers, go down and up again.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHandler {
  runtimePath: string;
  runtimeRoot: string;
  runtimeType?: string;
  monitorPath?: string;
}

export interface FakeCrioState {
  defaultRuntime: string;
  runtimes: Record<string, FakeHandler>;
  /** status code forced on every request (e.g. 500); null = normal */
  forceStatus: number | null;
}

export interface FakeCrio {
  socketPath: string;
  state: FakeCrioState;
  /** requests seen, as "METHOD path host" */
  requests: string[];
  setDefaultRuntime(name: string): void;
  setRuntimes(r: Record<string, FakeHandler>): void;
  /** stop listening and remove the socket (CRI-O is down) */
  down(): Promise<void>;
  /** listen again */
  up(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_HANDLERS: Record<string, FakeHandler> = {
  crun: { runtimePath: '/usr/libexec/crio/crun', runtimeRoot: '/run/crun' },
  runc: { runtimePath: '/usr/libexec/crio/runc', runtimeRoot: '/run/runc' },
};

/** Render the live config TOML like CRI-O's ToBytes (abridged to stable keys; values quoted like BurntSushi). */
export function renderLiveConfig(state: Pick<FakeCrioState, 'defaultRuntime' | 'runtimes'>): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    '[crio]',
    '  root = "/var/lib/containers/storage"',
    '  runroot = "/run/containers/storage"',
    '  storage_driver = "overlay"',
    '  log_dir = "/var/log/crio/pods"',
    '  version_file = "/var/run/crio/version"',
    '  clean_shutdown_file = "/var/lib/crio/clean.shutdown"',
    '  internal_wipe = true',
    '  [crio.api]',
    '    grpc_max_send_msg_size = 83886080',
    '    grpc_max_recv_msg_size = 83886080',
    '    listen = "/var/run/crio/crio.sock"',
    '    stream_address = "127.0.0.1"',
    '    stream_port = "0"',
    '  [crio.runtime]',
    '    no_pivot = false',
    '    selinux = false',
    '    log_to_journald = false',
    '    drop_infra_ctr = true',
    '    default_capabilities = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"]',
    `    default_runtime = ${q(state.defaultRuntime)}`,
    '    conmon = ""',
    '    conmon_cgroup = "pod"',
    '    cgroup_manager = "systemd"',
    '    log_level = "info"',
    '    pinns_path = "/usr/libexec/crio/pinns"',
    '    pids_limit = -1',
    '    log_size_max = -1',
    '    ctr_stop_timeout = 30',
    '    [crio.runtime.runtimes]',
  ];
  for (const [name, h] of Object.entries(state.runtimes)) {
    lines.push(
      `      [crio.runtime.runtimes.${name}]`,
      '        runtime_config_path = ""',
      `        runtime_path = ${q(h.runtimePath)}`,
      `        runtime_type = ${q(h.runtimeType ?? 'oci')}`,
      `        runtime_root = ${q(h.runtimeRoot)}`,
      `        monitor_path = ${q(h.monitorPath ?? '/usr/libexec/crio/conmon')}`,
      '        monitor_cgroup = "pod"',
      '        monitor_env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]',
      '        container_min_memory = "12MiB"',
      '        no_sync_log = false',
    );
  }
  lines.push(
    '  [crio.image]',
    '    default_transport = "docker://"',
    '    pause_image = "registry.k8s.io/pause:3.10"',
    '    pause_command = "/pause"',
    '  [crio.network]',
    '    cni_default_network = ""',
    '    network_dir = "/etc/cni/net.d/"',
    '    plugin_dirs = ["/opt/cni/bin/"]',
    '  [crio.metrics]',
    '    enable_metrics = false',
    '    metrics_host = "127.0.0.1"',
    '    metrics_port = 9090',
    '',
  );
  return lines.join('\n');
}

/** The CrioInfo JSON (server/inspect.go, types.CrioInfo field names). */
export function crioInfo(): Record<string, unknown> {
  return {
    storage_driver: 'overlay',
    storage_image: '',
    storage_root: '/var/lib/containers/storage',
    cgroup_driver: 'systemd',
    default_id_mappings: { uids: [{ container_id: 0, host_id: 0, size: 4294967295 }], gids: [{ container_id: 0, host_id: 0, size: 4294967295 }] },
  };
}

export async function startFakeCrio(
  socketPath: string,
  init: Partial<Pick<FakeCrioState, 'defaultRuntime' | 'runtimes'>> = {},
): Promise<FakeCrio> {
  const state: FakeCrioState = {
    defaultRuntime: init.defaultRuntime ?? 'crun',
    runtimes: init.runtimes ?? { ...DEFAULT_HANDLERS },
    forceStatus: null,
  };
  const requests: string[] = [];
  let server: http.Server | null = null;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.host ?? ''}`);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (state.forceStatus !== null) return send(state.forceStatus, 'text/plain; charset=utf-8', 'internal error\n');
    if (req.method !== 'GET') return send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    const url = req.url ?? '/';
    if (url === '/config') return send(200, 'application/toml', renderLiveConfig(state));
    if (url === '/info') return send(200, 'application/json', JSON.stringify(crioInfo()));
    const m = /^\/containers\/([^/]+)$/.exec(url);
    if (m) return send(404, 'text/plain; charset=utf-8', `can't find the container with id ${m[1]}`);
    send(404, 'text/plain; charset=utf-8', '404 page not found\n');
  };

  const up = async (): Promise<void> => {
    if (server) return;
    fs.rmSync(socketPath, { force: true });
    const s = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(socketPath, () => resolve());
    });
    void (s.address() as AddressInfo | string);
    server = s;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    fs.rmSync(socketPath, { force: true });
  };

  await up();
  return {
    socketPath,
    state,
    requests,
    setDefaultRuntime(name) {
      state.defaultRuntime = name;
    },
    setRuntimes(r) {
      state.runtimes = r;
    },
    down,
    up,
    close: down,
  };
}
