// countDistinct(x): per group, the set of distinct non-null x, kept as (group id, value) pairs in a KeyTable.
//
// The partial state is a list of the group's distinct values, so partial states from several
// tasks (or spill runs) merge by re-inserting their elements: partial -> final gives the same
// count as a single pass.
import * as arrow from 'apache-arrow';
import { KeyTable } from '../compute/key-table.ts';
import { takeData } from '../compute/take.ts';
import { fromNumbers } from '../expr/num.ts';
import { toArrowType, type TypeJSON } from '../types.ts';
import { growF64, validBits, type Accumulator } from './accumulator.ts';

export class CountDistinctAccumulator implements Accumulator {
  private readonly pairs: KeyTable;
  private readonly valueType: arrow.DataType;
  private readonly listType: arrow.DataType;
  private counts = new Float64Array(64);

  constructor(argType: TypeJSON) {
    this.valueType = toArrowType(argType);
    this.listType = toArrowType({ list: argType });
    this.pairs = new KeyTable([new arrow.Int32(), this.valueType]);
  }

  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const counts = (this.counts = growF64(this.counts, nGroups));
    const d = arg!;
    if (n === 0 || d.typeId === arrow.Type.Null) return;
    const bits = validBits(d);
    let gids: Int32Array, values: arrow.Data, m: number;
    if (bits) {
      const rows = new Int32Array(n);
      m = 0;
      for (let i = 0; i < n; i++) { const j = d.offset + i; if (bits[j >> 3] & (1 << (j & 7))) rows[m++] = i; }
      gids = new Int32Array(m);
      for (let k = 0; k < m; k++) gids[k] = ids[rows[k]];
      values = takeData(d, rows.subarray(0, m));
    } else {
      m = n;
      gids = ids.length === n ? ids : ids.slice(0, n);
      values = d;
    }
    if (m === 0) return;
    const gidData = arrow.makeData({ type: new arrow.Int32(), length: m, nullCount: 0, data: gids });
    let next = this.pairs.size;
    const pid = this.pairs.insert([gidData, values], m);
    // New pairs get ids next, next+1, ... at their first occurrence, in row order.
    for (let k = 0; k < m; k++) if (pid[k] === next) { counts[gids[k]]++; next++; }
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    const list = state[0];
    const offs = list.valueOffsets as Int32Array;
    const start = offs[0], total = offs[n] - start;
    const elemGroups = new Int32Array(total);
    for (let i = 0; i < n; i++) for (let t = offs[i]; t < offs[i + 1]; t++) elemGroups[t - start] = ids[i];
    this.update(elemGroups, total, list.children[0].slice(start, total), nGroups);
  }

  state(nGroups: number): arrow.Data[] {
    const [gidData, values] = this.pairs.keysAsData();
    const gids = gidData.values as Int32Array;
    const m = gids.length;
    const offs = new Int32Array(nGroups + 1);
    for (let k = 0; k < m; k++) offs[gids[k] + 1]++;
    for (let g = 0; g < nGroups; g++) offs[g + 1] += offs[g];
    const fill = offs.slice(0, nGroups);
    const order = new Int32Array(m);
    for (let k = 0; k < m; k++) order[fill[gids[k]]++] = k;
    const child = takeData(values, order);
    return [arrow.makeData({ type: this.listType, length: nGroups, nullCount: 0, valueOffsets: offs, child } as any)];
  }

  finish(nGroups: number): arrow.Data {
    return fromNumbers('int64', growF64(this.counts, nGroups).subarray(0, nGroups), nGroups, null);
  }

  bytes(): number {
    return this.pairs.estimatedBytes() + this.counts.byteLength;
  }
}
