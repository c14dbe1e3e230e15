// Utf8 column plumbing: a growable Utf8 builder and per-row decoding of Utf8 Data.
import * as arrow from 'apache-arrow';
import { Buffer } from 'node:buffer';
import { allValid, clearBit, makeVarWidth, validity, getBit, type Bits } from './bits.ts';

const UTF8 = new arrow.Utf8();
export const encoder = new TextEncoder();

/**
 * Appends rows of bytes or strings and finishes into plain Utf8 Data (offset 0). Every row
 * MUST be appended exactly once, in order.
 */
export class Utf8Builder {
  private bytes: Buffer;
  private pos = 0;
  private row = 0;
  private readonly offsets: Int32Array;
  private valid: Bits | null = null;

  constructor(private readonly n: number, byteHint = n * 8) {
    this.offsets = new Int32Array(n + 1);
    // Never from Node's shared pool: a column's buffer may be transferred to a worker thread.
    this.bytes = Buffer.allocUnsafeSlow(Math.max(16, byteHint));
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.pos + extra));
    this.bytes.copy(next, 0, 0, this.pos);
    this.bytes = next;
  }

  pushString(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.bytes.write(s, this.pos, 'utf8');
    this.offsets[++this.row] = this.pos;
  }

  pushBytes(src: Uint8Array, a: number, b: number): void {
    this.addBytes(src, a, b);
    this.offsets[++this.row] = this.pos;
  }

  /** Appends bytes to the current row without ending it (see endRow). */
  addBytes(src: Uint8Array, a: number, b: number): void {
    const len = b - a;
    this.ensure(len);
    const out = this.bytes;
    let w = this.pos;
    if (len < 32) for (let k = a; k < b; k++) out[w++] = src[k];
    else { out.set(src.subarray(a, b), w); w += len; }
    this.pos = w;
  }

  endRow(): void {
    this.offsets[++this.row] = this.pos;
  }

  pushNull(): void {
    if (!this.valid) this.valid = allValid(this.n);
    clearBit(this.valid, this.row);
    this.offsets[++this.row] = this.pos;
  }

  finish(): arrow.Data {
    const full = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.pos);
    // Copy when most of the capacity went unused, so the batch does not pin it.
    const bytes = this.pos * 2 < this.bytes.length ? full.slice() : full;
    return makeVarWidth(UTF8, this.n, this.offsets, bytes, this.valid);
  }
}

/** A Node Buffer over a Utf8 Data's bytes, for fast per-row decoding. */
export function bufferOf(d: arrow.Data): Buffer {
  const v = d.values as Uint8Array;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Row strings of a Utf8 Data (null for null rows). */
export function stringsOf(d: arrow.Data): (string | null)[] {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const buf = bufferOf(d);
  const v = validity(d);
  const out: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = v && !getBit(v, i) ? null : buf.toString('utf8', offs[i], offs[i + 1]);
  return out;
}

/** Utf8 Data from strings (null -> null row). */
export function utf8FromStrings(strs: readonly (string | null)[]): arrow.Data {
  const b = new Utf8Builder(strs.length);
  for (const s of strs) {
    if (s === null) b.pushNull();
    else b.pushString(s);
  }
  return b.finish();
}

/**
 * Maps every valid row's string through `f` (null result -> null row); null rows stay null.
 * The slow, general path for string functions that need JS strings.
 */
export function mapStrings(d: arrow.Data, f: (s: string) => string | null): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const buf = bufferOf(d);
  const v = validity(d);
  const b = new Utf8Builder(n, offs[n] - offs[0]);
  for (let i = 0; i < n; i++) {
    if (v && !getBit(v, i)) { b.pushNull(); continue; }
    const r = f(buf.toString('utf8', offs[i], offs[i + 1]));
    if (r === null) b.pushNull();
    else b.pushString(r);
  }
  return b.finish();
}
