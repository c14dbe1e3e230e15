// A map task's output, one block per reduce partition: kept in memory, or written to disk once it outgrows its limit.
//
// A shuffle map task used to hold its whole output until it ended (then a second copy, packed
// into shared memory): a task over a 5M-row split held ~2 x 180 MB. Past `limitBytes` this
// writes every partition's buffered batches to that partition's file (one Arrow IPC stream per
// file, appended to flush after flush) and keeps going; at the end, a task that wrote files hands
// over file references (the store that receives them owns the files), one that did not hands over
// shared-memory blocks as before.
import * as arrow from 'apache-arrow';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { batchBytes } from '../../ops/compute/batch.ts';
import { IPC_EOS, ipcStreamPiece } from '../../ops/compute/ipc-stream.ts';
import { encodeBlock, type BlockRef } from './ipc.ts';

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
}

export class MapOutput {
  private readonly buffered: arrow.RecordBatch[][];
  private bufferedBytes = 0;
  private readonly rows: number[];
  private readonly bytes: number[];
  /** Per partition: its file's descriptor once written to (files exist only after the first flush). */
  private files: ({ path: string; fd: number } | null)[] | null = null;
  spilledBytes = 0;

  constructor(private readonly schema: arrow.Schema, partitions: number, private readonly limitBytes: number, private readonly dir: string) {
    this.buffered = Array.from({ length: partitions }, () => []);
    this.rows = new Array<number>(partitions).fill(0);
    this.bytes = new Array<number>(partitions).fill(0);
  }

  add(partition: number, batch: arrow.RecordBatch): void {
    if (batch.numRows === 0) return;
    const n = batchBytes(batch);
    this.buffered[partition].push(batch);
    this.rows[partition] += batch.numRows;
    this.bytes[partition] += n;
    this.bufferedBytes += n;
    if (this.bufferedBytes > this.limitBytes) this.flush();
  }

  /** The output: shared-memory blocks when it all stayed in memory, else a file per non-empty partition. */
  finish(): (BlockRef | null)[] {
    if (!this.files) return this.buffered.map((bs) => (bs.length ? encodeBlock(this.schema, bs) : null));
    this.flush();
    const files = this.files;
    this.files = null;
    return files.map((f, i) => {
      if (!f) return null;
      writeAll(f.fd, IPC_EOS);
      closeSync(f.fd);
      return { file: f.path, rows: this.rows[i], bytes: this.bytes[i] };
    });
  }

  /** Removes what was written (the task failed). */
  discard(): void {
    for (const f of this.files ?? []) {
      if (!f) continue;
      closeSync(f.fd);
      rmSync(f.path, { force: true });
    }
    this.files = null;
  }

  private flush(): void {
    if (!this.files) {
      mkdirSync(this.dir, { recursive: true });
      this.files = this.buffered.map(() => null);
    }
    for (const [i, bs] of this.buffered.entries()) {
      if (bs.length === 0) continue;
      let f = this.files[i];
      const first = !f;
      if (!f) {
        const path = join(this.dir, `r${i}-${Math.random().toString(36).slice(2, 10)}.arrows`);
        f = this.files[i] = { path, fd: openSync(path, 'w') };
      }
      const body = ipcStreamPiece(this.schema, bs, first);
      writeAll(f.fd, body);
      this.spilledBytes += body.length;
      this.buffered[i] = [];
    }
    this.bufferedBytes = 0;
  }
}
