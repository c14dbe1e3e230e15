// A per-user private cache directory in a shared temp directory: made mode 0700, checked on every use without following links, written atomically.
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ResourceError } from '../errors.ts';

const uid = (): number | undefined => process.getuid?.();

/** Directories this process had to make because the usual one was not safe, by `<base>/<name>`. */
const fallbackDirs = new Map<string, string>();

/**
 * This user's cache `<base>/<name>-<uid>` (base: the temp directory), mode 0700. Other local
 * users can write to the temp directory, so it is checked on every use, never following a
 * link: a directory of ours that others can write to is emptied and made private again
 * (anything in it may have been planted); a symlink, a non-directory or another user's
 * directory in its place is left alone, and this process uses a fresh private directory of
 * its own instead (removed at exit). A ResourceError when none can be made.
 */
export function privateCacheDir(name: string, base: string = tmpdir()): string {
  const me = uid();
  const dir = join(base, `${name}-${me ?? 'user'}`);
  const fallback = fallbackDirs.get(dir);
  if (fallback) return fallback;
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const st = lstatSync(dir);
      if (!st.isDirectory() || (me !== undefined && st.uid !== me)) break;
      if ((st.mode & 0o022) === 0) return dir;
      rmSync(dir, { recursive: true, force: true });
    }
    const own = mkdtempSync(`${dir}-`);
    fallbackDirs.set(dir, own);
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    return own;
  } catch (e) {
    throw new ResourceError(`cannot make a private cache directory ${dir}: ${(e as Error).message}; set TMPDIR to a directory you can write to`, { cause: e });
  }
}

/** `<dir>/<key>` when it is a regular file of ours holding exactly `bytes`; anything else there is removed. */
export function cachedFile(dir: string, key: string, bytes: number): string | null {
  const file = join(dir, key);
  let st;
  try { st = lstatSync(file); } catch { return null; }
  const me = uid();
  if (st.isFile() && (me === undefined || st.uid === me) && st.size === bytes) return file;
  rmSync(file, { force: true });
  return null;
}

/** Writes `<dir>/<key>` atomically (a temporary file of this thread renamed into place): readers see all of it or none. */
export function writeCachedFile(dir: string, key: string, data: Uint8Array): string {
  const file = join(dir, key);
  const tmp = join(dir, `${key}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ResourceError(`cannot write the cache file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return file;
}
