/**
 * The status page at `/`: one self-contained HTML document (inline CSS, no JavaScript, no external
 * assets) rendered from a DaemonStatus, for a person to read at a glance:
 * headline (node, CRI-O, default runtime and where it is set, what CRI-O runs now, NVIDIA),
 * findings by severity with evidence and the fix, stuck pods with their age, exec loops,
 * runtime handlers, config files, source health, links to the machine endpoints.
 *
 * Pure: status in, string out. Every string from the status is escaped.
 * The <style> element is a constant so the HTTP server can allow it by CSP hash (no 'unsafe-inline').
 */
import { createHash } from 'node:crypto';
import type { DaemonStatus, Finding, Provenance, Severity } from '../core/contracts.js';
import { CATALOGUE } from '../findings/catalogue.js';
import { isNvidiaHandler } from '../config/nvidia.js';

/** Seconds between automatic reloads of the page. */
export const STATUS_PAGE_REFRESH_SECONDS = 10;
/** Rows per table before "and N more". */
const MAX_ROWS = 100;
/** Instances listed per grouped finding. */
const MAX_INSTANCES = 25;
/** Evidence lines per finding, and characters per line, before the rest is left to the API. */
const MAX_EVIDENCE = 8;
const MAX_EVIDENCE_CHARS = 600;

export const STATUS_PAGE_CSS = `
:root{--crit:#b3261e;--crit-bg:#fdecea;--warn:#8a5300;--warn-bg:#fff3dc;--info:#1a5fb4;--info-bg:#e8f0fb;--ok:#1e7a34;--ok-bg:#e6f4ea;--fg:#1d1f21;--muted:#5f6368;--line:#dadce0;--card:#fff;--page:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--page)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:12px 20px;padding:14px 24px;background:#202124;color:#fff}
header h1{margin:0;font-size:20px;font-weight:600}
header .node{font-size:20px;font-weight:400}
header .meta{margin-left:auto;color:#bdc1c6;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:16px 24px 40px}
.state{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:700;font-size:13px;letter-spacing:.04em}
.state.critical{background:var(--crit);color:#fff}.state.warning{background:#f29900;color:#1d1f21}.state.info,.state.ok{background:var(--ok);color:#fff}
.banner{margin:14px 0;padding:12px 16px;border-radius:6px;border-left:6px solid;font-size:15px}
.banner.critical{background:var(--crit-bg);border-color:var(--crit)}
.banner.warning{background:var(--warn-bg);border-color:#f29900}
.banner.ok{background:var(--ok-bg);border-color:var(--ok)}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:16px 0}
.fact{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.fact .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.fact .v{font-size:18px;font-weight:600;margin-top:2px;overflow-wrap:anywhere}
.fact .s{color:var(--muted);font-size:13px;overflow-wrap:anywhere}
.fact.bad{border-color:var(--crit);background:var(--crit-bg)}
.fact.warnf{border-color:#f29900;background:var(--warn-bg)}
h2{font-size:17px;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h2 .count{color:var(--muted);font-weight:400}
.finding{background:var(--card);border:1px solid var(--line);border-left:6px solid;border-radius:6px;padding:10px 14px;margin:10px 0}
.finding.critical{border-left-color:var(--crit)}.finding.warning{border-left-color:#f29900}.finding.info{border-left-color:var(--info)}
.finding h3{margin:0 0 4px;font-size:15px}
.pill{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:700;text-transform:uppercase;vertical-align:2px;margin-right:6px}
.pill.critical{background:var(--crit);color:#fff}.pill.warning{background:#f29900;color:#1d1f21}.pill.info{background:var(--info);color:#fff}
.id{color:var(--muted);font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.summary{margin:2px 0 6px}
ul.evidence{margin:4px 0 8px;padding-left:18px}
ul.evidence li{font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere;color:#3c4043}
.fix{background:var(--ok-bg);border-radius:4px;padding:7px 10px;font-size:14px}
.fix b{color:var(--ok)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:6px;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f1f3f4;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.age{font-weight:700;color:var(--crit);white-space:nowrap}
code,.mono{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.up{color:var(--ok);font-weight:700}.down{color:var(--crit);font-weight:700}.off{color:var(--muted);font-weight:700}
.muted{color:var(--muted)}
.none{color:var(--muted);font-style:italic;margin:6px 0}
footer{margin-top:30px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}
footer a{margin-right:16px}
a{color:var(--info)}
`;

