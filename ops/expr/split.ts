// split(str, sep) into list<utf8>, at(list, i), and the fused byte-level at(split(str, sep), i).
//
// The separator is a literal string (not a regular expression). An empty separator splits
// into characters; an empty string gives [''] as in Spark.
import * as arrow from 'apache-arrow';
import { takeData } from '../compute/take.ts';
import { allValid, andValidity, clearBit, getBit, makeVarWidth, validity, type Bits } from './bits.ts';
import { numbersOf } from './num.ts';
import { utf8FromStrings } from './utf8.ts';
import { splitAtByteWasm } from '../wasm/bytes.ts';

const UTF8 = new arrow.Utf8();
const LIST_UTF8 = new arrow.List(new arrow.Field('item', UTF8, true));

/** End of the token that starts at p: the next separator position, or e. */
function tokenEnd(bytes: Uint8Array, p: number, e: number, sep: Uint8Array): number {
  const m = sep.length;
  const s0 = sep[0];
  if (m === 1) {
    while (p < e && bytes[p] !== s0) p++;
    return p;
  }
  const last = e - m;
  for (; p <= last; p++) {
    if (bytes[p] !== s0) continue;
    let k = 1;
    while (k < m && bytes[p + k] === sep[k]) k++;
    if (k === m) return p;
  }
  return e;
}

/** End of the character that starts at p (empty separator: each character is a token). */
function charEnd(bytes: Uint8Array, p: number, e: number): number {
  p++;
  while (p < e && (bytes[p] & 0xc0) === 0x80) p++;
  return p;
}

/**
 * Fused at(split(str, sep), k) over bytes: finds token k of each row without building the
 * list or any JS string, then copies the token bytes into fresh Utf8 Data. Rows with fewer
 * than k + 1 tokens, and k < 0, give null.
 */
export function splitAt(d: arrow.Data, sep: Uint8Array, k: number): arrow.Data {
  const n = d.length;
  if (sep.length === 1 && k >= 0 && n > 0) {
    // The hot path (a one-byte separator such as ' '): SIMD byte scans in WebAssembly.
    const v = validity(d);
    const valid: Bits = v ? v.slice() : allValid(n);
    const r = splitAtByteWasm(d.valueOffsets as Int32Array, d.values as Uint8Array, n, sep[0], k, valid);
    return makeVarWidth(UTF8, n, r.offsets, r.bytes, valid);
  }
  return splitAtJs(d, sep, k);
}

/** splitAt in plain JS: the reference for the WebAssembly path, and every other separator. */
export function splitAtJs(d: arrow.Data, sep: Uint8Array, k: number): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const v = validity(d);
  const valid: Bits = v ? v.slice() : allValid(n);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const m = sep.length;
  const s0 = sep[0];
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (k < 0 || (v !== null && getBit(v, i) === 0)) { clearBit(valid, i); continue; }
    let p = offs[i];
    const e = offs[i + 1];
    let q: number;
    if (m === 1) {
      // The hot path (a one-byte separator such as ' '): plain byte scans.
      let t = k;
      while (t > 0) {
        while (p < e && bytes[p] !== s0) p++;
        if (p === e) break;
        p++;
        t--;
      }
      if (t > 0) { clearBit(valid, i); continue; }
      q = p;
      while (q < e && bytes[q] !== s0) q++;
    } else if (m === 0) {
      let t = k;
      while (t > 0 && p < e) { p = charEnd(bytes, p, e); t--; }
      if (t > 0 || (p === e && (k > 0 || e > offs[i]))) { clearBit(valid, i); continue; }
      q = p === e ? e : charEnd(bytes, p, e);
    } else {
      let t = k;
      while (t > 0) {
        const s = tokenEnd(bytes, p, e, sep);
        if (s === e) break;
        p = s + m;
        t--;
      }
      if (t > 0) { clearBit(valid, i); continue; }
      q = tokenEnd(bytes, p, e, sep);
    }
    starts[i] = p;
    ends[i] = q;
    total += q - p;
  }
  const outOffs = new Int32Array(n + 1);
  const out = new Uint8Array(total);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const a = starts[i], b = ends[i];
    if (b - a < 32) for (let j = a; j < b; j++) out[w++] = bytes[j];
    else { out.set(bytes.subarray(a, b), w); w += b - a; }
    outOffs[i + 1] = w;
  }
  return makeVarWidth(UTF8, n, outOffs, out, valid);
}

