// Pieces of one Arrow IPC stream, written as they come: a file appended batch by batch holds one stream.
import * as arrow from 'apache-arrow';

/** The end-of-stream marker (continuation 0xFFFFFFFF, metadata length 0). */
export const IPC_EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * The IPC stream bytes of `batches` without the end-of-stream marker, and without the schema
 * message unless `withSchema` (the stream's first piece). Concatenated pieces plus IPC_EOS make
 * one stream. A dictionary-encoded column's dictionary travels with every piece (the stream
 * format's dictionary replacement).
 */
export function ipcStreamPiece(schema: arrow.Schema, batches: readonly arrow.RecordBatch[], withSchema: boolean): Uint8Array {
  const bytes = arrow.tableToIPC(batches.length ? new arrow.Table(schema, batches as arrow.RecordBatch[]) : new arrow.Table(schema), 'stream');
  // A message is 0xFFFFFFFF, its metadata length (int32, padded to 8), the metadata, its body;
  // the schema message, first, has no body.
  const end = bytes.length - IPC_EOS.length;
  if (withSchema) return bytes.subarray(0, end);
  const metaLength = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getInt32(0, true);
  return bytes.subarray(8 + metaLength, end);
}
