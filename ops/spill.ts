// Spill files: batches written to a task's spill directory as an Arrow IPC stream and read back lazily.
import * as arrow from 'apache-arrow';
import { createReadStream } from 'node:fs';
import { IPC_EOS, ipcStreamPiece } from './compute/ipc-stream.ts';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceError } from './errors.ts';

let counter = 0;

/** One run of spilled batches. MUST be deleted (delete()) when no longer needed. */
export class SpillFile {
  private constructor(readonly path: string, readonly schema: arrow.Schema, readonly rows: number, readonly bytes: number) {}

  /** Writes `batches` (all of `schema`) to a new file under `dir`. */
  static async write(dir: string, schema: arrow.Schema, batches: Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>): Promise<SpillFile> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `spill-${process.pid}-${Date.now().toString(36)}-${counter++}.arrows`);
    let fh;
    try {
      fh = await open(path, 'w');
    } catch (e) {
      throw new ResourceError(`cannot create spill file ${path}: ${(e as Error).message}; set spillDir to a writable directory with free space`, { cause: e });
    }
    let rows = 0, bytes = 0;
    try {
      // One IPC message at a time, each written before the next batch is taken: the sort's
      // sorted copy is produced batch by batch and never queues up whole in the writer.
      const put = async (piece: Uint8Array) => { await fh.write(piece); bytes += piece.byteLength; };
      let first = true;
      for await (const b of batches) {
        if (b.numRows === 0) continue;
        await put(ipcStreamPiece(schema, [b], first));
        first = false;
        rows += b.numRows;
      }
      if (first) await put(ipcStreamPiece(schema, [], true));
      await put(IPC_EOS);
    } catch (e) {
      await fh.close();
      await rm(path, { force: true });
      throw new ResourceError(`writing spill file ${path} failed: ${(e as Error).message}`, { cause: e });
    }
    await fh.close();
    return new SpillFile(path, schema, rows, bytes);
  }

  /**
   * Opens a new file under `dir` for batches (all of `schema`) written one call at a time, for
   * callers that fill several files at once. The writer MUST be finished or aborted.
   */
  static async open(dir: string, schema: arrow.Schema): Promise<SpillWriter> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `spill-${process.pid}-${Date.now().toString(36)}-${counter++}.arrows`);
    let fh: FileHandle;
    try {
      fh = await open(path, 'w');
    } catch (e) {
      throw new ResourceError(`cannot create spill file ${path}: ${(e as Error).message}; set spillDir to a writable directory with free space`, { cause: e });
    }
    const writer = new arrow.RecordBatchStreamWriter();
    writer.reset(undefined, schema);
    let rows = 0, bytes = 0;
    // The writer is an async iterable of encoded chunks; drain it to the file concurrently.
    const drained = (async () => {
      for await (const chunk of writer as AsyncIterable<Uint8Array>) { await fh.write(chunk); bytes += chunk.byteLength; }
    })();
    drained.catch(() => {}); // observed in finish()
    const fail = async (e: unknown): Promise<never> => {
      await fh.close().catch(() => {});
      await rm(path, { force: true });
      throw new ResourceError(`writing spill file ${path} failed: ${(e as Error).message}`, { cause: e });
    };
    let done = false;
    return {
      path,
      write(b: arrow.RecordBatch): void {
        if (b.numRows === 0) return;
        writer.write(b);
        rows += b.numRows;
      },
      async finish(): Promise<SpillFile> {
        done = true;
        try {
          writer.close();
          await drained;
        } catch (e) {
          return fail(e);
        }
        await fh.close();
        return new SpillFile(path, schema, rows, bytes);
      },
      async abort(): Promise<void> {
        if (done) return;
        done = true;
        writer.abort();
        await drained.catch(() => {});
        await fh.close().catch(() => {});
        await rm(path, { force: true });
      },
    };
  }

  /** Streams the batches back in write order. */
  async *read(): AsyncGenerator<arrow.RecordBatch> {
    const reader = await arrow.RecordBatchReader.from(createReadStream(this.path, { highWaterMark: 1 << 20 }));
    for await (const b of reader as AsyncIterable<arrow.RecordBatch>) yield b;
  }

  async delete(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** A spill file being written (SpillFile.open). */
export interface SpillWriter {
  readonly path: string;
  /** Queues one batch (of the file's schema exactly: the IPC writer closes on any other). */
  write(b: arrow.RecordBatch): void;
  /** Writes what is queued and closes the file. */
  finish(): Promise<SpillFile>;
  /** Closes and deletes the file; a no-op after finish. */
  abort(): Promise<void>;
}
