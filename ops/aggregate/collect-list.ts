// collectList(x): per group, the list of its non-null x (Spark's collect_list), kept as appended (group id, value) chunks.
//
// The partial state is the group's list, so partial states merge by appending their elements.
// Within a group the values keep input order in a single pass; after a shuffle or a spill the
// order of the merged pieces is unspecified, as in Spark.
import * as arrow from 'apache-arrow';
import { concatData } from '../compute/batch.ts';
import { takeData } from '../compute/take.ts';
import { toArrowType, type TypeJSON } from '../types.ts';
import { validBits, type Accumulator } from './accumulator.ts';

export class CollectListAccumulator implements Accumulator {
  private readonly valueType: arrow.DataType;
  private readonly listType: arrow.DataType;
  private values: arrow.Data[] = [];
  private groups: Int32Array[] = [];
  private held = 0;

  constructor(argType: TypeJSON) {
    this.valueType = toArrowType(argType);
    this.listType = toArrowType({ list: argType });
  }

  update(ids: Int32Array, n: number, arg: arrow.Data | null, _nGroups: number): void {
    const d = arg!;
    if (n === 0 || d.typeId === arrow.Type.Null) return;
    const bits = validBits(d);
    const rows = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) { const j = d.offset + i; if (!bits || bits[j >> 3] & (1 << (j & 7))) rows[m++] = i; }
    if (m === 0) return;
    const gids = new Int32Array(m);
    for (let k = 0; k < m; k++) gids[k] = ids[rows[k]];
    this.append(gids, takeData(d, rows.subarray(0, m)));
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], _nGroups: number): void {
    const list = state[0];
    const offs = list.valueOffsets as Int32Array;
    const start = offs[0], total = offs[n] - start;
    if (total === 0) return;
    const gids = new Int32Array(total);
    for (let i = 0; i < n; i++) gids.fill(ids[i], offs[i] - start, offs[i + 1] - start);
    const child = list.children[0].slice(start, total);
    this.append(gids, takeData(child, iota(total)));
  }

  state(nGroups: number): arrow.Data[] {
    const values = this.values.length ? concatData(this.values) : arrow.makeData({ type: this.valueType, length: 0, nullCount: 0 } as any);
    const m = values.length;
    const gids = new Int32Array(m);
    let at = 0;
    for (const g of this.groups) { gids.set(g, at); at += g.length; }
    // A stable counting sort by group keeps each group's values in append order.
    const offs = new Int32Array(nGroups + 1);
    for (let k = 0; k < m; k++) offs[gids[k] + 1]++;
    for (let g = 0; g < nGroups; g++) offs[g + 1] += offs[g];
    const fill = offs.slice(0, nGroups);
    const order = new Int32Array(m);
    for (let k = 0; k < m; k++) order[fill[gids[k]]++] = k;
    const child = takeData(values, order);
    return [arrow.makeData({ type: this.listType, length: nGroups, nullCount: 0, valueOffsets: offs, child } as any)];
  }

  finish(nGroups: number): arrow.Data { return this.state(nGroups)[0]; }

  bytes(): number { return this.held; }

  private append(gids: Int32Array, values: arrow.Data): void {
    this.groups.push(gids);
    this.values.push(values);
    this.held += gids.byteLength + dataBytes(values);
  }
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function dataBytes(d: arrow.Data): number {
  let n = (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0) + (d.nullBitmap?.byteLength ?? 0);
  for (const c of d.children) n += dataBytes(c);
  return n;
}
