// SQL IN: set membership of a column in a list of values, with a hash lookup for the constant ones and SQL's null rules.
import type * as arrow from 'apache-arrow';
import { Buffer } from 'node:buffer';
import { byteLen, getBit, validity, type Bits } from './bits.ts';
import { boolData } from './compare.ts';
import { numbersOf } from './num.ts';
import { bufferOf } from './utf8.ts';

/**
 * The constant values of an IN list, prepared once: numbers in a Set (NaN matches NaN, as in
 * Spark), strings bucketed by byte length (a few) or in a Set of byte strings (many).
 * `hasNull` records a null among them.
 */
export interface InSet {
  readonly utf8: boolean;
  readonly numbers: Set<number>;
  readonly byLength: Map<number, Uint8Array[]>;
  readonly byBytes: Set<string> | null;
  readonly hasNull: boolean;
}

/** More strings than this go to a Set keyed by their bytes instead of a compare per candidate. */
const FEW = 16;

export function makeInSet(utf8: boolean, values: readonly (number | Uint8Array | null)[]): InSet {
  const numbers = new Set<number>();
  const byLength = new Map<number, Uint8Array[]>();
  let hasNull = false;
  let strings = 0;
  for (const v of values) {
    if (v === null) { hasNull = true; continue; }
    if (typeof v === 'number') { numbers.add(v); continue; }
    strings++;
    const list = byLength.get(v.length);
    if (list) list.push(v);
    else byLength.set(v.length, [v]);
  }
  const byBytes = utf8 && strings > FEW ? new Set([...byLength.values()].flat().map((b) => Buffer.from(b).toString('latin1'))) : null;
  return { utf8, numbers, byLength, byBytes, hasNull };
}

/**
 * x IN (set ∪ others): true on a match; otherwise null when x is null, when the set holds a
 * null, or when some `others` value is null on that row; false otherwise. `others` are the
 * non-constant values, already of x's comparison type.
 */
export function inList(x: arrow.Data, set: InSet, others: readonly arrow.Data[]): arrow.Data {
  const n = x.length;
  const nb = byteLen(n);
  const hit = set.utf8 ? utf8Hits(x, set) : numberHits(x, set);
  for (const o of others) orMatches(hit, x, o, set.utf8);
  // unknown: a row where some list value is null (then no match means null, not false).
  let unknown: Bits | null = set.hasNull ? new Uint8Array(nb).fill(0xff) : null;
  if (!unknown) {
    for (const o of others) {
      const v = validity(o);
      if (!v) continue;
      unknown ??= new Uint8Array(nb);
      for (let k = 0; k < nb; k++) unknown[k] |= ~v[k] & 0xff;
    }
  }
  const vx = validity(x);
  if (!vx && !unknown) return boolData(hit, n, null);
  const valid = new Uint8Array(nb);
  for (let k = 0; k < nb; k++) {
    const xv = vx ? vx[k] : 0xff;
    hit[k] &= xv;
    valid[k] = xv & (unknown ? hit[k] | (~unknown[k] & 0xff) : 0xff);
  }
  return boolData(hit, n, valid);
}

/** Integer lists spanning at most this many values are looked up in a table instead of a Set. */
const TABLE_SPAN = 1 << 16;
/** Up to this many numbers are compared one by one (cheaper than hashing each row). */
const SCAN = 8;

function numberHits(x: arrow.Data, set: InSet): Bits {
  const n = x.length;
  const A = numbersOf(x);
  const out = new Uint8Array(byteLen(n));
  const s = set.numbers;
  if (s.size === 0) return out;
  const vals = [...s];
  const min = Math.min(...vals), max = Math.max(...vals);
  if (vals.every(Number.isInteger) && max - min < TABLE_SPAN) {
    // A fractional or NaN offset reads undefined from the table: no match, as it should be.
    const table = new Uint8Array(max - min + 1);
    for (const v of vals) table[v - min] = 1;
    for (let i = 0; i < n; i++) if (table[A[i] - min]) out[i >> 3] |= 1 << (i & 7);
    return out;
  }
  if (vals.length <= SCAN && !vals.some(Number.isNaN)) {
    const V = Float64Array.from(vals);
    const m = V.length;
    for (let i = 0; i < n; i++) {
      const a = A[i];
      for (let j = 0; j < m; j++) if (a === V[j]) { out[i >> 3] |= 1 << (i & 7); break; }
    }
    return out;
  }
  for (let i = 0; i < n; i++) if (s.has(A[i])) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** Candidates up to this many bytes long are found through an array indexed by length. */
const DENSE_LENGTHS = 1024;

function utf8Hits(x: arrow.Data, set: InSet): Bits {
  const n = x.length;
  const offs = x.valueOffsets as Int32Array;
  const bytes = x.values as Uint8Array;
  const out = new Uint8Array(byteLen(n));
  if (set.byBytes) {
    const buf = bufferOf(x);
    for (let i = 0; i < n; i++) if (set.byBytes.has(buf.toString('latin1', offs[i], offs[i + 1]))) out[i >> 3] |= 1 << (i & 7);
    return out;
  }
  if (set.byLength.size === 0) return out;
  // A few candidates: a dense table by byte length (no Map lookup per row) when they are short,
  // then the first byte before the rest.
  const maxLen = Math.max(...set.byLength.keys());
  const dense = maxLen <= DENSE_LENGTHS;
  const byLen: (Uint8Array[] | undefined)[] = dense ? new Array(maxLen + 1).fill(undefined) : [];
  if (dense) for (const [len, list] of set.byLength) byLen[len] = list;
  for (let i = 0; i < n; i++) {
    const a = offs[i];
    const len = offs[i + 1] - a;
    if (len > maxLen) continue;
    const cands = dense ? byLen[len] : set.byLength.get(len);
    if (cands === undefined) continue;
    if (len === 0) { out[i >> 3] |= 1 << (i & 7); continue; }
    const first = bytes[a];
    for (let j = 0; j < cands.length; j++) {
      const c = cands[j];
      if (c[0] !== first) continue;
      let k = 1;
      while (k < len && bytes[a + k] === c[k]) k++;
      if (k === len) { out[i >> 3] |= 1 << (i & 7); break; }
    }
  }
  return out;
}

/** Sets the bit of each row where x equals y (a non-constant list value); null rows of y never match. */
function orMatches(hit: Bits, x: arrow.Data, y: arrow.Data, utf8: boolean): void {
  const n = x.length;
  const vy = validity(y);
  if (utf8) {
    const xo = x.valueOffsets as Int32Array, yo = y.valueOffsets as Int32Array;
    const xb = x.values as Uint8Array, yb = y.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      if (vy && !getBit(vy, i)) continue;
      const a = xo[i], len = xo[i + 1] - a, b = yo[i];
      if (yo[i + 1] - b !== len) continue;
      let k = 0;
      while (k < len && xb[a + k] === yb[b + k]) k++;
      if (k === len) hit[i >> 3] |= 1 << (i & 7);
    }
    return;
  }
  const A = numbersOf(x), B = numbersOf(y);
  for (let i = 0; i < n; i++) {
    if (vy && !getBit(vy, i)) continue;
    const a = A[i], b = B[i];
    if (a === b || (a !== a && b !== b)) hit[i >> 3] |= 1 << (i & 7);
  }
}
