// Utf8 string kernels: byte-level where the bytes suffice, per-row JS strings otherwise.
import * as arrow from 'apache-arrow';
import { andValidity, byteLen, getBit, makeValues, makeVarWidth, validity, type Bits } from './bits.ts';
import { boolData } from './compare.ts';
import { numbersOf } from './num.ts';
import { bufferOf, mapStrings, Utf8Builder } from './utf8.ts';

const UTF8 = new arrow.Utf8();
const INT32 = new arrow.Int32();

const isCont = (b: number): boolean => (b & 0xc0) === 0x80;

/** True when every byte of the rows is ASCII (so byte = character). */
function allAscii(d: arrow.Data): boolean {
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const end = offs[d.length];
  for (let k = offs[0]; k < end; k++) if (bytes[k] >= 0x80) return false;
  return true;
}

/** lower / upper: a byte table when the batch is ASCII, JS case mapping otherwise. */
export function changeCase(d: arrow.Data, upper: boolean): arrow.Data {
  const n = d.length;
  if (!allAscii(d)) return mapStrings(d, upper ? (s) => s.toUpperCase() : (s) => s.toLowerCase());
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const base = offs[0];
  const out = new Uint8Array(offs[n] - base);
  const outOffs = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) outOffs[i] = offs[i] - base;
  const lo = upper ? 0x61 : 0x41, hi = upper ? 0x7a : 0x5a;
  for (let k = 0; k < out.length; k++) {
    const b = bytes[base + k];
    out[k] = b >= lo && b <= hi ? b ^ 0x20 : b;
  }
  const v = validity(d);
  return makeVarWidth(UTF8, n, outOffs, out, v ? v.slice() : null);
}

/** Number of characters (code points) per row, counted from the bytes. */
export function charLength(d: arrow.Data): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    const e = offs[i + 1];
    for (let k = offs[i]; k < e; k++) if (!isCont(bytes[k])) c++;
    out[i] = c;
  }
  const v = validity(d);
  return makeValues(INT32, n, out, v ? v.slice() : null);
}

/** Spark's trim(str): removes ASCII spaces (only ' ') from both ends. */
export function trimSpaces(d: arrow.Data): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const v = validity(d);
  const b = new Utf8Builder(n, offs[n] - offs[0]);
  for (let i = 0; i < n; i++) {
    if (v && !getBit(v, i)) { b.pushNull(); continue; }
    let s = offs[i], e = offs[i + 1];
    while (s < e && bytes[s] === 0x20) s++;
    while (e > s && bytes[e - 1] === 0x20) e--;
    b.pushBytes(bytes, s, e);
  }
  return b.finish();
}

export type MatchKind = 'startsWith' | 'endsWith' | 'contains';

/**
 * startsWith / endsWith / contains by bytes. The needle is either a column (`needle` Data)
 * or one literal (`lit`, encoded once at compile time).
 */
export function matchBytes(kind: MatchKind, hay: arrow.Data, needle: arrow.Data | null, lit: Uint8Array): arrow.Data {
  const n = hay.length;
  const ho = hay.valueOffsets as Int32Array;
  const hb = hay.values as Uint8Array;
  const no = needle ? (needle.valueOffsets as Int32Array) : null;
  const nb = needle ? (needle.values as Uint8Array) : lit;
  const out = new Uint8Array(byteLen(n));
  for (let i = 0; i < n; i++) {
    const a = ho[i], b = ho[i + 1];
    const s = no ? no[i] : 0, m = (no ? no[i + 1] : lit.length) - s;
    if (m > b - a) continue;
    let hit: boolean;
    if (kind === 'startsWith') hit = same(hb, a, nb, s, m);
    else if (kind === 'endsWith') hit = same(hb, b - m, nb, s, m);
    else hit = indexOfBytes(hb, a, b, nb, s, m) >= 0;
    if (hit) out[i >> 3] |= 1 << (i & 7);
  }
  return boolData(out, n, andValidity(validity(hay), needle ? validity(needle) : null, n));
}

