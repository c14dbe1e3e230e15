// Arrow IPC reader: the file format (magic 'ARROW1', random access) or the stream format.
import * as arrow from 'apache-arrow';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DataError, QuiverError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { ARROW_MAGIC, checkArrowLayout, type ReadAt } from './arrow-ipc-layout.ts';
import { fieldFromArrow } from './normalize.ts';

const HOW_TO_WRITE = "write it with arrow's RecordBatchFileWriter or RecordBatchStreamWriter";

function unreadable(path: string, e: unknown): DataError {
  if (e instanceof DataError) return e;
  return new DataError(`not a readable Arrow IPC file or stream (${(e as Error)?.message ?? String(e)}); ${HOW_TO_WRITE}`, { file: path }, { cause: e });
}

/** Positioned reads of an open file descriptor of `size` bytes. */
function readerOf(fd: number, size: number): ReadAt {
  return (pos, n) => {
    const b = Buffer.alloc(Math.max(0, Math.min(n, size - pos)));
    readSync(fd, b, 0, b.length, pos);
    return b;
  };
}

/** Checks the file's layout (see arrow-ipc-layout.ts) before any decoding; returns whether it is the file format. */
function checkLayout(path: string, fd: number): boolean {
  const size = fstatSync(fd).size;
  try {
    return checkArrowLayout(readerOf(fd, size), size).fileFormat;
  } catch (e) {
    throw unreadable(path, e);
  }
}

/** Batches of `reader`, each decoding error a DataError naming the file. */
async function* named(path: string, reader: AsyncIterable<arrow.RecordBatch>): AsyncGenerator<arrow.RecordBatch> {
  const it = reader[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<arrow.RecordBatch>;
    try {
      r = await it.next();
    } catch (e) {
      if (e instanceof QuiverError) throw e;
      throw unreadable(path, e);
    }
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Opens a reader over an IPC file or stream, after checking every message's lengths and bounds
 * (a corrupt length can make apache-arrow's decoder spin forever). The file format is read
 * through the file handle (footer, then one batch at a time); the stream format sequentially.
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
    const fileFormat = checkLayout(path, fh.fd);
    const source = fileFormat ? fh : createReadStream(path, { highWaterMark: 1 << 20 });
    const reader = await (arrow.RecordBatchReader.from(source as any) as unknown as Promise<arrow.RecordBatchReader>);
    await (reader as any).open();
    if (!reader.schema) throw new Error('no schema message');
    const batches = Object.assign(named(path, reader as unknown as AsyncIterable<arrow.RecordBatch>), { schema: reader.schema });
    return {
      reader: batches,
      close: async () => { await (reader as any).cancel?.(); if (!fileFormat) (source as ReturnType<typeof createReadStream>).destroy(); await fh.close(); },
    };
  } catch (e) {
    await fh.close();
    if (e instanceof QuiverError) throw e;
    throw unreadable(path, e);
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
    const fileFormat = checkLayout(path, fd);
    const size = fstatSync(fd).size;
    const read = readerOf(fd, size);
    const schemaOf = (bytes: Uint8Array): arrow.Schema => {
      const r = arrow.RecordBatchReader.from(bytes);
      r.open();
      if (!r.schema) throw new Error('no schema message');
      return r.schema;
    };
    let schema: arrow.Schema | null = null;
    let lastError: unknown = null;
    if (fileFormat) {
      const footerLen = Buffer.from(read(size - 10, 4)).readInt32LE(0);
      // A file of magic + footer: enough for arrow to read the schema without the batches.
      const footer = read(size - 10 - footerLen, footerLen + 10);
      try { schema = schemaOf(Buffer.concat([ARROW_MAGIC, Buffer.alloc(2), footer])); } catch (e) { lastError = e; }
      if (!schema) try { schema = schemaOf(read(0, size)); } catch (e) { lastError = e; }
    } else {
      for (let n = 64 * 1024; !schema; n *= 4) {
        try { schema = schemaOf(read(0, n)); } catch (e) { lastError = e; if (n >= size) break; }
      }
    }
    if (!schema) throw unreadable(path, lastError ?? new Error('no schema'));
    return schema.fields.map((x) => fieldFromArrow(x, path));
  } finally {
    closeSync(fd);
  }
}
