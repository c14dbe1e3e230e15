// Decoded row groups leave wasm memory through the C Data Interface with the same types and values as through IPC, or fall back to IPC.
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyOutOfWasm } from '../../ops/sources/parquet-ffi.ts';
import { withParquetWasm } from '../../ops/sources/parquet-wasm.ts';
import { decodeRowGroup } from '../../ops/sources/parquet.ts';
import { tempDir } from './helpers.ts';

/** Column sets, each its own file (DuckDB SQL over i in 0..9999): flat types with nulls, then nested ones. */
const FILES: Record<string, string> = {
  flat: `i, (i % 100)::TINYINT t, 'k' || (i % 7) s, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END d, (i / 100)::DECIMAL(15,2) dc,
    (i / 7)::DECIMAL(38,3) dc38, DATE '1960-01-01' + i::INT dt, TIMESTAMP '2020-01-01' + to_seconds(i) ts, i % 2 = 0 b,
    ('x' || i)::BLOB bl, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END ns, i / 3.0 f, (i % 2 = 0)::INT::BOOLEAN IS NULL nb`,
  struct: `{'a': i, 'b': CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || i END} st`,
  list: `CASE WHEN i % 4 = 0 THEN NULL ELSE [i, i + 1, NULL] END l`,
  map: `MAP {'k': i} m`,
  interval: `INTERVAL (i) DAY iv`,
  // The types Quiver reads (no decimals, no intervals), for a whole scan.
  scan: `i, (i % 100)::TINYINT t, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END s, i / 3.0 f, DATE '1960-01-01' + i::INT dt,
    TIMESTAMP '2020-01-01' + to_seconds(i) ts, i % 2 = 0 b, {'a': i} st, [i, NULL] l`,
};

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
const json = (t: arrow.Table) => JSON.stringify(t.toArray().map((r) => r.toJSON()), big);
const types = (t: arrow.Table) => t.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`);

describe('Parquet decode through the C Data Interface', () => {
  let dir: string;
  const bytes: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    dir = await tempDir();
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run('SET threads = 1'); // row groups as asked, whatever the load
    for (const [name, select] of Object.entries(FILES)) {
      const path = join(dir, `${name}.parquet`);
      await c.run(`COPY (SELECT ${select} FROM range(10000) r(i)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 4000)`);
      bytes[name] = new Uint8Array(readFileSync(path));
    }
  });

  const viaIpc = (b: Uint8Array, g: number) => arrow.tableFromIPC(withParquetWasm((pq) => pq.readParquet(b, { rowGroups: [g], batchSize: 1000 }).intoIPCStream()));
  const viaFfi = (b: Uint8Array, g: number) => withParquetWasm((pq) => copyOutOfWasm(pq, pq.readParquet(b, { rowGroups: [g], batchSize: 1000 })));

  it.each(['flat', 'struct', 'list', 'map'])('copies %s columns with the types, nullability and values IPC gives, batch by batch', (name) => {
    for (const g of [0, 2]) {
      const want = viaIpc(bytes[name], g);
      const got = viaFfi(bytes[name], g);
      expect(got, `${name} row group ${g}`).not.toBeNull();
      expect(types(got!)).toEqual(types(want));
      expect(got!.batches.map((b) => b.numRows)).toEqual(want.batches.map((b) => b.numRows));
      expect(got!.numRows).toBeGreaterThan(0);
      expect(json(got!)).toBe(json(want));
    }
  });

  it('owns its memory: the values survive the decoder reusing its memory', () => {
    const first = viaFfi(bytes.flat, 0)!;
    const before = json(first);
    for (let i = 0; i < 3; i++) viaFfi(bytes.flat, 1);
    expect(json(first)).toBe(before);
    expect(first.getChild('s')!.data[0].values.buffer).not.toBe(withParquetWasm((pq) => pq.wasmMemory().buffer));
  });

  it('returns null for a type it does not read (intervals)', () => {
    expect(viaFfi(bytes.interval, 0)).toBeNull();
  });

  it('the reader decodes through IPC when the C Data Interface path declines, to the same table', () => {
    let declined = 0;
    const decline = (_pq: unknown, t: { free(): void }) => { t.free(); declined++; return null; };
    for (const g of [0, 1]) {
      const want = decodeRowGroup(bytes.scan, g, ['i', 's', 'f', 'st'], 1000);
      const got = decodeRowGroup(bytes.scan, g, ['i', 's', 'f', 'st'], 1000, decline);
      expect(types(got)).toEqual(types(want));
      expect(got.numRows).toBeGreaterThan(0);
      expect(json(got)).toBe(json(want));
    }
    expect(declined).toBe(2);
  });
});
