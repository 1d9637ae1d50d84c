/**
 * The Kubernetes manifests, linted and checked against the engine. There is no kustomize on the
 * build machines, so build() below evaluates the subset of kustomize the manifests use (resources,
 * components, JSON 6902 `add` patches on labels) and fails on anything else, so that a manifest
 * using more cannot pass unchecked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { main as checkMain } from '../../src/commands/check.js';
import { WRAPPER_PATH } from '../../src/config/nvidia.js';
import { CRIO_PATH } from '../../src/config/resolve.js';
import { DEFAULT_CRIO_SOCKET, parseRunFlags } from '../../src/daemon/flags.js';
import { runCommand } from '../helpers/run-command.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');
const OVERLAY = path.join(DIR, 'overlays/kube-prometheus-stack');

/** parsed manifests are untyped YAML */
type Obj = Record<string, any>;

function loadFile(file: string): Obj[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${path.relative(ROOT, file)}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Obj).filter((o) => o !== null);
}

interface Built {
  objects: { file: string; o: Obj }[];
  /** every file the build read (manifests and kustomization.yaml files) */
  files: Set<string>;
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'resources', 'components', 'patches']);

/** Apply one JSON 6902 patch (only `add` of a map key, the one form the manifests use). */
function applyPatch(o: Obj, ops: Obj[], where: string): void {
  for (const op of ops) {
    if (op.op !== 'add' || typeof op.path !== 'string') throw new Error(`${where}: only "add" patches are understood, got ${JSON.stringify(op)}`);
    const keys = op.path.split('/').slice(1).map((k: string) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cur: Obj = o;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) throw new Error(`${where}: ${op.path}: parent ${k} missing`);
      cur = cur[k];
    }
    cur[keys[keys.length - 1]!] = op.value;
  }
}

