// SpillBuckets: one spill file per hash bucket, kept open so that every spill appends to the same runs.
//
// A spilling aggregation may spill hundreds of times; one file per bucket per spill would
// mean thousands of small files, and tiny IPC batches cost more in writes than in bytes. So
// each bucket buffers appended rows up to `flushBytes`, then writes them as one batch to its
// file, which stays open as an Arrow IPC stream fed through a queue; a write waits until the
// writer took its batch. Memory held: at most fanout x flushBytes of buffered rows.
import type * as arrow from 'apache-arrow';
import { batchBytes, concatBatches } from '../compute/batch.ts';
import { SpillFile } from '../spill.ts';

/** An open spill file that takes batches one at a time. */
class RunWriter {
  private readonly queue: arrow.RecordBatch[] = [];
  private wakeWriter: (() => void) | null = null;
  private wakeAppender: (() => void) | null = null;
  private closed = false;
  readonly file: Promise<SpillFile>;

  constructor(dir: string, schema: arrow.Schema) {
    this.file = SpillFile.write(dir, schema, this.batches());
    this.file.catch(() => undefined); // surfaced by append() and close()
  }

  private async *batches(): AsyncGenerator<arrow.RecordBatch> {
    for (;;) {
      const b = this.queue.shift();
      if (b) {
        if (this.queue.length === 0) this.wake('appender');
        yield b;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => { this.wakeWriter = r; });
    }
  }

  private wake(who: 'writer' | 'appender'): void {
    const f = who === 'writer' ? this.wakeWriter : this.wakeAppender;
    if (who === 'writer') this.wakeWriter = null;
    else this.wakeAppender = null;
    f?.();
  }

  /** Queues `b` and resolves once the writer took it (rejects if writing failed). */
  async append(b: arrow.RecordBatch): Promise<void> {
    const taken = new Promise<void>((r) => { this.wakeAppender = r; });
    this.queue.push(b);
    this.wake('writer');
    await Promise.race([taken, this.file.then(() => undefined)]);
  }

  close(): Promise<SpillFile> {
    this.closed = true;
    this.wake('writer');
    return this.file;
  }
}

export class SpillBuckets {
  private readonly writers: (RunWriter | null)[];
  private readonly pending: arrow.RecordBatch[][];
  private readonly pendingBytes: number[];
  private finished = false;

  constructor(private readonly dir: string, private readonly schema: arrow.Schema, fanout: number, private readonly flushBytes: number) {
    this.writers = Array.from({ length: fanout }, () => null);
    this.pending = Array.from({ length: fanout }, () => []);
    this.pendingBytes = new Array<number>(fanout).fill(0);
  }

  /** Appends `b` to bucket `p`'s run (rows keep their append order within the bucket). */
  async append(p: number, b: arrow.RecordBatch): Promise<void> {
    this.pending[p].push(b);
    this.pendingBytes[p] += batchBytes(b);
    if (this.pendingBytes[p] >= this.flushBytes) await this.flush(p);
  }

  private async flush(p: number): Promise<void> {
    if (this.pending[p].length === 0) return;
    const b = concatBatches(this.schema, this.pending[p]);
    this.pending[p] = [];
    this.pendingBytes[p] = 0;
    const w = (this.writers[p] ??= new RunWriter(this.dir, this.schema));
    await w.append(b);
  }

  /** Closes every run; null where a bucket got no rows. The caller MUST delete the files. */
  async finish(): Promise<(SpillFile | null)[]> {
    for (let p = 0; p < this.writers.length; p++) await this.flush(p);
    this.finished = true;
    return Promise.all(this.writers.map((w) => (w ? w.close() : null)));
  }

  /** Closes and deletes whatever was written (for streams that end early or fail). */
  async discard(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await Promise.all(this.writers.map(async (w) => {
      if (!w) return;
      try { await (await w.close()).delete(); } catch { /* the write failed; nothing to delete */ }
    }));
  }
}
