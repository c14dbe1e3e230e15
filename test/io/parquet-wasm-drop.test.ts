// A dropped parquet-wasm reader instance (trimmed, or after a decoder panic) is garbage: nothing keeps its wasm memory alive.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { trimParquetWasm, withParquetWasm } from '../../ops/sources/parquet-wasm.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('parquet-wasm reader instance', () => {
  it('is collected once trimParquetWasm drops it (Node kept every fresh load in its parent module\'s children)', async () => {
    const bytes = new Uint8Array(readFileSync(resolve(import.meta.dirname, '../../../shared/tpch/sf0.1/nation.parquet')));
    const dropped: WeakRef<object>[] = [];
    for (let i = 0; i < 3; i++) {
      withParquetWasm((pq) => {
        dropped.push(new WeakRef(pq));
        return pq.readParquet(bytes).intoIPCStream().length;
      });
      trimParquetWasm(0);
    }
    for (let i = 0; i < 5 && dropped.some((r) => r.deref() !== undefined); i++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(dropped.map((r) => r.deref() === undefined)).toEqual([true, true, true]);
  });
});
