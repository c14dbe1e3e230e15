// Spill files: batches written to a task's spill directory as an Arrow IPC stream and read back lazily.
import * as arrow from 'apache-arrow';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
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
      const writer = new arrow.RecordBatchStreamWriter();
      writer.reset(undefined, schema);
      // The writer is an async iterable of encoded chunks; drain it to the file concurrently.
      const drained = (async () => {
        for await (const chunk of writer as AsyncIterable<Uint8Array>) { await fh.write(chunk); bytes += chunk.byteLength; }
      })();
      for await (const b of batches) {
        if (b.numRows === 0) continue;
        writer.write(b);
        rows += b.numRows;
      }
      writer.close();
      await drained;
    } catch (e) {
      await fh.close();
      await rm(path, { force: true });
      throw new ResourceError(`writing spill file ${path} failed: ${(e as Error).message}`, { cause: e });
    }
    await fh.close();
    return new SpillFile(path, schema, rows, bytes);
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
