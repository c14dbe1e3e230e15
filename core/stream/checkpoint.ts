// Checkpoint: a streaming query's directory: its id, the offsets log (write-ahead), the commits log, and each source's own state.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataError, PlanError } from '../../ops/errors.ts';
import { writeAtomically } from '../../ops/sinks/atomic.ts';
import { MetadataLog } from './metadata-log.ts';
import type { CommitRecord, OffsetRecord } from './offsets.ts';

interface QueryMetadata {
  id: string;
}

/** Log entries kept behind the latest batch (older ones are removed as batches commit). */
const RETAINED_BATCHES = 100;

/**
 * Layout (as Spark's):
 * - `metadata`: `{ "id": queryId }`, written once; the id stays the same across restarts.
 * - `offsets/<batchId>`: the batch's range per source, written before it runs.
 * - `commits/<batchId>`: written after the sink committed it.
 * - `sources/<index>/`: what a source keeps (the files source's list of files seen).
 * - `state/<batchId>/aggregate.arrow`: a streaming aggregate's groups after the batch (Arrow IPC).
 * - `sink/<batchId>`: what a sink without its own place for it (the KV sink) records of a batch it wrote in full.
 */
export class Checkpoint {
  readonly offsets: MetadataLog<OffsetRecord>;
  readonly commits: MetadataLog<CommitRecord>;

  private constructor(readonly dir: string, readonly queryId: string) {
    this.offsets = new MetadataLog(join(dir, 'offsets'));
    this.commits = new MetadataLog(join(dir, 'commits'));
  }

  /** Opens (or starts) the checkpoint at `dir`; its query id is read, or made and written. */
  static async open(dir: string): Promise<Checkpoint> {
    const root = resolve(dir);
    try {
      await mkdir(root, { recursive: true });
    } catch (e) {
      throw new PlanError(`checkpointLocation ${root}: cannot make the directory (${(e as Error).message}); give a writable directory`, { cause: e });
    }
    const file = join(root, 'metadata');
    // Never replaced: a start that lost the race to write it reads the winner's id.
    await writeAtomically(file, (sink) => sink.write(`${JSON.stringify({ id: randomUUID() })}\n`), 'ignore');
    let meta: QueryMetadata | null = null;
    try {
      meta = JSON.parse(await readFile(file, 'utf8')) as QueryMetadata;
    } catch { /* reported below */ }
    if (meta === null || typeof meta.id !== 'string') throw new DataError('holds no query id: the directory is not a Quiver checkpoint; use another checkpointLocation', { file });
    return new Checkpoint(root, meta.id);
  }

  /** The directory source `index` keeps its own state in. */
  sourceDir(index: number): string {
    return join(this.dir, 'sources', String(index));
  }

  /** The directory a sink keeps its own log in, `sink/` under checkpoint directory `dir` (known before the checkpoint is opened). */
  static sinkDir(dir: string): string {
    return join(resolve(dir), 'sink');
  }

  /** Where a streaming aggregate saves its state after each batch (`state/<batchId>/`). */
  stateDir(): string {
    return join(this.dir, 'state');
  }

  /** Drops log entries far behind `batchId` (recovery needs only the latest offsets and commit). */
  async purge(batchId: number): Promise<void> {
    const before = batchId - RETAINED_BATCHES;
    if (before <= 0) return;
    await this.offsets.purgeBefore(before);
    await this.commits.purgeBefore(before);
  }
}
