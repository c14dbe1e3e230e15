import * as arrow from 'apache-arrow';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpillFile } from '../ops/spill.ts';

describe('SpillFile', () => {
  it('writes batches and reads them back in order, then deletes the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-spill-'));
    const t = new arrow.Table({ a: arrow.makeVector(Int32Array.from([1, 2, 3, 4])), s: arrow.vectorFromArray(['a', null, 'c', 'd'], new arrow.Utf8()) });
    const f = await SpillFile.write(dir, t.schema, [t.batches[0].slice(0, 2), t.batches[0].slice(2, 4)]);
    expect(f.rows).toBe(4);
    const back: unknown[] = [];
    for await (const b of f.read()) for (const r of b) back.push(r.toJSON());
    expect(back).toEqual([{ a: 1, s: 'a' }, { a: 2, s: null }, { a: 3, s: 'c' }, { a: 4, s: 'd' }]);
    await f.delete();
    expect(await readdir(dir)).toEqual([]);
  });
});
