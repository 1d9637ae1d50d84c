import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../src/daemon/flags.js';
import { needBinary } from '../helpers/binaries.js';
import { last, parseUnit } from './unit-file.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UNIT_PATH = path.join(ROOT, 'systemd/crio-sentinel.service');
const UNIT_TEXT = fs.readFileSync(UNIT_PATH, 'utf8');
const unit = parseUnit(UNIT_TEXT);
const svc = (k: string): string | undefined => last(unit, 'Service', k);

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * `systemd-analyze verify` insists that ExecStart's binary exists. The unit names the installed
 * path (/usr/bin/crio-sentinel), which a test machine does not have, so verify runs on a copy in a
 * temp dir whose ExecStart points at this Node binary; every other line is the shipped unit.
 */
function unitCopy(transform: (text: string) => string = (t) => t): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-unit-'));
  tmpDirs.push(dir);
  const file = path.join(dir, 'crio-sentinel.service');
  fs.writeFileSync(file, transform(UNIT_TEXT.replace('ExecStart=/usr/bin/crio-sentinel ', `ExecStart=${process.execPath} `)));
  return file;
}

describe('systemd unit: content', () => {
  it('runs the installed daemon with flags the daemon accepts', () => {
    const exec = svc('ExecStart') ?? '';
    const [bin, cmd, ...args] = exec.split(/\s+/);
    expect(bin).toBe('/usr/bin/crio-sentinel');
    expect(cmd).toBe('run');
    const flags = parseRunFlags(
      args.filter((a) => a !== '$CRIO_SENTINEL_ARGS'),
      {},
      'node-a',
    );
    expect(flags.listen.port).toBe(20260);
    // the state dir is the one systemd creates and lets the service write
    expect(flags.stateDir).toBe(`/var/lib/${svc('StateDirectory')}`);
    expect(flags.root).toBe('/');
  });

  it('reloads with SIGHUP and restarts on failure', () => {
    expect(svc('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(svc('Restart')).toBe('on-failure');
  });

  it('reads the journal through the systemd-journal group and writes only its state directory', () => {
    expect(svc('SupplementaryGroups')?.split(/\s+/)).toContain('systemd-journal');
    expect(svc('StateDirectory')).toBe('crio-sentinel');
    expect(svc('ProtectSystem')).toBe('strict');
    expect(unit.get('Service')?.has('ReadWritePaths')).toBe(false);
  });

  it('has the hardening the issue requires', () => {
    const want: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      CapabilityBoundingSet: '',
    };
    for (const [k, v] of Object.entries(want)) expect(svc(k), k).toBe(v);
    expect(unit.get('Service')?.get('SystemCallFilter')?.[0]).toBe('@system-service');
    expect(svc('MemoryMax')).toMatch(/^\d+[KMG]$/);
  });

  it('keeps what Node.js and the daemon need', () => {
    // V8's JIT needs writable+executable pages
    expect(unit.get('Service')?.has('MemoryDenyWriteExecute')).toBe(false);
    // the crio process must stay visible in /proc (start time, --config flags)
    expect(svc('ProtectProc') ?? 'default').not.toBe('invisible');
    expect(unit.get('Service')?.has('ProcSubset')).toBe(false);
  });
});

describe('systemd unit: systemd-analyze', () => {
  const analyze = needBinary('systemd-analyze', 'systemd');

  it.skipIf(!analyze)('systemd-analyze verify passes without a warning', () => {
    const r = spawnSync(analyze!, ['verify', unitCopy()], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!analyze)('systemd-analyze verify reports a broken directive (the check can fail)', () => {
    const r = spawnSync(analyze!, ['verify', unitCopy((t) => t.replace('ProtectSystem=strict', 'ProtectSystem=sometimes'))], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/crio-sentinel.service:\d+: .*sometimes/);
  });

  it.skipIf(!analyze)('systemd-analyze security --offline=true scores it at most 2.0', () => {
    const r = spawnSync(analyze!, ['security', '--offline=true', '--no-pager', unitCopy()], { encoding: 'utf8' });
    const m = /Overall exposure level for crio-sentinel\.service: (\d+(?:\.\d+)?)/.exec(r.stdout + r.stderr);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const score = Number(m![1]);
    console.info(`systemd-analyze security: overall exposure level ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});
