/**
 * There is no container engine on the build machines, so the image is not built here. These tests
 * lint the Dockerfile's structure and run the parts that can run without an engine: the build
 * stage's compile on exactly the files it copies, and the HEALTHCHECK command against real HTTP.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../src/daemon/flags.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TEXT = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const IGNORE = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | null;
  body: Instruction[];
}

function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && cur === '') continue;
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim() !== '') logical.push(cur.trim());
    cur = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\w+)\s+(.*)$/s.exec(l);
    if (!m) throw new Error(`Dockerfile: cannot parse "${l}"`);
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim() };
    if (ins.op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: f?.[1] ?? '', name: f?.[2] ?? null, body: [] });
    } else if (stages.length === 0) args.push(ins);
    else stages[stages.length - 1]!.body.push(ins);
  }
  return { args, stages };
}

const { args: globalArgs, stages } = parseDockerfile(TEXT);
const build = stages[0]!;
const runtime = stages[stages.length - 1]!;
const ops = (s: Stage, op: string): string[] => s.body.filter((i) => i.op === op).map((i) => i.args);
const nodeImage = /NODE_IMAGE=(\S+)/.exec(globalArgs.map((a) => a.args).join(' '))?.[1];

/** Sources of COPY instructions without --from (they come from the build context). */
function contextSources(s: Stage): string[] {
  return ops(s, 'COPY')
    .filter((a) => !a.startsWith('--from'))
    .flatMap((a) => a.split(' ').slice(0, -1));
}

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('Dockerfile lint', () => {
  it('is multi-stage on a slim image of a supported Node LTS that package.json engines allows', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const m = /^node:(\d+)-([a-z]+)-slim$/.exec(nodeImage ?? '');
    expect(m, `NODE_IMAGE ${nodeImage}`).not.toBeNull();
    const major = Number(m![1]);
    // an LTS line (even major) that is not end-of-life: Node 20 ended in April 2026
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(['bookworm', 'trixie']).toContain(m![2]);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const min = Number(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(major).toBeGreaterThanOrEqual(min);
    expect(ops(runtime, 'LABEL').join(' ')).toContain(`org.opencontainers.image.base.name="docker.io/library/${nodeImage}"`);
    for (const s of stages) expect(s.from).toBe('${NODE_IMAGE}');
    expect(build.name).toBe('build');
  });

  it('builds with dev dependencies and runs with production dependencies only', () => {
    const buildRuns = ops(build, 'RUN').join('\n');
    expect(buildRuns).toMatch(/npm ci(?! [^\n]*--omit=dev)/);
    expect(buildRuns).toContain('npm run build');
    const runtimeRuns = ops(runtime, 'RUN').join('\n');
    expect(runtimeRuns).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtimeRuns).not.toContain('npm run build');
    expect(ops(runtime, 'COPY').some((c) => c.startsWith('--from=build ') && c.includes('dist/src'))).toBe(true);
  });

  it('has journalctl (Debian package systemd) installed without recommends, and cleans apt lists', () => {
    const runs = ops(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/apt-get install -y --no-install-recommends systemd\b/);
    expect(runs).toContain('rm -rf /var/lib/apt/lists/*');
  });

  it('runs as a non-root user', () => {
    const users = ops(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]!;
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
  });

  it('has a HEALTHCHECK on /healthz using node (no curl in slim images)', () => {
    const hc = ops(runtime, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]).toContain('/healthz');
    expect(hc[0]).toMatch(/CMD \["node", "-e"/);
  });

  it('has the OCI labels', () => {
    const labels = ops(runtime, 'LABEL').join(' ');
    for (const k of ['title', 'description', 'version', 'licenses', 'source', 'documentation'])
      expect(labels, k).toContain(`org.opencontainers.image.${k}=`);
  });

  it('starts the CLI the package declares, with flags the daemon accepts', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const entry = JSON.parse(ops(runtime, 'ENTRYPOINT')[0]!) as string[];
    // node, then the Node flags of the CLI's shebang (#!/usr/bin/env -S node <flags>), then the CLI
    const shebang = fs.readFileSync(path.join(ROOT, 'src/cli.ts'), 'utf8').split('\n', 1)[0]!;
    const nodeFlags = shebang.replace(/^#!\S*env -S node\s*/, '').split(/\s+/).filter(Boolean);
    expect(entry.slice(0, 1 + nodeFlags.length)).toEqual(['node', ...nodeFlags]);
    expect(entry[1 + nodeFlags.length]).toBe(`/opt/crio-sentinel/${pkg.bin['crio-sentinel']}`);
    const cmd = JSON.parse(ops(runtime, 'CMD')[0]!) as string[];
    expect(cmd[0]).toBe('run');
    const flags = parseRunFlags(cmd.slice(1), {}, 'node-a');
    expect(flags.root).toBe('/host');
    expect(flags.listen.port).toBe(20260);
    expect(ops(runtime, 'EXPOSE')).toContain(String(flags.listen.port));
  });

  it('.dockerignore lets through everything the Dockerfile copies from the context', () => {
    const allowed = IGNORE.split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    expect(IGNORE.split('\n').map((l) => l.trim())).toContain('*');
    for (const src of stages.flatMap(contextSources)) {
      const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
      expect(allowed, src).toContain(clean);
      expect(fs.existsSync(path.join(ROOT, clean)), `${src} exists`).toBe(true);
    }
  });
});

describe('Dockerfile: what runs without a container engine', () => {
  it('the build stage has every file its compile needs (tsc --listFilesOnly on exactly the copied files)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crio-sentinel-docker-build-'));
    tmpDirs.push(dir);
    for (const src of contextSources(build)) fs.cpSync(path.join(ROOT, src), path.join(dir, src), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const list = (cwd: string): string[] => {
      const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd, encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.includes('/node_modules/'))
        .map((l) => path.relative(cwd, l.trim()))
        .sort();
    };
    const inImage = list(dir);
    expect(inImage.some((f) => f === 'src/cli.ts')).toBe(true);
    // the same project files as in the repository: nothing the build imports is left out of the image
    expect(inImage).toEqual(list(ROOT));
    // tsc writes src/cli.ts to dist/src/cli.js (outDir dist, rootDir .), which the runtime stage copies
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(ops(runtime, 'COPY')).toContain('--from=build /src/dist/src ./dist/src');
    expect(ops(build, 'WORKDIR')).toEqual(['/src']);
  });

  async function healthcheck(url: string): Promise<number> {
    const cmd = JSON.parse(/CMD (\[.*\])/.exec(ops(runtime, 'HEALTHCHECK')[0]!)![1]!) as string[];
    const script = cmd[2]!.replace('http://127.0.0.1:20260/healthz', url);
    expect(script).not.toBe(cmd[2]);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code ?? -1));
    });
  }

  it('the HEALTHCHECK command exits 0 on 200, 1 on 500 and 1 when nothing listens', async () => {
    let status = 200;
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = status;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await healthcheck(`http://127.0.0.1:${port}/healthz`)).toBe(0);
      status = 500;
      expect(await healthcheck(`http://127.0.0.1:${port}/healthz`)).toBe(1);
      expect(seen).toEqual(['/healthz', '/healthz']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(await healthcheck(`http://127.0.0.1:${port}/healthz`)).toBe(1);
  });
});
