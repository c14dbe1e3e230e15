// Arrow IPC reader: the file format (magic 'ARROW1', random access) or the stream format.
import * as arrow from 'apache-arrow';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DataError, QuiverError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { fieldFromArrow } from './normalize.ts';

const MAGIC = Buffer.from('ARROW1');

/** Which IPC format a file holds, from its first bytes. */
async function isFileFormat(fh: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(6);
  const { bytesRead } = await fh.read(head, 0, 6, 0);
  return bytesRead === 6 && head.equals(MAGIC);
}

/**
 * Opens a reader over an IPC file or stream. The file format is read through the file handle
 * (footer, then one batch at a time); the stream format sequentially.
 * `close()` on the returned object MUST run (in `finally`).
 */
export async function openArrowFile(path: string): Promise<{ reader: AsyncIterable<arrow.RecordBatch> & { schema: arrow.Schema }; close(): Promise<void> }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DataError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot open: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  try {
    const fileFormat = await isFileFormat(fh);
    const source = fileFormat ? fh : createReadStream(path, { highWaterMark: 1 << 20 });
    const reader = await (arrow.RecordBatchReader.from(source as any) as unknown as Promise<arrow.RecordBatchReader>);
    await (reader as any).open();
    if (!reader.schema) throw new Error('no schema message');
    return {
      reader: reader as any,
      close: async () => { await (reader as any).cancel?.(); if (!fileFormat) (source as ReturnType<typeof createReadStream>).destroy(); await fh.close(); },
    };
  } catch (e) {
    await fh.close();
    if (e instanceof QuiverError) throw e;
    throw new DataError(`not a readable Arrow IPC file or stream (${(e as Error).message}); write it with arrow's RecordBatchFileWriter or RecordBatchStreamWriter`, { file: path }, { cause: e });
  }
}

/**
 * The schema, read synchronously: from the footer (file format; the whole file if the footer
 * alone does not open, e.g. with dictionaries) or from the first message (stream format).
 */
export function inferArrowSchema(path: string): FieldJSON[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DataError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found; check the path' : `cannot open: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  try {
    const size = fstatSync(fd).size;
    const read = (pos: number, n: number): Buffer => {
      const b = Buffer.alloc(Math.max(0, Math.min(n, size - pos)));
      readSync(fd, b, 0, b.length, pos);
      return b;
    };
    const schemaOf = (bytes: Uint8Array): arrow.Schema => {
      const r = arrow.RecordBatchReader.from(bytes);
      r.open();
      if (!r.schema) throw new Error('no schema message');
      return r.schema;
    };
    let schema: arrow.Schema | null = null;
    let lastError: unknown = null;
    if (read(0, 6).equals(MAGIC) && size >= 16) {
      const footerLen = read(size - 10, 4).readInt32LE(0);
      if (footerLen > 0 && footerLen + 16 <= size) {
        // A file of magic + footer: enough for arrow to read the schema without the batches.
        const footer = read(size - 10 - footerLen, footerLen + 10);
        try { schema = schemaOf(Buffer.concat([MAGIC, Buffer.alloc(2), footer])); } catch (e) { lastError = e; }
      }
      if (!schema) try { schema = schemaOf(read(0, size)); } catch (e) { lastError = e; }
    } else {
      for (let n = 64 * 1024; !schema; n *= 4) {
        try { schema = schemaOf(read(0, n)); } catch (e) { lastError = e; if (n >= size) break; }
      }
    }
    if (!schema) throw new DataError(`not a readable Arrow IPC file or stream (${(lastError as Error)?.message ?? 'no schema'}); write it with arrow's RecordBatchFileWriter or RecordBatchStreamWriter`, { file: path }, { cause: lastError });
    return schema.fields.map((x) => fieldFromArrow(x, path));
  } finally {
    closeSync(fd);
  }
}
