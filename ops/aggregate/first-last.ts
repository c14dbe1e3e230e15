// first(x) / last(x): the value of a group's first / last row in input order, nulls included.
//
// Semantics (DuckDB's `first`/`last`, Spark's default ignoreNulls = false): the value of the
// first (last) row of the group as the rows arrive, even when that value is null. After a
// shuffle, "input order" is the order in which the reducer reads the partial states (map
// order), so the answer is deterministic only when the input order is.
//
// Works for every column type: chosen rows are gathered (takeData) into small chunks, each
// group points at one row of one chunk, and chunks are compacted when most rows are stale.
import * as arrow from 'apache-arrow';
import { concatData } from '../compute/batch.ts';
import { takeData } from '../compute/take.ts';
import { nullData } from '../expr/bits.ts';
import type { TypeJSON } from '../types.ts';
import { growI32, growU8, type Accumulator } from './accumulator.ts';

/** Approximate bytes of one Data with its children. */
export function dataBytes(d: arrow.Data): number {
  let n = (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0) + (d.nullBitmap?.byteLength ?? 0);
  for (const c of d.children) n += dataBytes(c);
  return n;
}

export class FirstLastAccumulator implements Accumulator {
  private chunks: arrow.Data[] = [];
  private chunkOf = new Int32Array(64);
  private rowOf = new Int32Array(64);
  private set = new Uint8Array(64);
  /** Marks a group as handled in the current batch (stamp == batchNo). */
  private stamp = new Int32Array(64);
  private batchNo = 0;
  private groups = 0;
  private heldRows = 0;
  private heldBytes = 0;

  constructor(private readonly isFirst: boolean, private readonly type: TypeJSON) {}

  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    this.take(ids, n, arg!, nGroups);
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.take(ids, n, state[0], nGroups);
  }

  private take(ids: Int32Array, n: number, d: arrow.Data, nGroups: number): void {
    this.chunkOf = growI32(this.chunkOf, nGroups);
    this.rowOf = growI32(this.rowOf, nGroups);
    const set = (this.set = growU8(this.set, nGroups));
    const stamp = (this.stamp = growI32(this.stamp, nGroups));
    this.groups = Math.max(this.groups, nGroups);
    const mark = ++this.batchNo;
    const gs = new Int32Array(Math.min(n, nGroups));
    const rows = new Int32Array(gs.length);
    let m = 0;
    if (this.isFirst) {
      for (let i = 0; i < n; i++) {
        const g = ids[i];
        if (set[g] || stamp[g] === mark) continue;
        stamp[g] = mark;
        gs[m] = g; rows[m] = i; m++;
      }
    } else {
      // Walking backwards, the first time a group is met is its last row in this batch.
      for (let i = n - 1; i >= 0; i--) {
        const g = ids[i];
        if (stamp[g] === mark) continue;
        stamp[g] = mark;
        gs[m] = g; rows[m] = i; m++;
      }
    }
    if (m === 0) return;
    const chunk = takeData(d, rows.subarray(0, m));
    const c = this.chunks.length;
    this.chunks.push(chunk);
    this.heldRows += m;
    this.heldBytes += dataBytes(chunk);
    for (let k = 0; k < m; k++) {
      const g = gs[k];
      set[g] = 1;
      this.chunkOf[g] = c;
      this.rowOf[g] = k;
    }
    if (this.heldRows > 2 * this.groups + 256) this.compact();
  }

  /** Replaces all chunks with one holding exactly each group's current value. */
  private compact(): void {
    const all = this.finish(this.groups);
    this.chunks = [all];
    for (let g = 0; g < this.groups; g++) { this.chunkOf[g] = 0; this.rowOf[g] = g; }
    this.heldRows = this.groups;
    this.heldBytes = dataBytes(all);
  }

  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }

  finish(nGroups: number): arrow.Data {
    if (this.chunks.length === 0) return nullData(this.type, nGroups);
    const merged = concatData(this.chunks);
    const base = new Int32Array(this.chunks.length);
    for (let c = 1; c < this.chunks.length; c++) base[c] = base[c - 1] + this.chunks[c - 1].length;
    const idx = new Int32Array(nGroups);
    for (let g = 0; g < nGroups; g++) idx[g] = g < this.set.length && this.set[g] ? base[this.chunkOf[g]] + this.rowOf[g] : -1;
    return takeData(merged, idx);
  }

  bytes(): number {
    return this.heldBytes + this.chunkOf.byteLength * 3 + this.set.byteLength;
  }
}
