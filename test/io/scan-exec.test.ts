import * as arrow from 'apache-arrow';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { ScanExec } from '../../ops/scan-exec.ts';
import { planSplits } from '../../ops/sources/index.ts';
import { scanAll, tempDir, testContext } from './helpers.ts';

const col = (name: string): ExprNode => ({ kind: 'column', name });
const lit = (value: number): ExprNode => ({ kind: 'literal', value, type: 'int32' });
const gt = (l: ExprNode, r: ExprNode): ExprNode => ({ kind: 'binary', op: 'gt', left: l, right: r });

async function people(): Promise<string> {
  const dir = await tempDir();
  const path = join(dir, 'people.csv');
  const lines = ['id,name,age'];
  for (let i = 0; i < 3000; i++) lines.push(`${i},n${i},${i % 90}`);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

describe('ScanExec', () => {
  it('produces only the projected columns, in projection order, in batches of ctx.batchSize', async () => {
    const path = await people();
    const { rows, batches, exec } = await scanAll('csv', path, {}, { projection: ['age', 'id'], batchSize: 700 });
    expect(exec.schema.fields.map((f) => f.name)).toEqual(['age', 'id']);
    expect(rows.length).toBe(3000);
    expect(rows[5]).toEqual({ age: 5, id: 5 });
    expect(batches.slice(0, -1).every((b) => b.numRows === 700)).toBe(true);
  });

  it('applies filters, including on columns outside the projection', async () => {
    const path = await people();
    const { rows } = await scanAll('csv', path, {}, { projection: ['name'], filters: [gt(col('age'), lit(87)), gt(col('id'), lit(2000))] });
    expect(rows).toEqual(
      Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 90 > 87 && i > 2000).map((i) => ({ name: `n${i}` })));
  });

  it('stops at the limit per partition and skips empty batches', async () => {
    const path = await people();
    const { rows, batches } = await scanAll('csv', path, {}, { filters: [gt(col('age'), lit(88))], limit: 5, batchSize: 50 });
    expect(rows.map((r) => r.id)).toEqual([89, 179, 269, 359, 449]);
    expect(batches.every((b) => b.numRows > 0)).toBe(true);
  });

  it('reads each split as its own partition', async () => {
    const path = await people();
    const source = { format: 'csv' as const, paths: [path], options: {} };
    const splits = await planSplits(source, 10_000);
    expect(splits.length).toBeGreaterThan(3);
    const exec = new ScanExec({ format: 'csv', splits, options: {}, fileSchema: [
      { name: 'id', type: 'int32', nullable: true }, { name: 'name', type: 'utf8', nullable: true }, { name: 'age', type: 'int32', nullable: true },
    ], projection: ['id'], filters: [], limit: null });
    expect(exec.partitions).toBe(splits.length);
    const ids: number[] = [];
    for (let p = 0; p < splits.length; p++) {
      for await (const b of exec.execute(p, await testContext({ partition: p }))) ids.push(...(b.getChildAt(0)!.toArray() as Int32Array));
    }
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('closes its file when the consumer stops early', async () => {
    const path = await people();
    const { exec } = await scanAll('csv', path, {}, { limit: 1 });
    const it = exec.execute(0, await testContext())[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return!(undefined);
    expect((await it.next()).done).toBe(true);
  });

  it('displays format, files, splits, projection, filters and limit', async () => {
    const exec = new ScanExec({
      format: 'csv',
      splits: [{ path: '/d/a.csv', start: 0, end: 10 }, { path: '/d/a.csv', start: 10, end: 20 }, { path: '/d/b.csv', start: 0, end: 5 }, { path: '/d/b.csv', start: 5, end: 9 }],
      options: {}, fileSchema: [{ name: 'a', type: 'int32', nullable: true }, { name: 'b', type: 'utf8', nullable: true }],
      projection: ['a', 'b'], filters: [gt(col('a'), lit(1))], limit: 10,
    });
    expect(exec.display()).toBe('ScanExec: csv [a.csv, b.csv] splits=4 projection=[a, b] filters=[(a > 1)] limit=10');
    expect(exec.schema).toBeInstanceOf(arrow.Schema);
  });

  it('rejects unknown columns, bad options and a non-bool filter at construction', () => {
    const base = { format: 'csv' as const, splits: [], options: {}, fileSchema: [{ name: 'a', type: 'int32' as const, nullable: true }], filters: [], limit: null };
    expect(() => new ScanExec({ ...base, projection: ['zz'] })).toThrow(`scan: column 'zz' is not a column of the files; columns: a`);
    expect(() => new ScanExec({ ...base, projection: null, options: { mode: 'permissive' } })).toThrow(PlanError);
    expect(() => new ScanExec({ ...base, projection: null, filters: [col('a')] })).toThrow(/expected bool/);
  });
});
