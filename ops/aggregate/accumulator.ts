// The Accumulator contract (per-group aggregate state) and typed-array helpers its implementations share.
//
// An Accumulator keeps one state per dense group id (KeyTable ids). It is fed either raw
// argument values (update) or partial-state columns (merge), and writes the partial state
// (state) or the final value (finish). state()/merge() MUST follow the layout in agg-spec.ts,
// or a 'final' aggregate misreads what a 'partial' one (or a spill run) wrote.
import * as arrow from 'apache-arrow';

export interface Accumulator {
  /** Folds rows [0, n) of the raw argument (null for countStar) into groups ids[i] < nGroups. */
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void;
  /** Folds rows [0, n) of partial-state columns into groups ids[i] < nGroups. */
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void;
  /** Partial-state columns for groups [0, nGroups). */
  state(nGroups: number): arrow.Data[];
  /** Final values for groups [0, nGroups). */
  finish(nGroups: number): arrow.Data;
  /** Bytes held, for the memory budget. */
  bytes(): number;
}

/** Validity bitmap of `d` (index at d.offset + i) or null when every row is valid. */
export function validBits(d: arrow.Data): Uint8Array | null {
  if (d.typeId === arrow.Type.Null) return new Uint8Array((d.offset + d.length + 7) >> 3);
  return d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null;
}

export function growF64(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (a.length >= need) return a;
  const b = new Float64Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

export function growU8(a: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
  if (a.length >= need) return a;
  const b = new Uint8Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

/** A row-aligned validity bitmap from a per-group 0/1 byte array, or null when all are set. */
export function bitsFromFlags(flags: Uint8Array, n: number): Uint8Array | null {
  let all = true;
  for (let g = 0; g < n; g++) if (!flags[g]) { all = false; break; }
  if (all) return null;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let g = 0; g < n; g++) if (flags[g]) bits[g >> 3] |= 1 << (g & 7);
  return bits;
}

export function growI32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (a.length >= need) return a;
  const b = new Int32Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

/** Number of zero bytes among flags[0, n). */
export function countUnset(flags: Uint8Array, n: number): number {
  let k = 0;
  for (let g = 0; g < n; g++) if (!flags[g]) k++;
  return k;
}
