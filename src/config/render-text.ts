/**
 * Plain-text rendering of a ConfigReport for a person (the `check` text output).
 */
import type { ConfigReport, Finding, Provenance } from '../core/contracts.js';

export function formatProvenance(src: Provenance): string {
  if ('builtin' in src) return 'built-in default';
  if ('flag' in src) return src.flag.startsWith('--') ? `flag ${src.flag}` : `env ${src.flag}`;
  return `${src.file}${src.line !== null ? ` line ${src.line}` : ''}`;
}

function wrap(text: string, indent: string, width = 100): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

function renderFinding(f: Finding): string[] {
  const lines = [`${f.severity.toUpperCase().padEnd(8)} ${f.id}: ${f.summary}`];
  for (const e of f.evidence) lines.push(...wrap(e, '           ').map((l, i) => (i === 0 ? `  evidence ${l.trimStart()}` : l)));
  lines.push(...wrap(f.remediation, '           ').map((l, i) => (i === 0 ? `  fix      ${l.trimStart()}` : l)));
  return lines;
}

export function renderReportText(r: ConfigReport, opts: { root?: string } = {}): string {
  const out: string[] = [];
  const where = opts.root && opts.root !== '/' ? ` under ${opts.root}` : '';
  out.push(`CRI-O configuration${where}: CRI-O ${r.crioVersion ?? 'version unknown (newest rules applied; pass --crio-version)'}`);
  out.push('');
  out.push('Files, in the order CRI-O applies them:');
  if (r.files.length === 0) out.push('  (none: built-in defaults only)');
  if (!r.files.some((f) => f.status === 'applied' || f.status === 'error')) {
    out.push('  note: no CRI-O config file found: is CRI-O installed under this root? (wrong --root, or a host path not mounted)');
  }
  for (const f of r.files) out.push(`  ${f.status.padEnd(8)} ${f.path}${f.error && f.status !== 'error' ? `  (${f.error})` : ''}`);
  out.push('');
  if (r.effective) {
    const d = r.effective.defaultRuntime;
    out.push(`Default runtime: ${d.name}  (from ${formatProvenance(d.source)})`);
    out.push('Runtime handlers:');
    const names = Object.keys(r.effective.runtimes).sort();
    const w = Math.max(...names.map((n) => n.length), 4);
    for (const n of names) {
      const h = r.effective.runtimes[n]!;
      out.push(
        `  ${n.padEnd(w)}  ${h.runtimePath || '(not found on PATH)'}  root ${h.runtimeRoot}  type ${h.runtimeType || 'oci'}${h.isNvidia ? '  [NVIDIA wrapper]' : ''}${n === d.name ? '  [default]' : ''}  (${formatProvenance(h.source)})`,
      );
    }
  } else out.push('Default runtime: cannot be resolved (the configuration does not load)');
  if (r.lowLevelRuntime) out.push(`NVIDIA wrapper ${r.lowLevelRuntime.wrapper} runs: ${r.lowLevelRuntime.binary ?? 'nothing (no runtime of its runtimes list exists)'}`);
  out.push(r.crioWouldStart ? 'CRI-O would start: yes' : `CRI-O would start: NO: ${r.startError}`);
  out.push('');
  const count = (s: string) => r.findings.filter((f) => f.severity === s).length;
  out.push(r.findings.length === 0 ? 'Findings: none' : `Findings: ${count('critical')} critical, ${count('warning')} warning, ${count('info')} info`);
  for (const f of r.findings) {
    out.push('');
    out.push(...renderFinding(f));
  }
  return out.join('\n') + '\n';
}