function same(x: Uint8Array, a: number, y: Uint8Array, s: number, m: number): boolean {
  for (let k = 0; k < m; k++) if (x[a + k] !== y[s + k]) return false;
  return true;
}

/** First position of y[s, s+m) in x[a, b), or -1. */
export function indexOfBytes(x: Uint8Array, a: number, b: number, y: Uint8Array, s: number, m: number): number {
  if (m === 0) return a;
  const first = y[s];
  const last = b - m;
  for (let p = a; p <= last; p++) {
    if (x[p] !== first) continue;
    let k = 1;
    while (k < m && x[p + k] === y[s + k]) k++;
    if (k === m) return p;
  }
  return -1;
}

/** Byte position after advancing k characters from p (stopping at e). */
function advanceChars(bytes: Uint8Array, p: number, e: number, k: number): number {
  while (k > 0 && p < e) {
    p++;
    while (p < e && isCont(bytes[p])) p++;
    k--;
  }
  return p;
}

/**
 * Spark's substring(str, pos, len): pos is 1-based, 0 acts as 1, negative counts from the
 * end; a missing len means to the end; len < 1 gives ''. Works on code points.
 */
export function substr(d: arrow.Data, pos: arrow.Data, len: arrow.Data | null): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const P = numbersOf(pos);
  const L = len ? numbersOf(len) : null;
  let v = andValidity(validity(d), validity(pos), n);
  if (len) v = andValidity(v, validity(len), n);
  const b = new Utf8Builder(n, offs[n] - offs[0]);
  for (let i = 0; i < n; i++) {
    if (v && !getBit(v, i)) { b.pushNull(); continue; }
    const a = offs[i], e = offs[i + 1];
    const p = P[i];
    let start: number;
    if (p > 0) start = p - 1;
    else if (p < 0) {
      let chars = 0;
      for (let k = a; k < e; k++) if (!isCont(bytes[k])) chars++;
      start = chars + p;
    } else start = 0;
    const end = L ? start + L[i] : Infinity;
    if (start < 0) start = 0;
    if (start >= end) { b.pushBytes(bytes, a, a); continue; }
    const s = advanceChars(bytes, a, e, start);
    const t = end === Infinity ? e : advanceChars(bytes, s, e, end - start);
    b.pushBytes(bytes, s, t);
  }
  return b.finish();
}

/** regexp_extract(str, re, group): '' when there is no match or the group did not take part. */
export function regexpExtract(d: arrow.Data, re: RegExp, group: number): arrow.Data {
  return mapStrings(d, (s) => {
    const m = re.exec(s);
    return m ? (m[group] ?? '') : '';
  });
}

/** concat(a, b, ...) of utf8 columns; null when any input is null (Spark). */
export function concatUtf8(parts: readonly arrow.Data[], n: number): arrow.Data {
  let v: Bits | null = null;
  let bytesHint = 0;
  for (const p of parts) {
    v = andValidity(v, validity(p), n);
    const o = p.valueOffsets as Int32Array;
    bytesHint += o[n] - o[0];
  }
  const b = new Utf8Builder(n, bytesHint);
  const offs = parts.map((p) => p.valueOffsets as Int32Array);
  const bytes = parts.map((p) => p.values as Uint8Array);
  for (let i = 0; i < n; i++) {
    if (v && !getBit(v, i)) { b.pushNull(); continue; }
    for (let j = 0; j < parts.length; j++) b.addBytes(bytes[j], offs[j][i], offs[j][i + 1]);
    b.endRow();
  }
  return b.finish();
}

/** Row strings, used by the general split with a per-row separator. */
export function rowString(d: arrow.Data): (i: number) => string {
  const offs = d.valueOffsets as Int32Array;
  const buf = bufferOf(d);
  return (i) => buf.toString('utf8', offs[i], offs[i + 1]);
}
