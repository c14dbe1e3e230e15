// Input paths: expands globs (* ? ** [ab] {a,b}) and directories into a sorted list of absolute file paths.
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globSync } from 'tinyglobby';
import { DataError, PlanError } from '../errors.ts';

/** A path segment holding one of these is a pattern (tinyglobby/picomatch syntax). */
const GLOB_CHARS = /[*?[\]{}]/;

/** Files and directories whose names start with these are skipped (Spark: _SUCCESS, .crc, hidden). */
const isHidden = (name: string): boolean => name.startsWith('.') || name.startsWith('_');

/** Which of a directory's files a reader reads (images: by extension); files named or matched by a glob are read as given. */
export interface DirectoryFilter {
  keep(path: string): boolean;
  /** What kept files are, for the error when a directory holds none: 'image files (.jpg, .png, ...)'. */
  what: string;
}

/**
 * Resolves a path, a glob or a list of them into absolute file paths: a glob's matches and a
 * directory's files (recursively, hidden ones skipped) come sorted; entries keep their order
 * and duplicates are dropped. `*` and `?` match within one path segment, `**` any number of
 * segments, `[ab]`/`[0-9]` one character of a class, `{a,b}` either alternative; a directory a
 * glob matches stands for its files. Wildcards do not match names starting with '.' or '_'
 * (Spark's hidden files: _SUCCESS, .crc) unless the pattern has a segment starting with '_'.
 * A missing file, or a glob or directory with no files, is a DataError naming it. With
 * `filter`, a directory (named, or matched by a glob) stands for the files it keeps.
 */
export async function resolvePaths(pathOrGlobOrArray: string | readonly string[], filter?: DirectoryFilter): Promise<string[]> {
  return resolvePathsSync(pathOrGlobOrArray, filter);
}

/** resolvePaths, synchronously (the driver builds plans synchronously). */
export function resolvePathsSync(pathOrGlobOrArray: string | readonly string[], filter?: DirectoryFilter): string[] {
  const entries = typeof pathOrGlobOrArray === 'string' ? [pathOrGlobOrArray] : pathOrGlobOrArray;
  if (!Array.isArray(entries) || entries.length === 0) throw new PlanError('no input path given; pass a file, a directory, a glob or a list of them');
  const out: string[] = [];
  const seen = new Set<string>();
  const dirs = listingsOfCrowdedDirs(entries);
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry === '') throw new PlanError(`input paths must be non-empty strings, got ${JSON.stringify(entry)}`);
    const files = GLOB_CHARS.test(entry) ? expandGlob(entry, filter) : expandPath(entry, filter, dirs);
    for (const f of files) if (!seen.has(f)) { seen.add(f); out.push(f); }
  }
  return out;
}

/** Directories named by many entries: one listing each (the file types of its entries). */
type Listings = Map<string, Map<string, Dirent>>;

/**
 * A list of many paths in a few directories (10,000 photos) is classified from one readdir per
 * directory instead of a stat per path: a stat costs 10-20 us here, 0.2 s for 10,000 files on
 * every read. Directories named by fewer than 16 entries are left to stat.
 */
function listingsOfCrowdedDirs(entries: readonly unknown[]): Listings {
  const listings: Listings = new Map();
  if (entries.length < 16) return listings;
  const count = new Map<string, number>();
  for (const e of entries) {
    if (typeof e !== 'string' || e === '' || GLOB_CHARS.test(e)) continue;
    const dir = dirname(resolve(e));
    count.set(dir, (count.get(dir) ?? 0) + 1);
  }
  for (const [dir, n] of count) {
    if (n < 16) continue;
    try {
      listings.set(dir, new Map(readdirSync(dir, { withFileTypes: true }).map((d) => [d.name, d])));
    } catch { /* unreadable: each path is stat'ed and its own error reported */ }
  }
  return listings;
}

function expandPath(p: string, filter?: DirectoryFilter, listings?: Listings): string[] {
  const abs = resolve(p);
  // A regular file its directory's listing shows needs no stat of its own (links and the rest do).
  if (listings?.get(dirname(abs))?.get(basename(abs))?.isFile()) return [abs];
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(`file not found; check the path`, { file: abs }, { cause: e });
    throw new DataError(`cannot read: ${(e as Error).message}`, { file: abs }, { cause: e });
  }
  if (!st.isDirectory()) return [abs];
  const files = walk(abs, filter);
  if (files.length === 0) throw new DataError(`directory contains no ${filter?.what ?? 'files'} to read (names starting with '.' or '_' are skipped)`, { file: abs });
  return files;
}

/** All non-hidden files under `dir` (those `filter` keeps), sorted by path. */
function walk(dir: string, filter?: DirectoryFilter): string[] {
  const out: string[] = [];
  const ents = readdirSync(dir, { withFileTypes: true });
  ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of ents) {
    if (isHidden(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full, filter));
    else if ((e.isFile() || e.isSymbolicLink()) && (!filter || filter.keep(full))) out.push(full);
  }
  return out;
}

function expandGlob(pattern: string, filter?: DirectoryFilter): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(process.cwd(), pattern);
  const segs = abs.split(sep);
  // The literal prefix (segments before the first wildcard) is where the walk starts; only the
  // rest goes to the glob library, so brackets or braces in a parent directory's name stay literal.
  let i = 0;
  while (i < segs.length && !GLOB_CHARS.test(segs[i])) i++;
  const base = segs.slice(0, i).join(sep) || sep;
  const rest = segs.slice(i);
  // Wildcards skip '.' names (dot: false) and '_' names (below) unless the pattern spells one.
  const underscoreAsked = rest.some((s) => s.startsWith('_'));
  let matches: string[] = [];
  try {
    matches = globSync(rest.join('/'), { cwd: base, absolute: true, dot: false, onlyFiles: false, expandDirectories: false, followSymbolicLinks: true });
  } catch { /* an unreadable base directory: no matches */ }
  const out = new Set<string>();
  // Sorted, a directory comes before what is below it: once walked, its subdirectories are skipped ('**' matches them all).
  const walked: string[] = [];
  for (const full of matches.map((m) => resolve(m)).sort()) {
    if (!underscoreAsked && relative(base, full).split(sep).some((s) => s.startsWith('_'))) continue;
    let st;
    try { st = statSync(full); } catch { continue; } // vanished or a dangling link: not a match
    if (st.isDirectory()) {
      if (walked.some((w) => full.startsWith(w + sep))) continue;
      walked.push(full);
      for (const f of walk(full, filter)) out.add(f);
    } else if (st.isFile()) out.add(full);
  }
  if (out.size === 0) {
    // A file whose own name holds glob characters ('odd[1].csv') is itself.
    if (existsSync(abs) && statSync(abs).isFile()) return [abs];
    throw new DataError(`no files match the glob; check the pattern and the directory`, { file: abs });
  }
  return [...out].sort();
}
