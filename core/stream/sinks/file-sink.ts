// FileSink: format('parquet' | 'json' | 'csv' | 'arrow'): each batch is a write job committed once, recorded in `_quiver_sink/<batchId>` before its files appear.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InternalError } from '../../../ops/errors.ts';
import { checkWriteOptions, commitJob, exists, jobTemporaryDir, writtenFiles, type WriteOptions, type WrittenFile } from '../../../ops/sinks/index.ts';
import { toArrowSchema, type FieldJSON } from '../../../ops/types.ts';
import type { Session } from '../../api/session.ts';
import type { WriteFormat } from '../../physical/phys-node.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { MetadataLog } from '../metadata-log.ts';
import type { Sink } from '../sink.ts';

/** `_quiver_sink/<batchId>`: the batch's write job and the files it commits (relative to its temporary directory). */
interface SinkManifest {
  batchId: number;
  jobToken: string;
  files: WrittenFile[];
}

/**
 * Per batch: the job writes its part files under `_temporary/<jobToken>/` (invisible to
 * readers, which skip names starting with '_'); the manifest is written atomically; then the
 * files are renamed into place (ops/sinks/commit.ts). A restart finishes the renames of a
 * manifest it finds, and a batch whose manifest exists is never written again, so each batch's
 * rows appear exactly once; files of jobs that never reached a manifest are removed.
 */
export class FileSink implements Sink {
  readonly description: string;
  private readonly manifests: MetadataLog<SinkManifest>;
  private readonly path: string;
  private recovered = false;

  constructor(private readonly session: Session, private readonly format: WriteFormat, path: string,
    private readonly options: WriteOptions, private readonly schema: readonly FieldJSON[]) {
    checkWriteOptions(format, options as Record<string, unknown>);
    this.path = resolve(path);
    this.manifests = new MetadataLog(join(this.path, '_quiver_sink'));
    this.description = `FileSink[${format}: ${this.path}]`;
  }

  async addBatch(batchId: number, plan: LogicalPlan): Promise<number> {
    if (!this.recovered) await this.recover();
    const done = await this.manifests.get(batchId);
    if (done !== null) return done.files.reduce((n, f) => n + f.rows, 0);
    const jobToken = randomBytes(8).toString('hex');
    let files: WrittenFile[];
    try {
      files = writtenFiles(await this.session.execute(plan, { format: this.format, path: this.path, jobToken, partitionBy: [], options: { ...this.options }, maxRowsPerFile: null }));
    } catch (e) {
      await rm(jobTemporaryDir(this.path, jobToken), { recursive: true, force: true });
      throw e;
    }
    if (!(await this.manifests.add(batchId, { batchId, jobToken, files }))) {
      throw new InternalError(`${join(this.path, '_quiver_sink', String(batchId))} appeared while this query wrote batch ${batchId}: is another query writing to ${this.path}?`);
    }
    return this.moveIntoPlace({ batchId, jobToken, files });
  }

  /** Renames the manifest's files still in its temporary directory into place (all of them, or what a crash left). */
  private async moveIntoPlace(m: SinkManifest): Promise<number> {
    const tmp = jobTemporaryDir(this.path, m.jobToken);
    const pending: WrittenFile[] = [];
    for (const f of m.files) if (await exists(join(tmp, ...f.file.split('/')))) pending.push(f);
    await commitJob({
      path: this.path, jobToken: m.jobToken, mode: 'append', files: pending, format: this.format,
      schema: toArrowSchema(this.schema), options: this.options, partitioned: false, emptyFile: false,
    });
    return m.files.reduce((n, f) => n + f.rows, 0);
  }

  /** Once per run: finishes the last manifest's renames, then drops every job directory left (none has a manifest now). */
  private async recover(): Promise<void> {
    const last = await this.manifests.latest();
    if (last !== null) await this.moveIntoPlace(last.entry);
    await rm(join(this.path, '_temporary'), { recursive: true, force: true });
    this.recovered = true;
  }

  async stop(): Promise<void> {}
}
