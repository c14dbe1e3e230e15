// Columns that only a scan's pushed filters read are read, filtered on and dropped: the scan outputs what the plan above uses, and the rows are the same.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { tempDir } from './helpers.ts';

let q: Quiver;
let csv = '', json = '';
const N = 5_000;
const rows = Array.from({ length: N }, (_, i) => ({ a: i, b: i % 7 === 0 ? 'x' : 'y', c: (i * 37) % 100, d: i % 3 }));
// Expected: b = 'x' (1 in 7: the scan gathers after it), then c > 50 and d = 1 on the rows left.
const want = rows.filter((r) => r.b === 'x' && r.c > 50 && r.d === 1).map((r) => r.a);

beforeAll(async () => {
  q = await Quiver.local({ workers: 2, quiet: true, ui: false });
  const dir = await tempDir();
  csv = join(dir, 't.csv');
  json = join(dir, 't.jsonl');
  await writeFile(csv, 'a,b,c,d\n' + rows.map((r) => `${r.a},${r.b},${r.c},${r.d}`).join('\n') + '\n');
  await writeFile(json, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await q.read.csv(csv, { header: true }).write.mode('overwrite').parquet(join(dir, 't.parquet'));
});

afterAll(async () => {
  await q?.close();
});

describe('filter-only scan columns', () => {
  for (const format of ['csv', 'json', 'parquet'] as const) {
    it(`${format}: the scan outputs only the selected column, and every matching row comes back`, async () => {
      const path = format === 'csv' ? csv : format === 'json' ? json : join(csv, '..', 't.parquet');
      const df = (format === 'csv' ? q.read.csv(path, { header: true }) : format === 'json' ? q.read.json(path) : q.read.parquet(path))
        .filter(col('b').eq('x').and(col('c').gt(50)).and(col('d').eq(1)))
        .select('a');
      const plan = await df.explain();
      const scanLine = plan.slice(plan.indexOf('== Physical Plan ==')).split('\n').find((l) => l.includes('ScanExec'))!;
      expect(scanLine).toContain('projection=[a]');
      expect(scanLine).toContain('filters=');
      const t = await df.collect();
      expect(t.schema.fields.map((f) => f.name)).toEqual(['a']);
      expect(Array.from(t.getChild('a')!.toArray() as ArrayLike<number | bigint>, Number).sort((x, y) => x - y)).toEqual(want);
    });
  }

  it('a count(*) under filters reads the filter columns and gives the same count', async () => {
    const t = await q.read.csv(csv, { header: true }).filter(col('b').eq('x').and(col('c').gt(50))).count();
    expect(t).toBe(rows.filter((r) => r.b === 'x' && r.c > 50).length);
  });
});
