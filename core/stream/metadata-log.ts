// MetadataLog: a directory of JSON files named by batch id, each written atomically (temporary file, fsync, rename).
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, PlanError } from '../../ops/errors.ts';
import { writeAtomically } from '../../ops/sinks/atomic.ts';

export class MetadataLog<T> {
  constructor(readonly dir: string) {}

  /**
   * Writes entry `batchId` unless it exists. Returns false when it did (another run wrote it:
   * an entry is never replaced, so a batch's recorded ranges cannot change under a restart).
   */
  async add(batchId: number, entry: T): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    return writeAtomically(join(this.dir, String(batchId)), (sink) => sink.write(`${JSON.stringify(entry)}\n`), 'ignore');
  }

  /** Entry `batchId`, or null when there is none. A file that is not JSON is a DataError naming it. */
  async get(batchId: number): Promise<T | null> {
    const file = join(this.dir, String(batchId));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new DataError(`not a JSON log entry (${(e as Error).message}); the checkpoint is damaged: remove the file to re-run that batch, or start the query with a new checkpointLocation`, { file }, { cause: e });
    }
  }

  /** Batch ids present, ascending (temporary and hidden files skipped). */
  async batchIds(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids: number[] = [];
    for (const n of names) {
      if (n.startsWith('.')) continue;
      if (!/^\d+$/.test(n)) throw new PlanError(`${join(this.dir, n)}: a checkpoint log holds only files named by batch id; remove this file or use another checkpointLocation`);
      ids.push(Number(n));
    }
    return ids.sort((a, b) => a - b);
  }

  /** The highest batch id and its entry, or null for an empty log. */
  async latest(): Promise<{ batchId: number; entry: T } | null> {
    const ids = await this.batchIds();
    if (ids.length === 0) return null;
    const batchId = ids[ids.length - 1];
    const entry = await this.get(batchId);
    return entry === null ? null : { batchId, entry };
  }

  /** Removes entries below `batchId` (old history; recovery reads only the latest). */
  async purgeBefore(batchId: number): Promise<void> {
    for (const id of await this.batchIds()) if (id < batchId) await rm(join(this.dir, String(id)), { force: true });
  }
}