/** split(str, sep) with a literal separator, into list<utf8>, over bytes (no JS strings). */
export function splitList(d: arrow.Data, sep: Uint8Array): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const v = validity(d);
  const m = sep.length;
  const nullRow = v ?? allValid(0);
  const hasNulls = v !== null;
  const s0 = sep[0];
  // Pass 1 counts tokens so that every output buffer is allocated once, at its exact size.
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    if (hasNulls && ((nullRow[i >> 3] >> (i & 7)) & 1) === 0) continue;
    let p = offs[i];
    const e = offs[i + 1];
    if (m === 1) {
      tokens++;
      for (; p < e; p++) if (bytes[p] === s0) tokens++;
    } else if (m === 0) {
      if (p === e) { tokens++; continue; }
      for (; p < e; p++) if ((bytes[p] & 0xc0) !== 0x80) tokens++;
    } else {
      tokens++;
      for (;;) { const q = tokenEnd(bytes, p, e, sep); if (q === e) break; p = q + m; tokens++; }
    }
  }
  const listOffs = new Int32Array(n + 1);
  const tokOffs = new Int32Array(tokens + 1);
  const out = new Uint8Array(offs[n] - offs[0]);
  let t = 0, w = 0;
  for (let i = 0; i < n; i++) {
    if (hasNulls && ((nullRow[i >> 3] >> (i & 7)) & 1) === 0) { listOffs[i + 1] = t; continue; }
    let p = offs[i];
    const e = offs[i + 1];
    if (m === 1) {
      // Copy bytes, closing a token at each separator byte.
      for (; p < e; p++) {
        const c = bytes[p];
        if (c === s0) tokOffs[++t] = w;
        else out[w++] = c;
      }
      tokOffs[++t] = w;
    } else {
      for (;;) {
        const q = m === 0 ? (p === e ? e : charEnd(bytes, p, e)) : tokenEnd(bytes, p, e, sep);
        for (let j = p; j < q; j++) out[w++] = bytes[j];
        tokOffs[++t] = w;
        if (q === e) break;
        p = q + m;
      }
    }
    listOffs[i + 1] = t;
  }
  const child = makeVarWidth(UTF8, tokens, tokOffs, out.subarray(0, w), null);
  const nullCount = v ? d.nullCount : 0;
  return arrow.makeData({ type: LIST_UTF8, length: n, nullCount, nullBitmap: v ? v.slice() : undefined, valueOffsets: listOffs, child } as any);
}

/** split(str, sep) where the separator is a column: per-row JS strings (rare). */
export function splitPerRow(d: arrow.Data, sep: arrow.Data): arrow.Data {
  const n = d.length;
  const v = andValidity(validity(d), validity(sep), n);
  const so = d.valueOffsets as Int32Array, po = sep.valueOffsets as Int32Array;
  const dec = new TextDecoder();
  const sb = d.values as Uint8Array, pb = sep.values as Uint8Array;
  const tokens: string[] = [];
  const listOffs = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    if (!v || getBit(v, i)) {
      const s = dec.decode(sb.subarray(so[i], so[i + 1]));
      const p = dec.decode(pb.subarray(po[i], po[i + 1]));
      const parts = p === '' ? (s === '' ? [''] : Array.from(s)) : s.split(p);
      for (const t of parts) tokens.push(t);
    }
    listOffs[i + 1] = tokens.length;
  }
  const child = utf8FromStrings(tokens);
  const nulls = v ? n - countOnes(v, n) : 0;
  return arrow.makeData({ type: LIST_UTF8, length: n, nullCount: nulls, nullBitmap: nulls ? v : undefined, valueOffsets: listOffs, child } as any);
}

function countOnes(b: Bits, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) c += getBit(b, i);
  return c;
}

/**
 * at(list, i), 0-based: element i of each list, null when out of range. `oneBased` (element_at,
 * SQL's list[i]): i counts from 1, a negative i from the end (-1 the last), 0 gives null.
 */
export function listAt(list: arrow.Data, index: arrow.Data, oneBased = false): arrow.Data {
  const n = list.length;
  const I = numbersOf(index);
  const v = andValidity(validity(list), validity(index), n);
  const idx = new Int32Array(n);
  const child = list.children[0];
  const fixed = list.typeId === arrow.Type.FixedSizeList ? (list.type as arrow.FixedSizeList).listSize : -1;
  const offs = list.valueOffsets as Int32Array;
  for (let i = 0; i < n; i++) {
    // A fixed-size list's child is sliced with it: row i's elements start at i * size.
    const start = fixed >= 0 ? i * fixed : offs[i];
    const len = fixed >= 0 ? fixed : offs[i + 1] - offs[i];
    let k = I[i];
    if (oneBased) k = k > 0 ? k - 1 : k < 0 ? len + k : -1;
    idx[i] = (v && !getBit(v, i)) || k < 0 || k >= len ? -1 : start + k;
  }
  return takeData(child, idx);
}
