// Atomic file output: write a hidden temporary file beside the target, move it to the target on success (replacing it or not, by save mode).
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PlanError, ResourceError } from '../errors.ts';

/** Buffered writes to an open file (few large writes instead of many small ones). */
export class FileSink {
  private chunks: Uint8Array[] = [];
  private size = 0;
  bytesWritten = 0;

  constructor(private readonly fh: FileHandle, private readonly flushBytes = 1 << 20) {}

  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
    if (this.size >= this.flushBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    await this.fh.write(all);
    this.bytesWritten += all.byteLength;
  }
}

/** What a write does when its path exists (Spark's SaveMode; 'append' is not supported yet). */
export type SaveMode = 'error' | 'overwrite' | 'ignore';

/** The refusal of mode 'error', the same wherever it is found out. */
export function pathExistsError(path: string): PlanError {
  return new PlanError(`${path} already exists; to replace it write with df.write.mode('overwrite'), to leave it and skip the write use mode('ignore')`);
}

/**
 * Runs `write` against `<dir>/.<name>.tmp-<random>` and moves that to `path` once it has
 * finished and been synced. On any error the temporary file is removed and `path` is left as it
 * was (absent, or its old content), so readers never see a partial file.
 * `mode`: 'overwrite' renames over an existing file; 'error' and 'ignore' never replace one,
 * even one created while the write ran (a hard link, which fails if the name exists): 'error'
 * then throws pathExistsError, 'ignore' drops the new data. Returns false when nothing was committed.
 */
export async function writeAtomically(path: string, write: (sink: FileSink) => Promise<void>, mode: SaveMode = 'overwrite'): Promise<boolean> {
  const target = resolve(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  let fh: FileHandle;
  try {
    await mkdir(dir, { recursive: true });
    fh = await open(tmp, 'wx');
  } catch (e) {
    throw new ResourceError(`cannot create ${tmp}: ${(e as Error).message}; check that ${dir} is writable`, { cause: e });
  }
  let open_ = true;
  try {
    const sink = new FileSink(fh);
    await write(sink);
    await sink.flush();
    await fh.sync();
    await fh.close();
    open_ = false;
    if (mode === 'overwrite') { await rename(tmp, target); return true; }
    const committed = await linkNoClobber(tmp, target);
    await rm(tmp, { force: true });
    if (!committed && mode === 'error') throw pathExistsError(path);
    return committed;
  } catch (e) {
    if (open_) await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Gives `from` the name `to` unless `to` exists; false if it does. */
async function linkNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: check, then rename (a file created in between is replaced).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      if (await exists(to)) return false;
      await rename(from, to);
      return true;
    }
    throw e;
  }
}

/** Whether anything (a file, a directory, a link) has this name. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