/** CSP source expression allowing exactly the page's <style> element. */
export const STATUS_PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(STATUS_PAGE_CSS).digest('base64')}`;

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];
const TITLES = new Map(CATALOGUE.map((e) => [e.id, e.title]));

/** Escape text for HTML element content and attribute values. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escape text and render `backtick` spans (as the catalogue's remediation texts use them) as <code>. */
export function escWithCode(v: string): string {
  const parts = v.split('`');
  if (parts.length < 3) return esc(v);
  return parts.map((p, i) => (i % 2 === 1 && i < parts.length - 1 ? `<code>${esc(p)}</code>` : esc(i % 2 === 1 ? `\`${p}` : p))).join('');
}

/** "40m 12s", "2h 03m", "3d 4h", "12s"; "-" for unknown. */
export function humanDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** "/etc/crio/crio.conf.d/99-nvidia.conf line 4", "CRI-O built-in default", "flag --default-runtime". */
export function provenanceText(p: Provenance): string {
  if ('file' in p) return p.line === null ? p.file : `${p.file} line ${p.line}`;
  if ('flag' in p) return p.flag.startsWith('-') ? `command-line flag ${p.flag}` : `environment ${p.flag}`;
  return 'CRI-O built-in default';
}

/** HTML phrase: "set in <file line N>", "CRI-O built-in default", "set by command-line flag X". */
function provenancePhrase(p: Provenance): string {
  if ('file' in p) return `set in <span class="mono">${esc(provenanceText(p))}</span>`;
  if ('flag' in p) return `set by <span class="mono">${esc(provenanceText(p))}</span>`;
  return esc(provenanceText(p));
}

function secondsBetween(laterIso: string, earlierMs: number | null): number | null {
  if (earlierMs === null) return null;
  const t = Date.parse(laterIso);
  return Number.isFinite(t) ? Math.max(0, (t - earlierMs) / 1000) : null;
}

function worst(findings: Finding[]): Severity | null {
  for (const s of SEVERITIES) if (findings.some((f) => f.severity === s)) return s;
  return null;
}

function more(total: number, shown: number, what: string): string {
  return total > shown ? `<p class="muted">Showing ${esc(shown)} of ${esc(total)} ${esc(what)} (see <a href="./api/v1/status">/api/v1/status</a>).</p>` : '';
}

function fact(k: string, v: string, s: string, cls = ''): string {
  return `<div class="fact${cls ? ` ${cls}` : ''}"><div class="k">${esc(k)}</div><div class="v">${v}</div><div class="s">${s}</div></div>`;
}

