/**
 * The shipped documents cite only documents that ship (issue #10): every `*.md` a document names
 * exists in the repository, a `§` section reference follows such a document, and a mechanism id
 * M1–M8 is defined in docs/mechanisms.md and linked from the document that uses it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownAnchors } from './markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function walk(dir: string, keep: (f: string) => boolean): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return (fs.readdirSync(abs, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => keep(f) && fs.statSync(path.join(ROOT, f)).isFile());
}

/** the documents that ship: README, docs, example READMEs, the mixin and the manifests */
const SHIPPED = [
  'README.md',
  ...walk('docs', (f) => f.endsWith('.md')),
  ...walk('examples', (f) => /README\.md$/.test(f)),
  ...walk('dashboards', (f) => /\.(json|ya?ml)$/.test(f)),
  ...walk('deploy', (f) => /\.ya?ml$/.test(f)),
];
const MD_FILES = [...walk('.', (f) => f.endsWith('.md') && !/(^|\/)(node_modules|dist|\.git)\//.test(f))].map((f) => path.normalize(f));

/** `.md` names in a text, URLs left out (a document elsewhere on the web is cited by its URL) */
function mdReferences(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(\S*?)([\w./-]*[\w-]\.md)\b/g)) {
    if (/:\/\//.test(m[1]! + m[2]!)) continue;
    out.push(m[2]!);
  }
  return out;
}

/** Does `ref`, named in `from`, resolve to a file of the repository? */
function resolves(ref: string, from: string): boolean {
  const candidates = [path.normalize(path.join(path.dirname(from), ref)), path.normalize(ref)];
  if (candidates.some((c) => MD_FILES.includes(c))) return true;
  // a bare name ("mixin.md") for a document of docs/
  return !ref.includes('/') && MD_FILES.some((f) => path.basename(f) === ref);
}

/** `§` not right after a document reference (`x.md §3`, `[x.md](x.md) §3`) */
function danglingSections(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(.{0,30})(§\s*[\d.]*\d)/g)) if (!/\.md\)?\s*$/.test(m[1]!)) out.push(m[2]!);
  return out;
}

const MECHANISMS = fs.readFileSync(path.join(ROOT, 'docs/mechanisms.md'), 'utf8');

describe('documents cite only documents that ship', () => {
  it('finds the documents to check', () => {
    expect(SHIPPED).toContain('docs/runbooks.md');
    expect(SHIPPED).toContain('dashboards/crio-sentinel.json');
    expect(SHIPPED.length).toBeGreaterThan(15);
  });

  it.each(SHIPPED)('%s names only .md files of the repository', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(mdReferences(text).filter((r) => !resolves(r, file))).toEqual([]);
  });

  it.each(SHIPPED)('%s has no § reference without a shipped document', (file) => {
    expect(danglingSections(fs.readFileSync(path.join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it.each(SHIPPED)('%s uses only mechanism ids defined in docs/mechanisms.md, and links it', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const ids = [...new Set([...text.matchAll(/\bM([1-8])\b/g)].map((m) => `M${m[1]}`))];
    if (ids.length === 0 || file === 'docs/mechanisms.md') return;
    for (const id of ids) expect(MECHANISMS, id).toMatch(new RegExp(`^## ${id}\\. `, 'm'));
    expect(text, `${file} uses ${ids.join(', ')} and links mechanisms.md`).toMatch(/mechanisms\.md/);
  });

  it('links into docs/mechanisms.md point at existing headings', () => {
    const anchors = markdownAnchors(MECHANISMS);
    const bad: string[] = [];
    for (const file of SHIPPED) {
      for (const m of fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/mechanisms\.md#([\w-]+)/g)) if (!anchors.has(m[1]!)) bad.push(`${file}: #${m[1]}`);
    }
    expect(bad).toEqual([]);
  });

  it('docs/mechanisms.md defines M1 to M8', () => {
    for (let i = 1; i <= 8; i++) expect(MECHANISMS).toMatch(new RegExp(`^## M${i}\\. `, 'm'));
  });

  it('the checks catch what the issue reported (they can fail)', () => {
    const runbookBefore = 'Mechanism ids **M1–M8** refer to `runtime-failure-mechanisms.md` (the reference); see crio-config.md §14.';
    expect(mdReferences(runbookBefore).filter((r) => !resolves(r, 'docs/runbooks.md'))).toEqual(['runtime-failure-mechanisms.md', 'crio-config.md']);
    expect(danglingSections('the runtime layer (§10) and x.md §3')).toEqual(['§10']);
    expect(mdReferences('see https://github.com/NVIDIA/k8s-device-plugin/blob/main/README.md and [mixin](mixin.md)')).toEqual(['mixin.md']);
  });
});
