// percentileApprox(x, p, accuracy): per group, a QuantileSketch of the non-null x; the value (or list of values) at p.
//
// The partial state is the sketch itself: its items (level 0 first, then level 1, ...) and the
// number of items per level; a merge adds each level's items at that level. See
// quantile-sketch.ts for the error bound (rank error < n / accuracy; exact for groups of at
// most 2 * accuracy values). The result is always one of the group's input values.
import * as arrow from 'apache-arrow';
import { fromNumbers, numbersOf } from '../expr/num.ts';
import type { AggParams } from '../expr/node.ts';
import { toArrowType, type TypeJSON } from '../types.ts';
import { bitsFromFlags, countUnset, validBits, type Accumulator } from './accumulator.ts';
import { QuantileSketch } from './quantile-sketch.ts';

/** JS bytes per sketch besides its items (object, level arrays), for the memory budget. */
const SKETCH_OVERHEAD = 160;

export class PercentileApproxAccumulator implements Accumulator {
  private readonly sketches: (QuantileSketch | undefined)[] = [];
  private readonly ps: readonly number[];
  private readonly scalar: boolean;
  private items = 0;

  constructor(private readonly argType: TypeJSON, private readonly params: AggParams) {
    this.scalar = typeof params.percentage === 'number';
    this.ps = typeof params.percentage === 'number' ? [params.percentage] : params.percentage;
  }

  update(ids: Int32Array, n: number, arg: arrow.Data | null, _nGroups: number): void {
    const d = arg!;
    if (d.typeId === arrow.Type.Null) return;
    const v = numbersOf(d);
    const bits = validBits(d);
    const off = d.offset;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const s = this.sketch(ids[i]);
      const before = s.size;
      s.add(v[i]);
      this.items += s.size - before;
    }
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], _nGroups: number): void {
    const [itemList, sizeList] = state;
    const itemOffs = itemList.valueOffsets as Int32Array, sizeOffs = sizeList.valueOffsets as Int32Array;
    const items = numbersOf(itemList.children[0]);
    const sizes = numbersOf(sizeList.children[0]);
    for (let i = 0; i < n; i++) {
      if (sizeOffs[i + 1] === sizeOffs[i]) continue;
      const s = this.sketch(ids[i]);
      const before = s.size;
      let at = itemOffs[i];
      for (let h = 0, k = sizeOffs[i]; k < sizeOffs[i + 1]; h++, k++) {
        s.addLevel(h, items, at, at + sizes[k]);
        at += sizes[k];
      }
      this.items += s.size - before;
    }
  }

  state(nGroups: number): arrow.Data[] {
    const itemOffs = new Int32Array(nGroups + 1), sizeOffs = new Int32Array(nGroups + 1);
    for (let g = 0; g < nGroups; g++) {
      const s = this.sketches[g];
      itemOffs[g + 1] = itemOffs[g] + (s?.size ?? 0);
      sizeOffs[g + 1] = sizeOffs[g] + (s ? s.levels.length : 0);
    }
    const items = new Float64Array(itemOffs[nGroups]);
    const sizes = new Int32Array(sizeOffs[nGroups]);
    for (let g = 0; g < nGroups; g++) {
      const s = this.sketches[g];
      if (!s) continue;
      let at = itemOffs[g];
      s.levels.forEach((lv, h) => { sizes[sizeOffs[g] + h] = lv.length; items.set(lv, at); at += lv.length; });
    }
    return [
      listData(this.argType, fromNumbers(this.argType, items, items.length, null), itemOffs, null),
      listData('int32', fromNumbers('int32', sizes, sizes.length, null), sizeOffs, null),
    ];
  }

  finish(nGroups: number): arrow.Data {
    const k = this.ps.length;
    const out = new Float64Array(nGroups * k);
    const seen = new Uint8Array(nGroups);
    for (let g = 0; g < nGroups; g++) {
      const q = this.sketches[g]?.quantiles(this.ps);
      if (!q) continue;
      seen[g] = 1;
      out.set(q, g * k);
    }
    const valid = bitsFromFlags(seen, nGroups);
    if (this.scalar) return fromNumbers(this.argType, out, nGroups, valid);
    // A group without values is a null list (its offsets span nothing).
    const offs = new Int32Array(nGroups + 1);
    const flat = new Float64Array(nGroups * k);
    let m = 0;
    for (let g = 0; g < nGroups; g++) {
      if (seen[g]) { flat.set(out.subarray(g * k, g * k + k), m); m += k; }
      offs[g + 1] = m;
    }
    return listData(this.argType, fromNumbers(this.argType, flat.subarray(0, m), m, null), offs, valid, countUnset(seen, nGroups));
  }

  bytes(): number { return this.items * 8 + this.sketches.length * SKETCH_OVERHEAD; }

  private sketch(g: number): QuantileSketch {
    return (this.sketches[g] ??= new QuantileSketch(this.params.accuracy));
  }
}

function listData(elem: TypeJSON, child: arrow.Data, offsets: Int32Array, valid: Uint8Array | null, nulls = 0): arrow.Data {
  return arrow.makeData({
    type: toArrowType({ list: elem }), length: offsets.length - 1, nullCount: nulls,
    nullBitmap: nulls ? valid : undefined, valueOffsets: offsets, child,
  } as any);
}