function renderHeadline(st: DaemonStatus): string {
  const eff = st.config.report?.effective ?? null;
  const def = eff ? eff.runtimes[eff.defaultRuntime.name] : undefined;
  const isNvidia = eff ? (def ? def.isNvidia : isNvidiaHandler(eff.defaultRuntime.name, '')) : false;
  const liveSource = st.live.source === 'api' ? 'read from the CRI-O API (GET /config)' : st.live.source === 'journal' ? 'read from CRI-O journal lines' : 'CRI-O not readable';
  const gpus = st.node.nvidiaGpus;
  const parts = [
    fact('Node', esc(st.node.name), `${esc(st.node.os ?? 'OS unknown')} · kernel ${esc(st.node.kernel ?? 'unknown')}`),
    fact(
      'CRI-O',
      esc(st.crioVersion ?? 'version unknown'),
      st.config.report && !st.config.report.evaluated ? '<b>unknown</b>: the configuration was too large to evaluate (see findings)' : st.config.report ? (st.config.report.crioWouldStart ? 'would start with the files on disk' : `<b>would NOT start</b>: ${esc(st.config.report.startError ?? 'see findings')}`) : 'configuration not evaluated yet',
      st.config.report && !st.config.report.crioWouldStart ? 'bad' : '',
    ),
    fact(
      'Default runtime (files)',
      eff ? esc(eff.defaultRuntime.name) : '<span class="muted">unresolved</span>',
      eff ? `${provenancePhrase(eff.defaultRuntime.source)}${def ? `<br><span class="mono">${esc(def.runtimePath)}</span>` : ''}` : esc(st.config.lastError ?? ''),
      isNvidia ? 'bad' : '',
    ),
    fact(
      'Default runtime (running CRI-O)',
      st.live.defaultRuntime ? esc(st.live.defaultRuntime) : '<span class="muted">unknown</span>',
      esc(liveSource) + (st.live.process?.startedAt ? `<br>CRI-O started ${esc(st.live.process.startedAt)}` : ''),
      st.drift ? 'warnf' : '',
    ),
    fact(
      'NVIDIA default runtime',
      isNvidia ? 'YES' : 'no',
      gpus === null ? 'GPUs: unknown' : `${gpus} NVIDIA GPU${gpus === 1 ? '' : 's'}${st.node.gpuModels.length ? ` · ${esc(st.node.gpuModels.join(', '))}` : ''}`,
      isNvidia ? 'bad' : '',
    ),
  ];
  return `<section class="facts">${parts.join('')}</section>`;
}

function renderBanners(st: DaemonStatus): string {
  const out: string[] = [];
  const eff = st.config.report?.effective ?? null;
  const stuck = (st.events?.stuckTerminating ?? []).filter((p) => !p.resolved);
  const def = eff ? eff.runtimes[eff.defaultRuntime.name] : undefined;
  if (def?.isNvidia && eff) {
    out.push(
      `<div class="banner critical"><b>Every pod without a RuntimeClass runs through the NVIDIA wrapper</b> (<span class="mono">${esc(def.runtimePath)}</span>): <span class="mono">default_runtime = "${esc(eff.defaultRuntime.name)}"</span> in <span class="mono">${esc(provenanceText(eff.defaultRuntime.source))}</span>.${stuck.length ? ` ${stuck.length} pod${stuck.length === 1 ? ' is' : 's are'} stuck in Terminating.` : ''}</div>`,
    );
  }
  if (st.drift || st.findings.some((f) => f.id === 'pending-runtime-change')) {
    const files = eff?.defaultRuntime.name ?? null;
    const live = st.live.defaultRuntime;
    let what: string;
    if (files !== null && live !== null && files !== live) {
      what = `the files resolve to default runtime <b>${esc(files)}</b>, the running CRI-O uses <b>${esc(live)}</b>`;
    } else if (eff && st.live.runtimes) {
      const fileSet = Object.keys(eff.runtimes);
      const liveSet = Object.keys(st.live.runtimes);
      const added = fileSet.filter((h) => !liveSet.includes(h));
      const removed = liveSet.filter((h) => !fileSet.includes(h));
      const parts = [added.length ? `adds ${added.map((h) => `<b>${esc(h)}</b>`).join(', ')}` : '', removed.length ? `removes ${removed.map((h) => `<b>${esc(h)}</b>`).join(', ')}` : ''].filter(Boolean);
      what = `the files define other runtime handlers than the running CRI-O has${parts.length ? ` (the change ${parts.join(' and ')})` : ''}`;
    } else {
      what = 'the files differ from the configuration of the running CRI-O';
    }
    out.push(
      `<div class="banner warning"><b>Pending runtime change:</b> ${what}. It takes effect at the next CRI-O restart or reload, for every pod without a RuntimeClass: drain the node first, or revert the change.</div>`,
    );
  }
  const j = st.sources.journal;
  if (!j.up && j.mode !== 'off') {
    out.push(
      `<div class="banner warning"><b>Journal source down</b>${j.lastError ? `: ${esc(j.lastError.replace(/[.\s]+$/, ''))}` : ''}. Stop failures, stuck pods and exec loops from the journal may be missing from this page.</div>`,
    );
  }
  if (out.length === 0 && st.findings.length === 0 && st.ready.ok) {
    out.push('<div class="banner ok"><b>No findings.</b> CRI-O\'s configuration and the journal show nothing that needs attention.</div>');
  }
  return out.join('');
}