/** `kubectl kustomize <dir>` for the subset of kustomize used here. */
function build(dir: string, into: Built = { objects: [], files: new Set() }, expectKind = 'Kustomization'): Built {
  const kfile = path.join(dir, 'kustomization.yaml');
  const k = parse(fs.readFileSync(kfile, 'utf8')) as Obj;
  into.files.add(kfile);
  const where = path.relative(ROOT, kfile);
  expect(k.kind, where).toBe(expectKind);
  expect(k.apiVersion, where).toBe(expectKind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1');
  for (const key of Object.keys(k)) if (!KNOWN_KEYS.has(key)) throw new Error(`${where}: "${key}" is not evaluated by this test's kustomize subset`);
  for (const r of (k.resources ?? []) as string[]) {
    const p = path.resolve(dir, r);
    if (fs.statSync(p).isDirectory()) build(p, into);
    else {
      // kustomize's load restrictor: a resource FILE must be inside the kustomization's directory
      expect(path.relative(dir, p).startsWith('..'), `${where}: ${r} is outside ${dir}`).toBe(false);
      into.files.add(p);
      for (const o of loadFile(p)) into.objects.push({ file: path.relative(DIR, p), o });
    }
  }
  for (const c of (k.components ?? []) as string[]) build(path.resolve(dir, c), into, 'Component');
  for (const pt of (k.patches ?? []) as Obj[]) {
    const hits = into.objects.filter(({ o }) => (!pt.target.kind || o.kind === pt.target.kind) && (!pt.target.name || o.metadata?.name === pt.target.name));
    expect(hits.length, `${where}: patch target ${JSON.stringify(pt.target)} matches a resource`).toBeGreaterThan(0);
    for (const h of hits) applyPatch(h.o, parse(pt.patch as string) as Obj[], where);
  }
  return into;
}

const base = build(DIR);
const overlay = build(OVERLAY);
const all = overlay.objects;
const ds = all.find((x) => x.o.kind === 'DaemonSet')!.o;
const pod = ds.spec.template.spec;
const container = pod.containers[0];
const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
const mounts: Obj[] = container.volumeMounts;
const flags = parseRunFlags(container.args.slice(1), { NODE_NAME: 'gpu-node-1' }, 'pod-hostname');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

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

  it('the base applies without the Prometheus Operator CRDs; the overlay adds the ServiceMonitor and PrometheusRule', () => {
    expect(base.objects.map(({ o }) => o.kind).sort()).toEqual(['DaemonSet', 'Namespace', 'Service', 'ServiceAccount']);
    expect(all.map(({ o }) => o.kind).sort()).toEqual(['DaemonSet', 'Namespace', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  });

  it('every YAML file under deploy/kubernetes is part of the overlay build (no orphan manifest)', () => {
    const yamls = (fs.readdirSync(DIR, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(DIR, f));
    expect(yamls.filter((f) => !overlay.files.has(f)).map((f) => path.relative(DIR, f))).toEqual([]);
  });

  it('the kube-prometheus-stack component labels the ServiceMonitor and PrometheusRule with release, and only them', () => {
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      expect(all.find(({ o }) => o.kind === kind)!.o.metadata.labels, kind).toEqual({ 'app.kubernetes.io/name': 'crio-sentinel', release: 'kube-prometheus-stack' });
    }
    for (const { o } of all.filter(({ o }) => !['ServiceMonitor', 'PrometheusRule'].includes(o.kind))) expect(o.metadata.labels?.release, o.kind).toBeUndefined();
    // the same build without that component: no release label
    const plain = build(path.join(DIR, 'components/prometheus-operator'), { objects: [], files: new Set() }, 'Component');
    expect(plain.objects.find(({ o }) => o.kind === 'ServiceMonitor')!.o.metadata.labels.release).toBeUndefined();
  });

  it('the kustomize subset refuses what it does not evaluate (it can fail)', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-kust-'));
    tmpDirs.push(d);
    fs.writeFileSync(path.join(d, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels: {a: b}\n');
    expect(() => build(d)).toThrow(/commonLabels/);
    expect(() => applyPatch({ metadata: {} }, [{ op: 'replace', path: '/metadata/name', value: 'x' }], 't')).toThrow(/only "add"/);
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
    const wanted = ['/etc/crio', '/etc/nvidia-container-runtime', '/var/log/journal', '/run/log/journal', '/etc/apparmor.d', path.dirname(DEFAULT_CRIO_SOCKET), '/usr', '/opt', '/bin', '/sbin'];
    for (const host of wanted) {
      const m = hm.get(host);
      expect(m, host).toBeDefined();
      expect(m!.mountPath, host).toBe(path.posix.join(flags.root, host));
      expect(m!.readOnly, `${host} is read-only`).toBe(true);
    }
    // the socket the daemon opens (a host path under --root) is inside a mounted directory
    expect(path.posix.join(flags.root, flags.crioSocket).startsWith(hm.get(path.dirname(flags.crioSocket))!.mountPath + '/')).toBe(true);
  });

  it('mounts every directory the engine searches for runtime binaries (CRI-O\'s PATH, the wrapper\'s PATH)', () => {
    const mounted = [...hostMounts().keys()];
    const covered = (dir: string): boolean => mounted.some((m) => dir === m || dir.startsWith(m + '/'));
    expect([...new Set([...CRIO_PATH, ...WRAPPER_PATH])].filter((d) => !covered(d))).toEqual([]);
    // where packaged and operator-installed runtimes live
    for (const d of ['/usr/libexec/crio', '/usr/local/nvidia/toolkit', '/opt']) expect(covered(d), d).toBe(true);
  });

  describe('in a pod laid out like the DaemonSet, the engine sees what it sees on the host', () => {
    const nodes = fs.readdirSync(path.join(ROOT, 'examples/nodes')).filter((n) => fs.statSync(path.join(ROOT, 'examples/nodes', n)).isDirectory());

    /** a copy of the node tree holding only what the DaemonSet mounts, at its mount paths */
    function podView(node: string, skip: string[] = []): string {
      const view = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-podview-'));
      tmpDirs.push(view);
      for (const [host, m] of hostMounts()) {
        if (skip.includes(host)) continue;
        const src = path.join(ROOT, 'examples/nodes', node, host);
        if (fs.existsSync(src)) fs.cpSync(src, path.join(view, m.mountPath), { recursive: true });
      }
      return path.join(view, flags.root);
    }
    async function check(root: string, version: string): Promise<{ ids: string[]; wouldStart: boolean }> {
      const r = await runCommand(checkMain, ['--root', root, '--crio-version', version, '--output', 'json']);
      const j = JSON.parse(r.out) as { crioWouldStart: boolean; findings: { id: string }[] };
      return { ids: j.findings.map((f) => f.id).sort(), wouldStart: j.crioWouldStart };
    }
    const version = (node: string): string => fs.readFileSync(path.join(ROOT, 'examples/nodes', node, '.crio-sentinel-version'), 'utf8').trim();

    it.each(nodes)('%s: same findings and the same "would start" through the mounts as on the whole tree', async (node) => {
      const onHost = await check(path.join(ROOT, 'examples/nodes', node), version(node));
      const inPod = await check(podView(node), version(node));
      expect(inPod).toEqual(onHost);
      expect(inPod.ids.filter((id) => /binary-missing/.test(id))).toEqual(onHost.ids.filter((id) => /binary-missing/.test(id)));
    });

    it('without the /usr mount the engine reports the binaries missing (the check can fail)', async () => {
      const inPod = await check(podView('nvidia-default', ['/usr']), version('nvidia-default'));
      expect(inPod.ids).toContain('default-runtime-binary-missing');
      expect(inPod.wouldStart).toBe(false);
    });
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
    // the stuck pod's namespace/pod labels must survive the operator's target labels (issue #10)
    for (const ep of sm.spec.endpoints) expect(ep.honorLabels, 'honorLabels').toBe(true);
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
