/**
 * The project's reference documents and captures (`shared/reference/`), which sit beside the
 * repository: `../shared/reference` from the repository root (as in CI, which lays a copy of
 * shared/ next to its clone), else the workplace's `/work/shared/reference`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function locate(): string {
  const candidates = [path.resolve(repo, '../shared/reference'), '/work/shared/reference'];
  const found = candidates.find((c) => existsSync(path.join(c, 'sample-journal.txt')));
  if (!found) throw new Error(`shared/reference not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const REFERENCE = locate();