function renderFindingGroup(id: string, group: Finding[]): string {
  const first = group[0]!;
  const sev = worst(group) ?? first.severity;
  const title = TITLES.get(id) ?? id;
  const evidence = first.evidence
    .slice(0, MAX_EVIDENCE)
    .map((e) => `<li>${esc(e.length > MAX_EVIDENCE_CHARS ? `${e.slice(0, MAX_EVIDENCE_CHARS)}…` : e)}</li>`)
    .join('');
  const moreEvidence = first.evidence.length > MAX_EVIDENCE ? `<p class="muted">… and ${first.evidence.length - MAX_EVIDENCE} more lines of evidence in /api/v1/status</p>` : '';
  let body: string;
  if (group.length === 1) {
    body = `<p class="summary">${esc(first.summary)}</p>${evidence ? `<ul class="evidence">${evidence}</ul>${moreEvidence}` : ''}`;
  } else {
    const items = group
      .slice(0, MAX_INSTANCES)
      .map((f) => `<li>${esc(f.summary)}</li>`)
      .join('');
    body = `<p class="summary">${group.length} instances:</p><ul>${items}</ul>${group.length > MAX_INSTANCES ? `<p class="muted">… and ${group.length - MAX_INSTANCES} more</p>` : ''}${evidence ? `<p class="muted">Evidence (first instance):</p><ul class="evidence">${evidence}</ul>${moreEvidence}` : ''}`;
  }
  return `<article class="finding ${sev}"><h3><span class="pill ${sev}">${sev}</span>${esc(title)} <span class="id">${esc(id)}</span></h3>${body}<div class="fix"><b>${group.some((f) => f.remediation !== first.remediation) ? 'Fix (first instance):' : 'Fix:'}</b> ${escWithCode(first.remediation)}</div></article>`;
}

function renderFindings(st: DaemonStatus): string {
  const out: string[] = [];
  for (const sev of SEVERITIES) {
    const ofSev = st.findings.filter((f) => f.severity === sev);
    if (ofSev.length === 0) continue;
    const groups = new Map<string, Finding[]>();
    for (const f of ofSev) groups.set(f.id, [...(groups.get(f.id) ?? []), f]);
    const label = sev === 'critical' ? 'Critical' : sev === 'warning' ? 'Warning' : 'Info';
    out.push(`<h2>${label} <span class="count">(${ofSev.length})</span></h2>`);
    for (const [id, g] of groups) out.push(renderFindingGroup(id, g));
  }
  if (out.length === 0) out.push('<h2>Findings</h2><p class="none">No findings.</p>');
  return `<section id="findings">${out.join('')}</section>`;
}

function renderStuckPods(st: DaemonStatus): string {
  const stuck = (st.events?.stuckTerminating ?? []).filter((p) => !p.resolved).sort((a, b) => b.stuckSeconds - a.stuckSeconds);
  // the snapshot's list is bounded; its totals count every stuck pod
  const total = st.events?.totals.stuckTerminating.stuck ?? stuck.length;
  const head = `<h2>Pods stuck in Terminating <span class="count">(${total})</span></h2>`;
  if (stuck.length === 0) return `<section id="stuck">${head}<p class="none">No pod is stuck in Terminating.</p></section>`;
  const rows = stuck
    .slice(0, MAX_ROWS)
    .map(
      (p) =>
        `<tr><td>${esc(p.namespace ?? '?')}/<b>${esc(p.pod ?? p.podUID ?? '?')}</b></td><td class="age">${esc(humanDuration(p.stuckSeconds))}</td><td>${esc(p.firstStopAt)}</td><td class="mono">${p.containerIds.map((c) => esc(c.slice(0, 12))).join(' ')}</td></tr>`,
    )
    .join('');
  return `<section id="stuck">${head}<table><thead><tr><th>Pod</th><th>Stuck for</th><th>First stop request</th><th>Containers</th></tr></thead><tbody>${rows}</tbody></table>${more(Math.max(total, stuck.length), Math.min(MAX_ROWS, stuck.length), 'pods')}</section>`;
}

