// Input paths: expands globs (* ? **) and directories into a sorted list of absolute file paths.
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { DataError, PlanError } from '../errors.ts';

const GLOB_CHARS = /[*?]/;

/** Files and directories whose names start with these are skipped (Spark: _SUCCESS, .crc, hidden). */
const isHidden = (name: string): boolean => name.startsWith('.') || name.startsWith('_');

/**
 * Resolves a path, a glob or a list of them into absolute file paths: a glob's matches and a
 * directory's files (recursively, hidden ones skipped) come sorted; entries keep their order
 * and duplicates are dropped. `*` and `?` match within one path segment, `**` any number of
 * segments; wildcards do not match a leading dot. A missing file, or a glob or directory with
 * no files, is a DataError naming it.
 */
export async function resolvePaths(pathOrGlobOrArray: string | readonly string[]): Promise<string[]> {
  return resolvePathsSync(pathOrGlobOrArray);
}

/** resolvePaths, synchronously (the driver builds plans synchronously). */
export function resolvePathsSync(pathOrGlobOrArray: string | readonly string[]): string[] {
  const entries = typeof pathOrGlobOrArray === 'string' ? [pathOrGlobOrArray] : pathOrGlobOrArray;
  if (!Array.isArray(entries) || entries.length === 0) throw new PlanError('no input path given; pass a file, a directory, a glob or a list of them');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry === '') throw new PlanError(`input paths must be non-empty strings, got ${JSON.stringify(entry)}`);
    const files = GLOB_CHARS.test(entry) ? expandGlob(entry) : expandPath(entry);
    for (const f of files) if (!seen.has(f)) { seen.add(f); out.push(f); }
  }
  return out;
}

function expandPath(p: string): string[] {
  const abs = resolve(p);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(`file not found; check the path`, { file: abs }, { cause: e });
    throw new DataError(`cannot read: ${(e as Error).message}`, { file: abs }, { cause: e });
  }
  if (!st.isDirectory()) return [abs];
  const files = walk(abs);
  if (files.length === 0) throw new DataError(`directory contains no files to read (names starting with '.' or '_' are skipped)`, { file: abs });
  return files;
}

/** All non-hidden files under `dir`, sorted by path. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const ents = readdirSync(dir, { withFileTypes: true });
  ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of ents) {
    if (isHidden(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (e.isFile() || e.isSymbolicLink()) out.push(full);
  }
  return out;
}

function expandGlob(pattern: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(process.cwd(), pattern);
  const segs = abs.split(sep);
  // The literal prefix (segments before the first wildcard) is where the walk starts.
  let i = 0;
  while (i < segs.length && !GLOB_CHARS.test(segs[i])) i++;
  const base = segs.slice(0, i).join(sep) || sep;
  const matchers = segs.slice(i).map(segmentMatcher);
  const out: string[] = [];
  matchFrom(base, matchers, 0, out);
  if (out.length === 0) throw new DataError(`no files match the glob; check the pattern and the directory`, { file: abs });
  out.sort();
  return out;
}

type SegMatcher = RegExp | 'globstar';

function segmentMatcher(seg: string): SegMatcher {
  if (seg === '**') return 'globstar';
  let re = '';
  for (const ch of seg) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function matchFrom(dir: string, ms: readonly SegMatcher[], k: number, out: string[]): void {
  if (k === ms.length) {
    try {
      const st = statSync(dir);
      if (st.isFile()) out.push(dir);
    } catch { /* vanished or unreadable: not a match */ }
    return;
  }
  const m = ms[k];
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  if (m === 'globstar') {
    if (k + 1 === ms.length) { out.push(...walk(dir)); return; } // trailing ** = every file below
    matchFrom(dir, ms, k + 1, out); // ** matches zero segments
    for (const e of ents) if (!isHidden(e.name) && e.isDirectory()) matchFrom(join(dir, e.name), ms, k, out);
    return;
  }
  for (const e of ents) {
    if (e.name.startsWith('.')) continue;
    if (!m.test(e.name)) continue;
    const full = join(dir, e.name);
    if (k + 1 === ms.length) { if (e.isFile() || e.isSymbolicLink()) out.push(full); } else if (e.isDirectory() || e.isSymbolicLink()) matchFrom(full, ms, k + 1, out);
  }
}
