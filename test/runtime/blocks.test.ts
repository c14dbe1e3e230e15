// Blocks carry batches between threads in shared memory: every type, nulls and slices survive.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../core/runtime/ipc.ts';

function table(n: number, seed: number): arrow.Table {
  let s = seed;
  const r = () => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x7fffffff; };
  const maybe = <T>(v: T): T | null => (r() < 0.2 ? null : v);
  const ints: (number | null)[] = [], big: (bigint | null)[] = [], fl: (number | null)[] = [], str: (string | null)[] = [];
  const bools: (boolean | null)[] = [], dates: (number | null)[] = [], lists: (number[] | null)[] = [], fixed: (number[] | null)[] = [];
  for (let i = 0; i < n; i++) {
    ints.push(maybe(Math.floor(r() * 2000) - 1000));
    big.push(maybe(BigInt(Math.floor(r() * 1e9)) * 1_000_000_007n));
    fl.push(maybe(r() * 100 - 50));
    str.push(maybe(['', 'a', 'héllo', 'θ✓', 'x'.repeat(Math.floor(r() * 40))][Math.floor(r() * 5)]));
    bools.push(maybe(r() < 0.5));
    dates.push(maybe(Math.floor(r() * 40000) * 86_400_000));
    lists.push(maybe(Array.from({ length: Math.floor(r() * 4) }, () => Math.floor(r() * 10))));
    fixed.push(maybe([Math.floor(r() * 255), Math.floor(r() * 255), Math.floor(r() * 255)]));
  }
  return new arrow.Table({
    i: arrow.vectorFromArray(ints, new arrow.Int32()),
    b: arrow.vectorFromArray(big, new arrow.Int64()),
    f: arrow.vectorFromArray(fl, new arrow.Float64()),
    s: arrow.vectorFromArray(str, new arrow.Utf8()),
    t: arrow.vectorFromArray(bools, new arrow.Bool()),
    d: arrow.vectorFromArray(dates, new arrow.DateDay()),
    l: arrow.vectorFromArray(lists, new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
    x: arrow.vectorFromArray(fixed, new arrow.FixedSizeList(3, new arrow.Field('item', new arrow.Uint8(), true))),
  });
}

const rows = (bs: Iterable<arrow.RecordBatch>) => [...bs].flatMap((b) => b.toArray().map((r) => JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? v.toString() : v))));

describe('blocks', () => {
  it('round-trip every column type, with nulls, through shared memory', () => {
    const t = table(500, 1);
    const block = encodeBlock(t.schema, t.batches);
    expect(block.memory).toBeInstanceOf(SharedArrayBuffer);
    expect(block.rows).toBe(500);
    const back = [...decodeBlock(block)];
    expect(back.map((b) => b.schema.fields.map((f) => String(f.type)))).toEqual([t.schema.fields.map((f) => String(f.type))]);
    expect(rows(back)).toEqual(rows(t.batches));
  });

  it('round-trip slices at any offset (bit-packed buffers not on a byte boundary)', () => {
    const t = table(300, 2);
    const b = t.batches[0];
    fc.assert(fc.property(fc.integer({ min: 0, max: 299 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 299 }), (a, len, c) => {
      const s1 = b.slice(a, Math.min(300, a + len));
      const s2 = b.slice(c, Math.min(300, c + 7));
      const block = encodeBlock(t.schema, [s1, s2]);
      expect(rows(decodeBlock(block))).toEqual(rows([s1, s2]));
    }), { numRuns: 60 });
  });

  it('skips empty batches and keeps an empty block readable', () => {
    const t = table(10, 3);
    const block = encodeBlock(t.schema, [t.batches[0].slice(0, 0)]);
    expect(block.rows).toBe(0);
    expect([...decodeBlock(block)]).toEqual([]);
  });

  it('can be sent to another thread and read there', async () => {
    const { Worker } = await import('node:worker_threads');
    const t = table(50, 4);
    const block = encodeBlock(t.schema, t.batches);
    const w = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.on("message", (b) => { new Uint8Array(b.memory)[0] ^= 0; parentPort.postMessage(b.memory.byteLength); });', { eval: true });
    const got = await new Promise((res) => { w.once('message', res); w.postMessage(block); });
    await w.terminate();
    expect(got).toBe(block.memory.byteLength);
  });
});
