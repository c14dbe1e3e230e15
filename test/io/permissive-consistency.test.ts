// Permissive reading gives the same rows whatever is read (count, collect, any projection or filter), and each split's bad records are quarantined once, however many jobs, retries or attempts read it.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { tempDir } from './helpers.ts';

/** Every quarantined record under `dir`, as (file basename, line, column) strings, sorted. */
async function quarantined(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(dir)) {
    for (const l of (await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean)) {
      const r = JSON.parse(l);
      out.push(`${r.file.split('/').pop()}:${r.line}:${r.column}`);
    }
  }
  return out.sort();
}

describe('permissive reading is independent of the projection', () => {
  let q: Quiver;
  let dir: string;
  const warnings: string[] = [];
  beforeAll(async () => {
    dir = await tempDir();
    // Six records; line 4's age is not a number and line 6's name is not valid UTF-8.
    await writeFile(join(dir, 'people.csv'), Buffer.concat([
      Buffer.from('id,name,age\n1,ann,31\n2,bob,42\n3,cy,old\n4,dee,28\n'),
      Buffer.from([0x35, 0x2c, 0x65, 0xff, 0x2c, 0x33, 0x33, 0x0a]), // 5,e\xff,33
      Buffer.from('6,fay,50\n'),
    ]));
    await writeFile(join(dir, 'people.jsonl'), [
      '{"id":1,"name":"ann","age":31}', '{"id":2,"name":"bob","age":42}', '{"id":3,"name":"cy","age":"old"}',
      '{"id":4,"name":"dee","age":28}', '{"id":5,"name":"eve","age":true}', '{"id":6,"name":"fay","age":50}', '',
    ].join('\n'));
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => { warnings.push(a.map(String).join(' ')); });
    q = await Quiver.local({ workers: 2, targetSplitBytes: 24 });
  });
  afterAll(async () => { vi.restoreAllMocks(); await q?.close(); });

  const schema = 'id int32, name utf8, age int32';
  for (const format of ['csv', 'json'] as const) {
    it(`${format}: count(), collect() and every projection and filter see the same 4 rows`, async () => {
      const bad = join(dir, `bad-${format}`);
      const df = format === 'csv'
        ? q.read.csv(join(dir, 'people.csv'), { header: true, schema, mode: 'permissive', badRecordsPath: bad })
        : q.read.json(join(dir, 'people.jsonl'), { schema, mode: 'permissive', badRecordsPath: bad });
      expect(await df.count()).toBe(4);
      expect((await df.collect()).numRows).toBe(4);
      expect(await df.select('id').count()).toBe(4);
      expect(await df.select('name').count()).toBe(4);
      expect(await df.select('age').count()).toBe(4);
      expect((await df.select('id').toArray()).map((r) => r.id)).toEqual([1, 2, 4, 6]);
      expect(await df.filter(col('id').gt(0)).select('id').count()).toBe(4);
      // A job whose scan is in another stage (after a shuffle's map stage) reads the same splits.
      expect(await q.createDataFrame([{ id: 1 }, { id: 4 }]).repartition(2).join(df.repartition(3), 'id').count()).toBe(2);
      // Eight jobs read the file with several splits each: every bad record is quarantined once.
      const lines = format === 'csv' ? ['people.csv:4:age', 'people.csv:6:name'] : ['people.jsonl:3:age', 'people.jsonl:5:age'];
      expect(await quarantined(bad)).toEqual(lines);
      // Each job counts what it skipped.
      expect(q.session.lastJob!.counters.badRecords).toBe(2);
    });
  }

  it('warns once per session, not once per action', () => {
    expect(warnings.filter((w) => w.includes('bad record'))).toHaveLength(1);
  });
});