function renderExecLoops(st: DaemonStatus): string {
  // loops going on now (an ended loop is history, not an active problem)
  const rows0 = (st.events?.execPermissionDenied ?? []).filter((e) => e.active);
  const total = st.events?.totals.execPermissionDenied.activeLoops ?? rows0.length;
  const head = `<h2>Exec permission-denied loops <span class="count">(${total})</span></h2>`;
  if (rows0.length === 0) return `<section id="exec">${head}<p class="none">No exec loop.</p></section>`;
  const rows = rows0
    .slice(0, MAX_ROWS)
    .map(
      (e) =>
        `<tr><td>${esc(e.namespace ?? '?')}/<b>${esc(e.pod ?? '?')}</b></td><td>${esc(e.container ?? '?')}</td><td class="mono">${esc(e.containerId.slice(0, 12))}</td><td class="num">${esc(e.count)}</td></tr>`,
    )
    .join('');
  return `<section id="exec">${head}<table><thead><tr><th>Pod</th><th>Container</th><th>Container ID</th><th>Failures</th></tr></thead><tbody>${rows}</tbody></table>${more(Math.max(total, rows0.length), Math.min(MAX_ROWS, rows0.length), 'loops')}</section>`;
}

function renderRuntime(st: DaemonStatus): string {
  const report = st.config.report;
  const eff = report?.effective ?? null;
  const parts: string[] = ['<h2>Runtime handlers</h2>'];
  if (!eff) {
    parts.push(`<p class="none">The configuration could not be resolved${st.config.lastError ? `: ${esc(st.config.lastError)}` : ''}.</p>`);
  } else {
    const names = Object.keys(eff.runtimes).sort();
    const rows = names
      .slice(0, MAX_ROWS)
      .map((h) => {
        const r = eff.runtimes[h]!;
        const live = st.live.runtimes ? (st.live.runtimes[h] ? 'yes' : '<span class="down">no</span>') : '<span class="muted">?</span>';
        return `<tr><td><b>${esc(h)}</b>${h === eff.defaultRuntime.name ? ' <span class="pill info">default</span>' : ''}${r.isNvidia ? ' <span class="pill warning">nvidia</span>' : ''}</td><td class="mono">${esc(r.runtimePath)}</td><td class="mono">${esc(r.runtimeRoot)}</td><td>${esc(r.runtimeType)}</td><td class="mono">${esc(provenanceText(r.source))}</td><td>${live}</td></tr>`;
      })
      .join('');
    parts.push(
      `<table><thead><tr><th>Handler</th><th>runtime_path</th><th>runtime_root</th><th>Type</th><th>Defined in</th><th>In running CRI-O</th></tr></thead><tbody>${rows}</tbody></table>${more(names.length, MAX_ROWS, 'handlers')}`,
    );
    if (report?.lowLevelRuntime) {
      parts.push(
        `<p>The NVIDIA wrapper <span class="mono">${esc(report.lowLevelRuntime.wrapper)}</span> forwards to <span class="mono">${esc(report.lowLevelRuntime.binary ?? 'no runtime found')}</span>.</p>`,
      );
    }
  }
  if (report && report.files.length > 0) {
    const rows = report.files
      .slice(0, MAX_ROWS)
      .map((f) => `<tr><td class="mono">${esc(f.path)}</td><td>${f.status === 'error' ? `<span class="down">${esc(f.status)}</span>` : esc(f.status)}</td><td>${esc(f.error ?? '')}</td></tr>`)
      .join('');
    parts.push(`<h2>Configuration files <span class="count">(in the order CRI-O reads them)</span></h2><table><thead><tr><th>File</th><th>Status</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table>${more(report.files.length, MAX_ROWS, 'files')}`);
  }
  const timeline = st.events?.defaultRuntimeTimeline ?? [];
  if (timeline.length > 0) {
    const rows = timeline
      .slice(-20)
      .map((t) => `<tr><td>${esc(t.at)}</td><td><b>${esc(t.defaultRuntime)}</b></td><td>${esc(t.source)}</td></tr>`)
      .join('');
    parts.push(`<h2>Default runtime over time</h2><table><thead><tr><th>Since</th><th>Default runtime</th><th>Seen in</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  return `<section id="runtime">${parts.join('')}</section>`;
}

function upText(up: boolean, off = false): string {
  return off ? '<span class="off">off</span>' : up ? '<span class="up">up</span>' : '<span class="down">down</span>';
}

/** Containers at runtime risk, per pod (the container model of the last CRI poll; bounded, with totals). */
function renderContainersAtRisk(st: DaemonStatus): string {
  const c = st.containers;
  if (!c) return '';
  const m = c.model;
  const total = m?.podsAtRiskTotal ?? 0;
  const head = `<h2>Containers at runtime risk <span class="count">(${esc(m?.counts.atRiskTotal ?? 0)} in ${esc(total)} pods)</span></h2>`;
  if (!m) {
    const why = c.cri.mode === 'off' ? 'the CRI source is off' : `no CRI poll result yet${c.cri.lastError ? `: ${c.cri.lastError}` : ''}`;
    return `<section id="containers">${head}<p class="none">${esc(why)}.</p></section>`;
  }
  const defaults = `<p class="muted">default runtime now <b>${esc(m.defaultNow.handler ?? '?')}</b>, after the next CRI-O start <b>${esc(m.defaultAfterRestart ?? '?')}</b> · ${esc(m.counts.total)} containers (${Object.entries(m.counts.byState).filter(([, n]) => n > 0).map(([s, n]) => `${esc(n)} ${esc(s)}`).join(', ') || 'none'})</p>`;
  if (m.podsAtRisk.length === 0) return `<section id="containers">${head}${defaults}<p class="none">No container is at risk.</p></section>`;
  const drv = (d: { handler: string; binary: string | null; runtimePath: string | null; root: string | null; known: boolean } | null): string =>
    !d ? '?' : !d.known ? `${d.handler} (missing)` : `${d.handler}: ${(d.binary ?? d.runtimePath ?? '?').split('/').pop() ?? '?'} ${d.root ?? '?'}`;
  const rows = m.podsAtRisk
    .flatMap((p) =>
      p.containers.map(
        (v) =>
          `<tr><td>${esc(p.namespace ?? '?')}/<b>${esc(p.name ?? '?')}</b></td><td>${esc(v.name ?? '?')} <span class="mono">${esc(v.id.slice(0, 12))}</span></td><td>${esc(v.state)}</td><td>${esc(v.createdBy ? `${v.createdBy.family} ${v.createdBy.root}` : '-')}</td><td>${esc(drv(v.drivenNow))}</td><td>${esc(drv(v.drivenAfterRestart))}</td><td>${esc(v.risks.join(', '))}</td></tr>`,
      ),
    )
    .join('');
  return `<section id="containers">${head}${defaults}<table><thead><tr><th>Pod</th><th>Container</th><th>CRI state</th><th>Created by</th><th>Driven now</th><th>After the next start</th><th>Risk</th></tr></thead><tbody>${rows}</tbody></table>${more(total, m.podsAtRisk.length, 'pods')}${m.truncated ? '<p class="muted">Lists cut at their limits; the counts are complete.</p>' : ''}</section>`;
}

function renderSources(st: DaemonStatus): string {
  const j = st.sources.journal;
  const lastAge = secondsBetween(st.generatedAt, j.lastEntryAtUs === null ? null : j.lastEntryAtUs / 1000);
  const ev = st.events;
  const rows = [
    `<tr><td>Journal</td><td>${upText(j.up, j.mode === 'off')}</td><td>mode ${esc(j.mode)} · ${esc(j.restarts)} restart${j.restarts === 1 ? '' : 's'} · last entry ${lastAge === null ? 'never' : `${esc(humanDuration(lastAge))} ago`}${ev ? ` · ${esc(ev.entries)} entries read` : ''}</td><td>${esc(j.lastError ?? '')}</td></tr>`,
    `<tr><td>CRI-O API</td><td>${upText(st.sources.crioApi.up)}</td><td>live config from ${esc(st.live.source)}</td><td>${esc(st.sources.crioApi.lastError ?? st.live.lastError ?? '')}</td></tr>`,
    ...(st.sources.cri
      ? [
          `<tr><td>CRI (gRPC)</td><td>${upText(st.sources.cri.up, st.sources.cri.mode === 'off')}</td><td>${st.sources.cri.lastSuccessAt ? `last poll ${esc(st.sources.cri.lastSuccessAt)}` : 'no successful poll'}${st.containers ? ` · runtime roots ${st.containers.runtimeState.roots.map((r) => `${esc(r.root)} (${esc(r.holdings)})`).join(', ')}` : ''}</td><td>${esc(st.sources.cri.lastError ? `${st.sources.cri.lastErrorKind ?? ''}: ${st.sources.cri.lastError}` : '')}</td></tr>`,
        ]
      : []),
    `<tr><td>Node facts</td><td>${upText(st.sources.nodeFacts.up)}</td><td></td><td>${esc(st.sources.nodeFacts.lastError ?? '')}</td></tr>`,
    `<tr><td>Configuration</td><td>${st.config.report ? '<span class="up">evaluated</span>' : '<span class="down">not evaluated</span>'}</td><td>${esc(st.config.reloads.success)} evaluations, ${esc(st.config.reloads.failure)} failed${st.config.lastReloadAt ? ` · last ${esc(st.config.lastReloadAt)}` : ''}</td><td>${esc(st.config.lastError ?? '')}</td></tr>`,
    `<tr><td>Readiness</td><td>${st.ready.ok ? '<span class="up">ready</span>' : '<span class="down">not ready</span>'}</td><td>${esc(st.ready.reason)}</td><td></td></tr>`,
  ].join('');
  const counts = ev
    ? `<p class="muted">Journal evidence: ${esc(ev.totals.killFailures.failures)} failed container kills on ${esc(ev.totals.killFailures.total)} containers, ${esc(ev.stopRpcFailures)} failed stop RPCs.</p>`
    : '';
  return `<section id="sources"><h2>Sources</h2><table><thead><tr><th>Source</th><th>State</th><th>Details</th><th>Last error</th></tr></thead><tbody>${rows}</tbody></table>${counts}</section>`;
}

export function renderStatusPage(status: DaemonStatus): string {
  const sev = worst(status.findings);
  // with no finding, "OK" only when the daemon is ready (its sources work); else say so
  const state = sev === 'critical' ? 'CRITICAL' : sev === 'warning' ? 'WARNING' : status.ready.ok ? 'OK' : 'NOT READY';
  const stateCls = sev === 'critical' ? 'critical' : sev === 'warning' || !status.ready.ok ? 'warning' : 'ok';
  const counts = SEVERITIES.map((s) => [s, status.findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  const title = `${state} · ${status.node.name} · crio-sentinel`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${STATUS_PAGE_REFRESH_SECONDS}">
<title>${esc(title)}</title>
<style>${STATUS_PAGE_CSS}</style>
</head>
<body>
<header><h1>crio-sentinel</h1><span class="node">${esc(status.node.name)}</span><span class="state ${stateCls}">${state}</span><span>${counts.map(([s, n]) => `${n} ${s}`).join(' · ') || 'no findings'}</span><span class="meta">generated ${esc(status.generatedAt)} · v${esc(status.version)} · refreshes every ${STATUS_PAGE_REFRESH_SECONDS}s</span></header>
<main>
${renderBanners(status)}
${renderHeadline(status)}
${renderStuckPods(status)}
${renderContainersAtRisk(status)}
${renderFindings(status)}
${renderExecLoops(status)}
${renderRuntime(status)}
${renderSources(status)}
<footer><a href="./metrics">/metrics</a><a href="./api/v1/status">/api/v1/status</a><a href="./healthz">/healthz</a><a href="./readyz">/readyz</a></footer>
</main>
</body>
</html>
`;
}
