// Map kernels: createMap from key/value columns, lookup by key (getItem, element_at), keys, values and size.
//
// A map is Arrow's Map: per-row offsets into one entries struct of a key and a value column.
// Like a list, Arrow JS slices its offsets with it but not its entries.
import * as arrow from 'apache-arrow';
import { concatData } from '../compute/batch.ts';
import { isValid, takeData } from '../compute/take.ts';
import { DataError } from '../errors.ts';
import { getBit, validity } from './bits.ts';
import { bufferOf } from './utf8.ts';

/**
 * Reads row i of a key column as a JS value equal (===) to every equal key of any comparable
 * type: integers as numbers (bigints only beyond 2^53), strings and binary as byte strings.
 */
export function keyReader(d: arrow.Data): (i: number) => unknown {
  switch (d.typeId) {
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offs = d.valueOffsets as Int32Array;
      const buf = bufferOf(d);
      return (i) => buf.toString('latin1', offs[i], offs[i + 1]);
    }
    case arrow.Type.Bool: {
      const bits = d.values as Uint8Array, o = d.offset;
      return (i) => ((bits[(o + i) >> 3] >> ((o + i) & 7)) & 1) === 1;
    }
    default: {
      const values = d.values as ArrayLike<number | bigint>;
      return (i) => {
        const x = values[i];
        return typeof x === 'bigint' && x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x;
      };
    }
  }
}

/**
 * One map per row from `keys[j]` and `values[j]` (pairs j in order). A null key, or a key given
 * twice in one row, is a DataError (as Spark's default), naming `what` and the row.
 */
export function makeMap(type: arrow.DataType, keys: readonly arrow.Data[], values: readonly arrow.Data[], n: number, what: string): arrow.Data {
  const k = keys.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) offsets[i] = i * k;
  const order = new Int32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) order[i * k + j] = j * n + i;
  const readers = keys.map(keyReader);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) {
      if (!isValid(keys[j], i)) throw new DataError(`${what}: key ${j + 1} is null in row ${i + 1} of the batch; map keys cannot be null (filter or coalesce them first)`);
      for (let p = 0; p < j; p++) {
        if (readers[p](i) === readers[j](i)) throw new DataError(`${what}: keys ${p + 1} and ${j + 1} are equal in row ${i + 1} of the batch; a map cannot hold a key twice`);
      }
    }
  }
  const entriesType = type.children[0].type;
  const entries = arrow.makeData({
    type: entriesType, length: n * k, nullCount: 0,
    children: [takeData(concatData(keys), order), takeData(concatData(values), order)],
  } as any);
  return arrow.makeData({ type, length: n, nullCount: 0, valueOffsets: offsets, child: entries } as any);
}

/** The value under `key` in each map (the first entry with that key); null when absent or either side is null. */
export function mapLookup(map: arrow.Data, key: arrow.Data): arrow.Data {
  const n = map.length;
  const offs = map.valueOffsets as Int32Array;
  const entries = map.children[0];
  const keyAt = keyReader(entries.children[0]);
  const probe = keyReader(key);
  const vm = validity(map), vk = validity(key);
  const idx = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if ((vm && !getBit(vm, i)) || (vk && !getBit(vk, i))) continue;
    const want = probe(i);
    for (let j = offs[i]; j < offs[i + 1]; j++) if (keyAt(j) === want) { idx[i] = j; break; }
  }
  return takeData(entries.children[1], idx);
}

/** The keys (part 0) or values (part 1) of each map as a list of `type`, sharing the map's offsets. */
export function mapPart(map: arrow.Data, part: 0 | 1, type: arrow.DataType): arrow.Data {
  const v = validity(map);
  const child = map.children[0].children[part];
  return arrow.makeData({ type, length: map.length, nullCount: v ? map.nullCount : 0, nullBitmap: v ? v.slice() : undefined, valueOffsets: map.valueOffsets, child } as any);
}

/** The number of entries (map) or elements (list, fixed-size list) of each row; null for null. */
export function sizeOf(d: arrow.Data): arrow.Data {
  const n = d.length;
  const out = new Int32Array(n);
  const v = validity(d);
  const fixed = d.typeId === arrow.Type.FixedSizeList ? (d.type as arrow.FixedSizeList).listSize : -1;
  const offs = d.valueOffsets as Int32Array;
  for (let i = 0; i < n; i++) out[i] = fixed >= 0 ? fixed : offs[i + 1] - offs[i];
  const valid = v ? v.slice() : null;
  return arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: valid ? d.nullCount : 0, nullBitmap: valid ?? undefined, data: out });
}
