// Arrow IPC blocks in SharedArrayBuffers: how batches move between threads without copying.
import * as arrow from 'apache-arrow';

/** Serializes batches of one schema as one IPC stream in a SharedArrayBuffer (one copy, then shared). */
export function encodeBlock(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): Uint8Array {
  const writer = new arrow.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  for (const b of batches) if (b.numRows > 0) writer.write(b);
  writer.finish();
  const bytes = writer.toUint8Array(true);
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/** Batches of an IPC block; the vectors are views into the block's memory (no copy). */
export function* decodeBlock(block: Uint8Array): Generator<arrow.RecordBatch> {
  for (const b of arrow.RecordBatchReader.from(block) as Iterable<arrow.RecordBatch>) {
    if (b.numRows > 0) yield b;
  }
}

export function rowsOfBlocks(blocks: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of blocks) for (const rb of decodeBlock(b)) n += rb.numRows;
  return n;
}
