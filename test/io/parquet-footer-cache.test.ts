// The driver reuses what it parsed from a Parquet footer only while the footer is byte for byte the same: a file rewritten in place (new schema, new row groups) is parsed again.
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { inferParquetSchema, parquetFileStats } from '../../ops/sources/parquet.ts';
import { tempDir } from './helpers.ts';

describe('Parquet footer cache', () => {
  let q: Quiver;
  let dir: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    dir = await tempDir('quiver-footer-cache-');
  });
  afterAll(async () => { await q?.close(); });

  it('parses again once the file changes: schema, rows and the rows a query reads', async () => {
    const out = join(dir, 'parts');
    await q.createDataFrame(Array.from({ length: 100 }, (_, i) => ({ a: i })), { partitions: 1 }).write.mode('overwrite').parquet(out);
    const file = () => join(out, readdirSync(out).find((f) => f.endsWith('.parquet'))!);
    const first = file();
    expect(inferParquetSchema(first).map((f) => f.name)).toEqual(['a']);
    expect(parquetFileStats(first).rows).toBe(100);
    expect(await q.read.parquet(first).filter(col('a').gte(50)).count()).toBe(50);
    // Mutating what one caller got does not reach the next.
    inferParquetSchema(first)[0]!.name = 'mangled';
    expect(inferParquetSchema(first).map((f) => f.name)).toEqual(['a']);

    // The same path rewritten in place (same inode, new bytes).
    const other = join(dir, 'other');
    await q.createDataFrame(Array.from({ length: 300 }, (_, i) => ({ a: i, b: `x${i}` })), { partitions: 1 }).write.mode('overwrite').parquet(other);
    copyFileSync(join(other, readdirSync(other).find((f) => f.endsWith('.parquet'))!), first);
    const second = first;
    expect(inferParquetSchema(second).map((f) => f.name)).toEqual(['a', 'b']);
    expect(parquetFileStats(second).rows).toBe(300);
    expect(await q.read.parquet(second).filter(col('a').gte(50)).count()).toBe(250);
  });
});
