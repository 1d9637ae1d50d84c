/**
 * End-to-end: two real daemons, Debian's Prometheus scraping them every second with the shipped
 * alert rules, and Debian's Alertmanager receiving from it, all on loopback.
 *
 * - node 1 runs `run --demo --root <copy of examples/nodes/nvidia-default>`: the bundled incident
 *   replayed in real time, so the test can rewrite the copy's drop-in without touching the repository;
 * - node 2 runs `run --root <another copy> --journal-directory <dir>` like production, following a
 *   real journal file (systemd-journal-remote writes it, the real journalctl reads it). The test
 *   appends lines to it: an exec probe loop that then stops, and the removal of a stuck container.
 *
 * Fire-and-resolve cycles through Alertmanager's API: the config alert (drop-in fixed), the exec-loop
 * alert (the loop stops: node 2 runs with --exec-loop-quiet=8s instead of 5m) and the stuck-pod alert
 * (the pod's container is removed).
 *
 * Documented deviations from production, to stay under two minutes: the rule file is the shipped one
 * with every `for:` set to 0s and the stuck-pod age threshold (600 s) set to 0 (e2eRules() fails
 * loudly if the shipped file stops matching); the daemons run with --stuck-threshold=5s / 1s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { needBinary } from '../helpers/binaries.js';
import { appendJournal, journalctlBinary, journalRemote, makeJournal } from '../helpers/journal-fixture.js';
import { allTargets, type Dashboard, METRIC_CONTRACT, metricNames, substitute } from '../mixin/dashboard-lint.js';
import { containerRemoved, containerStarted, execDenied, stuckStop } from './journal-story.js';
import { e2eRules, freePort, getJson, httpOk, start, stop, waitFor, type Started } from './processes.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST_CLI = path.join(ROOT, 'dist/src/cli.js');
const NODE_NAME = 'e2e-gpu-node';
const NODE2_NAME = 'e2e-gpu-node-2';
const JOB = 'crio-sentinel';
/** node 2's story: a pod whose container cannot be killed, and a container whose exec probes fail */
const STUCK = { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', ns: 'ml-e2e', pod: 'stuck-trainer-0', name: 'trainer' };
const EXEC = { id: 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f', ns: 'ml-e2e', pod: 'probe-target-0', name: 'server' };
/** node 2: a loop ends after this long without failures (production default 5m) */
const EXEC_QUIET_S = 8;

const prometheusBin = needBinary('prometheus', 'prometheus');
const alertmanagerBin = needBinary('prometheus-alertmanager', 'prometheus-alertmanager');
const haveJournalTools = journalRemote() !== null && journalctlBinary() !== null;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
  status: { state: string };
}
interface PromResult {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}
interface DaemonStatusLite {
  events: { stuckTerminating: { namespace: string | null; pod: string | null; resolved: boolean }[] } | null;
}

describe.skipIf(!prometheusBin || !alertmanagerBin || !haveJournalTools)('end-to-end: crio-sentinel -> Prometheus -> Alertmanager', () => {
  let tmp = '';
  let node = '';
  const procs: Started[] = [];
  let daemonUrl = '';
  let promUrl = '';
  let amUrl = '';
  let daemonInstance = '';
  let daemon2Instance = '';
  let journalFile = '';
  const startedAt = Date.now();
  const timings: string[] = [];
  const mark = (what: string): void => {
    timings.push(`${what} at ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  };
  const context = (): string => procs.map((p) => p.output()).join('\n');

  async function promQuery(q: string): Promise<PromResult> {
    return await getJson<PromResult>(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  }
  async function amAlerts(): Promise<AmAlert[]> {
    return await getJson<AmAlert[]>(`${amUrl}/api/v2/alerts`);
  }
  /** active alerts of that name (of one instance when given) */
  const firing = (alerts: AmAlert[], name: string, instance?: string): AmAlert[] =>
    alerts.filter(
      (a) => a.labels.alertname === name && a.status.state === 'active' && Date.parse(a.endsAt) > Date.now() && (instance === undefined || a.labels.instance === instance),
    );
  /** resolves when the alert (of that instance) is firing neither in Prometheus nor in Alertmanager */
  async function resolved(name: string, instance: string): Promise<true | undefined> {
    const prom = await promQuery(`ALERTS{alertname="${name}", alertstate="firing", instance="${instance}"}`);
    const am = firing(await amAlerts(), name, instance);
    return prom.data.result.length === 0 && am.length === 0 ? true : undefined;
  }

  beforeAll(async () => {
    if (!fs.existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing: run \`npm run build\` (npm test builds it before vitest)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-e2e-'));
    // a private copy of the demo node (`run --demo --root <copy>`), so the test can edit its drop-in
    node = path.join(tmp, 'node');
    fs.cpSync(path.join(ROOT, 'examples/nodes/nvidia-default'), node, { recursive: true });

    const [dPort, d2Port, pPort, aPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    daemonInstance = `127.0.0.1:${dPort}`;
    daemon2Instance = `127.0.0.1:${d2Port}`;
    daemonUrl = `http://${daemonInstance}`;
    promUrl = `http://127.0.0.1:${pPort}`;
    amUrl = `http://127.0.0.1:${aPort}`;

    // Alertmanager: one route to a receiver that sends nothing; the API shows what arrived
    const amDir = path.join(tmp, 'alertmanager');
    fs.mkdirSync(amDir);
    fs.writeFileSync(
      path.join(amDir, 'alertmanager.yml'),
      stringify({
        route: { receiver: 'null', group_by: ['alertname', 'node'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [{ name: 'null' }],
      }),
    );
    procs.push(
      start('alertmanager', alertmanagerBin!, [
        `--config.file=${path.join(amDir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${aPort}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ]),
    );

    // Prometheus: scrape the daemon every second, evaluate the (shortened) shipped rules every second
    const promDir = path.join(tmp, 'prometheus');
    fs.mkdirSync(promDir);
    fs.writeFileSync(path.join(promDir, 'crio-sentinel.rules.yml'), e2eRules(fs.readFileSync(path.join(ROOT, 'dashboards/crio-sentinel.rules.yml'), 'utf8')));
    fs.writeFileSync(
      path.join(promDir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: ['crio-sentinel.rules.yml'],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${aPort}`] }] }] },
        scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [daemonInstance, daemon2Instance] }] }],
      }),
    );
    procs.push(
      start('prometheus', prometheusBin!, [
        `--config.file=${path.join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${pPort}`,
        '--log.level=warn',
      ]),
    );

    // the daemon: the demo incident on the copy of the demo node
    procs.push(
      start(
        'crio-sentinel',
        process.execPath,
        [
          DIST_CLI,
          'run',
          '--demo',
          `--root=${node}`,
          `--web.listen-address=${daemonInstance}`,
          `--state-dir=${path.join(tmp, 'state')}`,
          `--node-name=${NODE_NAME}`,
          '--stuck-threshold=5s',
          '--log-level=warn',
        ],
        { cwd: tmp },
      ),
    );

    // node 2: production mode on a real journal. Its story so far (ending a second ago): a pod was
    // deleted 50 s ago and every kill of its container fails; the test appends the rest.
    const node2 = path.join(tmp, 'node2');
    fs.cpSync(path.join(ROOT, 'examples/nodes/nvidia-default'), node2, { recursive: true });
    const jdir = path.join(tmp, 'journal');
    fs.mkdirSync(jdir);
    const t0 = Date.now() * 1000 - 60_000_000;
    journalFile = await makeJournal(jdir, [
      ...containerStarted(t0, STUCK.id, STUCK.ns, STUCK.pod, STUCK.name),
      ...containerStarted(t0 + 1_000_000, EXEC.id, EXEC.ns, EXEC.pod, EXEC.name),
      ...stuckStop(t0 + 10_000_000, STUCK.id, 10, 6),
    ]);
    procs.push(
      start(
        'crio-sentinel-node2',
        process.execPath,
        [
          DIST_CLI,
          'run',
          `--root=${node2}`,
          `--journal-directory=${jdir}`,
          '--crio-version=1.30.0',
          `--web.listen-address=${daemon2Instance}`,
          `--state-dir=${path.join(tmp, 'state2')}`,
          `--node-name=${NODE2_NAME}`,
          '--stuck-threshold=1s',
          `--exec-loop-quiet=${EXEC_QUIET_S}s`,
          '--log-level=warn',
        ],
        { cwd: tmp },
      ),
    );

    await waitFor('Alertmanager ready', () => httpOk(`${amUrl}/-/ready`), 30_000, context);
    await waitFor('Prometheus ready', () => httpOk(`${promUrl}/-/ready`), 30_000, context);
    await waitFor('crio-sentinel ready', () => httpOk(`${daemonUrl}/readyz`), 30_000, context);
    await waitFor('crio-sentinel node 2 ready', () => httpOk(`http://${daemon2Instance}/readyz`), 30_000, context);
    mark('all processes ready');
  }, 120_000);

  afterAll(async () => {
    mark('done');
    console.info(`e2e timings: ${timings.join('; ')}`);
    for (const p of procs.reverse()) await stop(p);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('Prometheus scrapes the daemon', async () => {
    const r = await waitFor(
      'a successful scrape',
      async () => {
        const q = await promQuery(`up{job="${JOB}"} == 1`);
        return q.data.result.length === 2 ? q : undefined;
      },
      30_000,
      context,
    );
    expect(r.data.result.map((x) => x.metric.instance).sort()).toEqual([daemonInstance, daemon2Instance].sort());
  }, 40_000);

  it('the daemon exports every metric name of the contract and of the dashboard', async () => {
    const meta = await getJson<{ data: { metric: string }[] }>(
      `${promUrl}/api/v1/targets/metadata?match_target=${encodeURIComponent(`{job="${JOB}"}`)}`,
    );
    const exported = new Set(meta.data.map((m) => m.metric));
    const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards/crio-sentinel.json'), 'utf8')) as Dashboard;
    const used = allTargets(dash)
      .flatMap(({ target }) => metricNames(target.expr))
      .filter((n) => n.startsWith('crio_sentinel_'));
    const missing = [...new Set([...METRIC_CONTRACT, ...used])].filter((m) => !exported.has(m) && !exported.has(m.replace(/_total$/, '')));
    expect(used).toContain('crio_sentinel_process_resident_memory_bytes');
    expect(missing).toEqual([]);
  }, 20_000);

  it('CrioSentinelNvidiaDefaultRuntime and CrioSentinelPodStuckTerminating reach Alertmanager with the right labels', async () => {
    const alerts = await waitFor(
      'both alerts in Alertmanager',
      async () => {
        const a = await amAlerts();
        return firing(a, 'CrioSentinelNvidiaDefaultRuntime', daemonInstance).length > 0 && firing(a, 'CrioSentinelPodStuckTerminating', daemonInstance).length > 0
          ? a
          : undefined;
      },
      75_000,
      context,
    );
    const nvidia = firing(alerts, 'CrioSentinelNvidiaDefaultRuntime', daemonInstance);
    expect(nvidia).toHaveLength(1);
    expect(nvidia[0]!.labels).toEqual({
      alertname: 'CrioSentinelNvidiaDefaultRuntime',
      severity: 'warning',
      job: JOB,
      instance: daemonInstance,
      node: NODE_NAME,
    });
    expect(nvidia[0]!.annotations.description).toContain(`node ${NODE_NAME}`);
    expect(nvidia[0]!.annotations.runbook_url).toMatch(/runbooks\.md#criosentinelnvidiadefaultruntime$/);

    // the stuck pods the daemon reports are the ones Alertmanager pages for
    const status = await getJson<DaemonStatusLite>(`${daemonUrl}/api/v1/status`);
    const stuck = (status.events?.stuckTerminating ?? []).filter((s) => !s.resolved && s.pod);
    expect(stuck.length).toBeGreaterThan(0);
    const paged = firing(alerts, 'CrioSentinelPodStuckTerminating', daemonInstance);
    for (const a of paged) {
      expect(a.labels).toMatchObject({ alertname: 'CrioSentinelPodStuckTerminating', severity: 'critical', job: JOB, instance: daemonInstance, node: NODE_NAME });
      expect(a.labels.pod).toBeTruthy();
      expect(a.labels.namespace).toBeTruthy();
      expect(a.annotations.description).toContain(`Pod ${a.labels.namespace}/${a.labels.pod} on node ${NODE_NAME}`);
      expect(stuck.some((s) => s.pod === a.labels.pod && (s.namespace ?? '') === a.labels.namespace)).toBe(true);
    }
    mark('demo alerts in Alertmanager');
  }, 90_000);

  it('the AppArmor-denied kills of the demo incident page as CrioSentinelStopFailuresUnderNvidiaDefault', async () => {
    const alerts = await waitFor(
      'CrioSentinelStopFailuresUnderNvidiaDefault in Alertmanager',
      async () => {
        const a = firing(await amAlerts(), 'CrioSentinelStopFailuresUnderNvidiaDefault', daemonInstance);
        return a.length > 0 ? a : undefined;
      },
      60_000,
      context,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toEqual({
      alertname: 'CrioSentinelStopFailuresUnderNvidiaDefault',
      severity: 'critical',
      job: JOB,
      instance: daemonInstance,
      node: NODE_NAME,
    });
  }, 70_000);

  it('every dashboard query executes against this Prometheus, and the key panels return data', async () => {
    const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards/crio-sentinel.json'), 'utf8')) as Dashboard;
    const vars = { job: JOB, instance: daemonInstance.replace(/\./g, '\\\\.'), node: NODE_NAME };
    const results = new Map<string, PromResult>();
    for (const { panel, target } of allTargets(dash)) {
      const q = substitute(target.expr, vars);
      const r = await promQuery(q);
      expect(r.status, `${panel.title}: ${q}: ${r.error ?? ''}`).toBe('success');
      results.set(`${panel.title}/${target.refId}`, r);
    }
    const value = (key: string): number => Number(results.get(key)?.data.result[0]?.value?.[1]);
    const rows = (key: string): PromResult['data']['result'] => results.get(key)?.data.result ?? [];
    const defaults = rows('Default runtime and its source/A');
    expect(defaults).toHaveLength(1);
    expect(defaults[0]!.metric).toMatchObject({ node: NODE_NAME });
    expect(defaults[0]!.metric.runtime_path).toMatch(/nvidia-container-runtime/);
    expect(defaults[0]!.metric.source_file).toMatch(/^\/etc\/crio\//);
    expect(value('NVIDIA wrapper is the default/A')).toBe(1);
    expect(rows('Active findings/A').map((r) => r.metric.id)).toContain('nvidia-default-runtime');
    expect(rows('Stuck pods/A').length).toBeGreaterThan(0);
    expect(value('Pods stuck in Terminating/A')).toBeGreaterThan(0);
    expect(value('Journal source up/A')).toBe(1);
    expect(rows('Nodes and crio-sentinel versions/A')[0]?.metric.node).toBe(NODE_NAME);
    // "Active findings by severity" shows what the page counts: the status' findings by their severity
    // now. The demo keeps replaying, so compare a fresh query with a fresh status until both agree.
    const panel = allTargets(dash).find(({ panel: p }) => p.title === 'Active findings by severity')!.target;
    const agreed = await waitFor(
      'the severity panel and the page to agree',
      async () => {
        const q = await promQuery(substitute(panel.expr, vars));
        const page = await getJson<{ findings: { severity: string }[] }>(`${daemonUrl}/api/v1/status`);
        const counts = ['critical', 'warning', 'info'].map((sev) => [
          Number(q.data.result.find((r) => r.metric.severity === sev)?.value?.[1]),
          page.findings.filter((f) => f.severity === sev).length,
        ]);
        return counts.every(([a, b]) => a === b) ? counts : undefined;
      },
      15_000,
      context,
    );
    expect(agreed[0]![0]).toBeGreaterThan(0);
  }, 60_000);

  it('the $node variable filters every panel: node 2 shows its own stuck pod only, an unknown node shows nothing', async () => {
    const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards/crio-sentinel.json'), 'utf8')) as Dashboard;
    // instance "All" (the dashboard's allValue) with one node selected
    const run = async (node: string): Promise<Map<string, PromResult>> => {
      const out = new Map<string, PromResult>();
      for (const { panel, target } of allTargets(dash)) out.set(`${panel.title}/${target.refId}`, await promQuery(substitute(target.expr, { job: JOB, instance: '.+', node })));
      return out;
    };
    const two = await waitFor(
      'node 2 stuck pod on the dashboard',
      async () => {
        const r = await run(NODE2_NAME);
        return (r.get('Stuck pods/A')?.data.result.length ?? 0) > 0 ? r : undefined;
      },
      30_000,
      context,
    );
    expect(two.get('Stuck pods/A')!.data.result.map((x) => [x.metric.node, x.metric.pod])).toEqual([[NODE2_NAME, STUCK.pod]]);
    expect(two.get('Nodes and crio-sentinel versions/A')!.data.result.map((x) => x.metric.instance)).toEqual([daemon2Instance]);
    const none = await run('no-such-node');
    const leaking = [...none].filter(([, r]) => r.data.result.length > 0).map(([k]) => k);
    expect(leaking).toEqual([]);
  }, 60_000);

  it('node 2: an exec probe loop fires CrioSentinelExecPermissionDeniedLoop, which resolves after the loop stops', async () => {
    const now = Date.now() * 1000;
    // three failed probes within the loop window, the last one a second ago
    await appendJournal(journalFile, [...execDenied(now - 3_000_000, EXEC.id, 'probe-a'), ...execDenied(now - 2_000_000, EXEC.id, 'probe-b'), ...execDenied(now - 1_000_000, EXEC.id, 'probe-c')]);
    const lastFailureMs = (now - 1_000_000) / 1000;
    const fired = await waitFor(
      'CrioSentinelExecPermissionDeniedLoop for node 2 in Alertmanager',
      async () => {
        const a = firing(await amAlerts(), 'CrioSentinelExecPermissionDeniedLoop', daemon2Instance);
        return a.length > 0 ? a : undefined;
      },
      30_000,
      context,
    );
    mark('exec loop alert firing');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.labels).toEqual({ alertname: 'CrioSentinelExecPermissionDeniedLoop', severity: 'warning', job: JOB, instance: daemon2Instance, node: NODE2_NAME });
    expect(fired[0]!.annotations.description).toBe(`1 container(s) on node ${NODE2_NAME} fail every exec probe with permission denied.`);

    // no more failures: after the quiet period the loop ends and the alert resolves
    await waitFor('CrioSentinelExecPermissionDeniedLoop for node 2 to resolve', () => resolved('CrioSentinelExecPermissionDeniedLoop', daemon2Instance), 40_000, context);
    mark('exec loop alert resolved');
    expect(Date.now() - lastFailureMs).toBeGreaterThanOrEqual(EXEC_QUIET_S * 1000);
    const m = await promQuery(`crio_sentinel_exec_loops_active{instance="${daemon2Instance}"}`);
    expect(m.data.result[0]?.value?.[1]).toBe('0');
    // the history gauge still remembers the loop: alerting on it would never have resolved
    const history = await promQuery(`crio_sentinel_exec_loops{instance="${daemon2Instance}"}`);
    expect(history.data.result[0]?.value?.[1]).toBe('1');
  }, 80_000);

  it('node 2: CrioSentinelPodStuckTerminating fires for the stuck pod and resolves when its container is removed', async () => {
    const fired = await waitFor(
      'CrioSentinelPodStuckTerminating for node 2 in Alertmanager',
      async () => {
        const a = firing(await amAlerts(), 'CrioSentinelPodStuckTerminating', daemon2Instance);
        return a.length > 0 ? a : undefined;
      },
      30_000,
      context,
    );
    expect(fired.map((a) => a.labels)).toEqual([
      { alertname: 'CrioSentinelPodStuckTerminating', severity: 'critical', job: JOB, instance: daemon2Instance, node: NODE2_NAME, namespace: STUCK.ns, pod: STUCK.pod },
    ]);
    mark('stuck-pod alert firing');
    // the pod is gone: CRI-O finally removed its container (a strong exit signal)
    await appendJournal(journalFile, [containerRemoved(Date.now() * 1000 - 500_000, STUCK.id, STUCK.ns, STUCK.pod, STUCK.name)]);
    await waitFor('CrioSentinelPodStuckTerminating for node 2 to resolve', () => resolved('CrioSentinelPodStuckTerminating', daemon2Instance), 30_000, context);
    mark('stuck-pod alert resolved');
    const series = await promQuery(`crio_sentinel_pod_stuck_terminating_seconds{instance="${daemon2Instance}"}`);
    expect(series.data.result).toEqual([]);
    const count = await promQuery(`crio_sentinel_pods_stuck_terminating{instance="${daemon2Instance}"}`);
    expect(count.data.result[0]?.value?.[1]).toBe('0');
  }, 70_000);

  it('rewriting the demo drop-in to the fixed form resolves the config alert and raises the pending change', async () => {
    // find the drop-in that makes nvidia the default, in the package copy's demo node
    const etc = path.join(node, 'etc/crio');
    const files = (fs.readdirSync(etc, { recursive: true }) as string[]).map((f) => path.join(etc, f)).filter((f) => fs.statSync(f).isFile());
    const dropin = files.find((f) => /^\s*default_runtime\s*=\s*"nvidia[^"]*"/m.test(fs.readFileSync(f, 'utf8')));
    expect(dropin, `a file under ${etc} sets default_runtime = "nvidia"`).toBeDefined();
    // the fixed form: keep the [crio.runtime.runtimes.nvidia] table, drop only the default (an editor's atomic save)
    const fixed = fs
      .readFileSync(dropin!, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*default_runtime\s*=/.test(l))
      .join('\n');
    expect(fixed).toMatch(/\[crio\.runtime\.runtimes\.nvidia\]/);
    fs.writeFileSync(`${dropin}.tmp`, fixed);
    fs.renameSync(`${dropin}.tmp`, dropin!);

    await waitFor('CrioSentinelNvidiaDefaultRuntime to resolve', () => resolved('CrioSentinelNvidiaDefaultRuntime', daemonInstance), 45_000, context);
    mark('config alert resolved');
    const isNvidia = await promQuery(`crio_sentinel_default_runtime_is_nvidia{instance="${daemonInstance}"}`);
    expect(isNvidia.data.result[0]?.value?.[1]).toBe('0');
    const info = await promQuery(`crio_sentinel_default_runtime_info{instance="${daemonInstance}"}`);
    expect(info.data.result[0]?.metric.runtime_path ?? '').not.toMatch(/nvidia/);

    // the running CRI-O still has the NVIDIA default until it restarts: the files now differ from it
    // (pending change), and the stop failures it keeps producing still page
    const after = await waitFor(
      'CrioSentinelPendingRuntimeChange in Alertmanager',
      async () => {
        const a = await amAlerts();
        return firing(a, 'CrioSentinelPendingRuntimeChange', daemonInstance).length > 0 ? a : undefined;
      },
      30_000,
      context,
    );
    expect(firing(after, 'CrioSentinelPendingRuntimeChange', daemonInstance)[0]!.labels).toMatchObject({ severity: 'warning', node: NODE_NAME, instance: daemonInstance });
    expect(firing(after, 'CrioSentinelStopFailuresUnderNvidiaDefault', daemonInstance)).toHaveLength(1);
  }, 60_000);
});
