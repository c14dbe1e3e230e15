// Atomic file output: write a hidden temporary file beside the target, rename it over the target on success.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ResourceError } from '../errors.ts';

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

/**
 * Runs `write` against `<dir>/.<name>.tmp-<random>` and renames that over `path` once it has
 * finished and been synced. On any error the temporary file is removed and `path` is left as it
 * was (absent, or its old content), so readers never see a partial file.
 */
export async function writeAtomically(path: string, write: (sink: FileSink) => Promise<void>): Promise<void> {
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
    await rename(tmp, target);
  } catch (e) {
    if (open_) await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}
