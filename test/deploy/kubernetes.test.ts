import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { DEFAULT_CRIO_SOCKET, parseRunFlags } from '../../src/daemon/flags.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');

/** parsed manifests are untyped YAML */
type Obj = Record<string, any>;

function load(file: string): Obj[] {
  const docs = parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Obj).filter((o) => o !== null);
}

const all = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => load(f).map((o) => ({ file: f, o })));
const ds = all.find((x) => x.o.kind === 'DaemonSet')!.o;
const pod = ds.spec.template.spec;
const container = pod.containers[0];
const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
const mounts: Obj[] = container.volumeMounts;
const flags = parseRunFlags(container.args.slice(1), { NODE_NAME: 'gpu-node-1' }, 'pod-hostname');

/** host path -> mount path of hostPath volumes */
function hostMounts(): Map<string, { mountPath: string; readOnly: boolean }> {
  const out = new Map<string, { mountPath: string; readOnly: boolean }>();
  for (const m of mounts) {
    const v = volumes.get(m.name);
    if (v?.hostPath) out.set(v.hostPath.path, { mountPath: m.mountPath, readOnly: m.readOnly === true });
  }
  return out;
}

describe('Kubernetes manifests', () => {
  it('every manifest parses, has a kind and is in the crio-sentinel namespace', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const { file, o } of all) {
      expect(o.kind, file).toBeTruthy();
      expect(o.apiVersion, file).toBeTruthy();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${file} ${o.kind}`).toBe('crio-sentinel');
    }
  });

  it('kustomization lists files that exist', () => {
    const k = parse(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const r of k.resources) expect(fs.existsSync(path.join(DIR, r)), r).toBe(true);
    expect(k.resources).toContain('daemonset.yaml');
  });

  it('runs `crio-sentinel run` with flags the daemon accepts, rooted at /host', () => {
    expect(container.args[0]).toBe('run');
    expect(flags.root).toBe('/host');
    expect(flags.listen.port).toBe(container.ports.find((p: Obj) => p.name === 'metrics').containerPort);
    expect(flags.demo).toBe(false);
  });

  it('takes the node name from the downward API', () => {
    const env = container.env.find((e: Obj) => e.name === 'NODE_NAME');
    expect(env.valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
    expect(flags.nodeName).toBe('gpu-node-1');
  });

  it('mounts the node files read-only under the --root the daemon reads them from', () => {
    const hm = hostMounts();
    const wanted = ['/etc/crio', '/etc/nvidia-container-runtime', '/var/log/journal', '/run/log/journal', '/etc/apparmor.d', path.dirname(DEFAULT_CRIO_SOCKET)];
    for (const host of wanted) {
      const m = hm.get(host);
      expect(m, host).toBeDefined();
      expect(m!.mountPath, host).toBe(path.posix.join(flags.root, host));
      expect(m!.readOnly, `${host} is read-only`).toBe(true);
    }
    // the socket the daemon opens (a host path under --root) is inside a mounted directory
    expect(path.posix.join(flags.root, flags.crioSocket).startsWith(hm.get(path.dirname(flags.crioSocket))!.mountPath + '/')).toBe(true);
  });

  it('writes only its state directory (a hostPath at the --state-dir) and a small tmpfs', () => {
    const writable = mounts.filter((m) => m.readOnly !== true);
    expect(writable.map((m) => m.mountPath).sort()).toEqual(['/tmp', flags.stateDir].sort());
    const state = volumes.get(writable.find((m) => m.mountPath === flags.stateDir)!.name)!;
    expect(state.hostPath).toEqual({ path: '/var/lib/crio-sentinel', type: 'DirectoryOrCreate' });
    expect(volumes.get(writable.find((m) => m.mountPath === '/tmp')!.name)!.emptyDir.sizeLimit).toBeTruthy();
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('has no privileges beyond reading the node', () => {
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.privileged).toBe(false);
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    expect(container.securityContext.capabilities.add).toBeUndefined();
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    // no RBAC: the daemon makes no Kubernetes API calls
    expect(all.filter(({ o }) => /Role/.test(o.kind))).toEqual([]);
  });

  it('tolerates GPU taints and every other taint', () => {
    expect(pod.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
  });

  it('has requests and limits, and probes on /healthz and /readyz', () => {
    for (const k of ['cpu', 'memory']) {
      expect(container.resources.requests[k], k).toBeTruthy();
      expect(container.resources.limits[k], k).toBeTruthy();
    }
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('can be scraped: pod annotations, a headless Service and a ServiceMonitor on the metrics port', () => {
    const ann = ds.spec.template.metadata.annotations;
    expect(ann['prometheus.io/scrape']).toBe('true');
    expect(ann['prometheus.io/port']).toBe(String(flags.listen.port));
    const svc = all.find((x) => x.o.kind === 'Service')!.o;
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.selector).toEqual(ds.spec.selector.matchLabels);
    const sm = all.find((x) => x.o.kind === 'ServiceMonitor')!.o;
    expect(sm.spec.selector.matchLabels).toEqual(svc.metadata.labels);
    expect(sm.spec.endpoints[0].port).toBe(svc.spec.ports[0].name);
    // the alert rules select job="crio-sentinel": the ServiceMonitor's job is the Service name
    expect(svc.metadata.name).toBe('crio-sentinel');
    // a target label "node" would clash with crio_sentinel_node_info's node label
    expect(JSON.stringify(sm.spec.endpoints)).not.toMatch(/targetLabel"?:\s*"?node\b/);
  });

  it('the PrometheusRule carries exactly the rules of dashboards/crio-sentinel.rules.yml', () => {
    const pr = all.find((x) => x.o.kind === 'PrometheusRule')!.o;
    const rules = parse(fs.readFileSync(path.join(ROOT, 'dashboards/crio-sentinel.rules.yml'), 'utf8')) as Obj;
    expect(pr.spec).toEqual(rules);
  });
});
