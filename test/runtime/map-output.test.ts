// MapOutput: a map task's output in memory, or in one Arrow IPC stream per partition once past its limit; the store then owns the files.
import * as arrow from 'apache-arrow';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../../ops/compute/batch.ts';
import { BlockStore } from '../../core/runtime/block-store.ts';
import { ipcToBlock, isSpilled, readBlockRef, type BlockRef } from '../../core/runtime/ipc.ts';
import { MapOutput } from '../../core/runtime/map-output.ts';

const dir = mkdtempSync(join(tmpdir(), 'quiver-map-output-'));
const schema = new arrow.Schema([new arrow.Field('k', new arrow.Int32(), false), new arrow.Field('s', new arrow.Utf8(), true)]);
const batch = (from: number, n: number) => {
  const t = new arrow.Table({
    k: arrow.vectorFromArray(Int32Array.from({ length: n }, (_, i) => from + i)),
    s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `row ${from + i}`)), new arrow.Utf8()),
  });
  return makeBatch(schema, t.batches[0].data.children, n);
};
const rowsOf = (ref: BlockRef | null) => (ref ? [...readBlockRef(ref)].flatMap((b) => b.toArray().map((r) => r.toJSON())) : []);

describe('MapOutput', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps small output in shared memory', () => {
    const out = new MapOutput(schema, 3, 1 << 20, join(dir, 'a'));
    out.add(0, batch(0, 10));
    out.add(2, batch(10, 5));
    const blocks = out.finish();
    expect(blocks.map((b) => b && isSpilled(b))).toEqual([false, null, false]);
    expect(rowsOf(blocks[0]).map((r) => r.k)).toEqual([...Array(10).keys()]);
    expect(out.spilledBytes).toBe(0);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });

  it('past its limit writes every partition to one stream, flush after flush, in order', () => {
    const out = new MapOutput(schema, 3, 2_000, join(dir, 'b'));
    const expected: number[][] = [[], [], []];
    for (let i = 0; i < 30; i++) {
      const p = i % 2 === 0 ? 0 : 2, b = batch(i * 100, 100);
      out.add(p, b);
      expected[p].push(...Array.from({ length: 100 }, (_, j) => i * 100 + j));
    }
    const blocks = out.finish();
    expect(out.spilledBytes).toBeGreaterThan(0);
    expect(blocks[1]).toBeNull();
    for (const p of [0, 2]) {
      const ref = blocks[p]!;
      expect(isSpilled(ref)).toBe(true);
      expect(ref.rows).toBe(1_500);
      const got = rowsOf(ref);
      expect(got.map((r) => r.k)).toEqual(expected[p]);
      expect(got.filter((r) => r.s === null).length).toBe(expected[p].filter((k) => (k % 100) % 7 === 0).length);
    }
    // The store takes the files: it serves them as IPC and removes them with the entry.
    const store = new BlockStore(1 << 20, join(dir, 'store'));
    store.put('j1/s0/p0/a0', blocks);
    expect(store.usage(['j1/s0/p0/a0']).memoryBytes).toBe(0);
    expect(ipcToBlock(store.ipc('j1/s0/p0/a0/2')!).rows).toBe(1_500);
    expect(readdirSync(join(dir, 'b')).length).toBe(2);
    store.dropPrefix('j1/');
    expect(readdirSync(join(dir, 'b'))).toEqual([]);
  });

  it('discard() removes what a failed task wrote', () => {
    const out = new MapOutput(schema, 2, 100, join(dir, 'c'));
    out.add(0, batch(0, 100));
    out.add(1, batch(100, 100));
    expect(readdirSync(join(dir, 'c')).length).toBe(2);
    out.discard();
    expect(readdirSync(join(dir, 'c'))).toEqual([]);
  });
});
