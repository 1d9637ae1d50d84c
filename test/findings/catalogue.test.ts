import { describe, expect, it } from 'vitest';
import { CATALOGUE, exitStatusFor, mergeFindings } from '../../src/findings/catalogue.js';
import type { Finding } from '../../src/core/contracts.js';

const f = (id: string, severity: Finding['severity']): Finding => ({ id, severity, summary: id, evidence: [], remediation: '' });

describe('findings catalogue', () => {
  it('has unique kebab-case ids', () => {
    const ids = CATALOGUE.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('raises nvidia-default-runtime to critical when stops fail under it', () => {
    const merged = mergeFindings([f('nvidia-default-runtime', 'warning')], [f('stop-failures-under-nvidia-default', 'critical')]);
    expect(merged.find((x) => x.id === 'nvidia-default-runtime')?.severity).toBe('critical');
  });

  it('keeps nvidia-default-runtime a warning on its own and sorts by severity', () => {
    const merged = mergeFindings([f('stray-dropin-file', 'warning'), f('nvidia-handler-without-runtime-root', 'info'), f('config-parse-error', 'critical')], [f('nvidia-default-runtime', 'warning')]);
    expect(merged.map((x) => x.severity)).toEqual(['critical', 'warning', 'warning', 'info']);
    expect(merged.find((x) => x.id === 'nvidia-default-runtime')?.severity).toBe('warning');
  });

  it('maps findings to check-plugin exit codes', () => {
    expect(exitStatusFor([])).toBe(0);
    expect(exitStatusFor([f('a', 'info')])).toBe(0);
    expect(exitStatusFor([f('a', 'info'), f('b', 'warning')])).toBe(1);
    expect(exitStatusFor([f('b', 'warning'), f('c', 'critical')])).toBe(2);
  });
});
