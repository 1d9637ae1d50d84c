import { describe, expect, it } from 'vitest';
import { createKlogJoiner, parseKlogKV, splitKlogHeader } from '../../src/events/klog-joiner.js';

const HDR = 'E1128 10:12:01.540522    2211 log.go:32] "ExecSync cmd from runtime service failed" err=<';

describe('klog joiner', () => {
  it('joins header, TAB lines and the closing line into one flattened record', () => {
    const j = createKlogJoiner();
    expect(j.push('a', HDR, 1)).toBeNull();
    expect(j.push('a', '\trpc error: msg="x \\"y\\""', 2)).toBeNull();
    expect(j.push('a', '\t, stdout: , stderr: , exit code -1', 3)).toBeNull();
    const r = j.push('a', ' > containerID="abc" cmd=["/bin/true"]', 4);
    expect(r).not.toBeNull();
    expect(r!.realtimeUs).toBe(1);
    expect(r!.severity).toBe('E');
    const kv = parseKlogKV(r!.rest.slice(r!.rest.indexOf('" ') + 2));
    expect(kv.err).toBe('rpc error: msg="x \\"y\\""\n, stdout: , stderr: , exit code -1');
    expect(kv.containerID).toBe('abc');
    expect(kv.cmd).toBe('["/bin/true"]');
    expect(r!.raw.split('\n')).toHaveLength(4);
    expect(j.stats()).toEqual({ joined: 1, dropped: 0, orphans: 0 });
  });

  it('keeps interleaved streams apart', () => {
    const j = createKlogJoiner();
    j.push('a', HDR, 1);
    j.push('b', HDR, 2);
    j.push('b', '\tfrom b', 3);
    j.push('a', '\tfrom a', 4);
    const rb = j.push('b', ' > containerID="b"', 5);
    const ra = j.push('a', ' > containerID="a"', 6);
    expect(rb!.rest).toContain('from b');
    expect(rb!.rest).not.toContain('from a');
    expect(ra!.rest).toContain('from a');
  });

  it('drops and counts an unterminated record when a new header arrives or it grows too long', () => {
    const j = createKlogJoiner({ maxLines: 3 });
    j.push('a', HDR, 1);
    const single = j.push('a', 'I1128 10:14:30.611802    2211 kubelet.go:2530] "SyncLoop DELETE" source="api" pods=["ns/p"]', 2);
    expect(single?.rest).toMatch(/^"SyncLoop DELETE"/);
    expect(j.stats().dropped).toBe(1);
    j.push('a', HDR, 3);
    for (let i = 0; i < 5; i++) j.push('a', `\tline ${i}`, 4 + i);
    expect(j.push('a', ' > containerID="x"', 10)).toBeNull();
    expect(j.stats().dropped).toBe(2);
    expect(j.stats().orphans).toBeGreaterThanOrEqual(2);
  });

  it('bounds the number of open records', () => {
    const j = createKlogJoiner({ maxOpen: 10 });
    for (let i = 0; i < 1000; i++) j.push(`s${i}`, HDR, i);
    expect(j.open()).toBe(10);
    expect(j.stats().dropped).toBe(990);
  });

  it('splits headers and ignores non-klog lines', () => {
    expect(splitKlogHeader('I1129 18:20:18.242970    2775 kuberuntime_container.go:770] "Killing container"')?.rest).toBe('"Killing container"');
    expect(splitKlogHeader('Info: nothing')).toBeNull();
    expect(splitKlogHeader('time="x" level=info')).toBeNull();
  });

  it('parses klog values: quoted, bare, JSON object and array', () => {
    expect(parseKlogKV(' pod="ns/p" podUID=926db60f-aaaa gracePeriod=30 containerID={"Type":"cri-o","ID":"x"} pods=["a/b","c/d"] err="a \\"b\\""')).toEqual({
      pod: 'ns/p',
      podUID: '926db60f-aaaa',
      gracePeriod: '30',
      containerID: '{"Type":"cri-o","ID":"x"}',
      pods: '["a/b","c/d"]',
      err: 'a "b"',
    });
  });
});
