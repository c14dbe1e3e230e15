// Parquet reader over parquet-wasm: schema from the footer, splits by row group, reads by row group and column.
import * as arrow from 'apache-arrow';
import { closeSync, fstatSync, openAsBlob, openSync, readSync } from 'node:fs';
import * as pq from 'parquet-wasm';
import { DataError, QuiverError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { fieldFromArrow } from './normalize.ts';
import type { SplitJSON } from './splits.ts';

const PAR1 = Buffer.from('PAR1');

function notParquet(path: string, e: unknown): DataError {
  if (e instanceof DataError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new DataError(`not a readable Parquet file (${msg})`, { file: path }, { cause: e });
}

/** The Arrow schema from the file's footer, reading only the footer's bytes (synchronous). */
export function inferParquetSchema(path: string): FieldJSON[] {
  let schema: arrow.Schema;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < 12) throw new Error(`${size} bytes is too short`);
      const tail = Buffer.alloc(8);
      readSync(fd, tail, 0, 8, size - 8);
      if (!tail.subarray(4).equals(PAR1)) throw new Error(`no 'PAR1' magic at the end`);
      const metaLen = tail.readUInt32LE(0);
      if (metaLen + 12 > size) throw new Error('footer length is larger than the file');
      // parquet-wasm parses the footer of the bytes it gets: hand it 'PAR1' + footer.
      const bytes = Buffer.alloc(4 + metaLen + 8);
      PAR1.copy(bytes, 0);
      readSync(fd, bytes, 4, metaLen + 8, size - 8 - metaLen);
      const s = pq.readSchema(bytes);
      schema = arrow.tableFromIPC(s.intoIPCStream()).schema;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: path }, { cause: e });
    throw notParquet(path, e);
  }
  return schema.fields.map((f) => fieldFromArrow(f, path));
}

async function openParquet(path: string): Promise<pq.ParquetFile> {
  try {
    return await pq.ParquetFile.fromFile(await openAsBlob(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: path }, { cause: e });
    throw notParquet(path, e);
  }
}

/** Consecutive row groups grouped until each split holds about `target` compressed bytes. */
export async function parquetRowGroupSplits(path: string, size: number, target: number): Promise<SplitJSON[]> {
  const file = await openParquet(path);
  try {
    const meta = file.metadata();
    const groups = meta.rowGroups().map((g) => { const b = g.compressedSize(); g.free(); return b; });
    meta.free();
    if (groups.length <= 1) return [{ path, start: 0, end: size }];
    const out: SplitJSON[] = [];
    let cur: number[] = [], bytes = 0;
    for (let i = 0; i < groups.length; i++) {
      cur.push(i);
      bytes += groups[i];
      if (bytes >= target) { out.push({ path, start: 0, end: size, rowGroups: cur }); cur = []; bytes = 0; }
    }
    if (cur.length) out.push({ path, start: 0, end: size, rowGroups: cur });
    return out;
  } finally {
    file.free();
  }
}

/**
 * Reads a split one row group at a time, only `columns` (file column names). With no columns
 * (count(*)) yields row counts from the metadata as zero-column batches.
 */
export async function* readParquetSplit(split: SplitJSON, columns: readonly string[], batchSize: number): AsyncGenerator<{ table: arrow.Table | null; rows: number }> {
  const file = await openParquet(split.path);
  try {
    const meta = file.metadata();
    const counts = meta.rowGroups().map((g) => { const n = g.numRows(); g.free(); return n; });
    meta.free();
    const groups = split.rowGroups ?? counts.map((_, i) => i);
    for (const g of groups) {
      if (columns.length === 0) { yield { table: null, rows: counts[g] }; continue; }
      let table: arrow.Table;
      try {
        const t = await file.read({ rowGroups: [g], columns: [...columns], batchSize });
        table = arrow.tableFromIPC(t.intoIPCStream());
      } catch (e) {
        if (e instanceof QuiverError) throw e;
        throw new DataError(`cannot read row group ${g}: ${e instanceof Error ? e.message : String(e)}`, { file: split.path }, { cause: e });
      }
      yield { table, rows: table.numRows };
    }
  } finally {
    file.free();
  }
}
