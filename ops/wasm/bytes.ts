// JS side of the byte-scanning WebAssembly kernels (bytes.wat): line splitting, byte counting and
// the fused split(sep).at(k). Each thread has its own instance and scratch memory.
import { loadWasmModule, WasmHeap } from '../../gpu-kernels/index.ts';

interface BytesExports extends WebAssembly.Exports {
  split_lines(src: number, len: number, out: number, offs: number): number;
  count_byte(src: number, len: number, byte: number): number;
  hash_rows(offs: number, base: number, n: number, out: number): void;
  split_at1(offs: number, base: number, n: number, sep: number, k: number, valid: number, out: number, outOffs: number): number;
}

let heap: WasmHeap<BytesExports> | null = null;

function bytesHeap(): WasmHeap<BytesExports> {
  heap ??= new WasmHeap<BytesExports>(loadWasmModule(new URL('./bytes.wasm', import.meta.url)));
  return heap;
}

/** Start of the region after [at, at + len), 16-byte aligned with 16 bytes of slack between. */
const after = (at: number, len: number): number => (at + len + 31) & ~15;

/** Lines of src[a, e) (see split_lines in bytes.wat) as offsets and bytes, both fresh arrays. */
export function splitLinesWasm(src: Uint8Array, a: number, e: number): { offsets: Int32Array; bytes: Uint8Array; n: number } {
  const h = bytesHeap();
  const len = e - a;
  const srcAt = 0, outAt = after(srcAt, len), offsAt = after(outAt, len);
  h.reserve(offsAt + 4 * (len + 2));
  h.u8.set(src.subarray(a, e), srcAt);
  const n = h.fns.split_lines(srcAt, len, outAt, offsAt);
  const offsets = h.i32.slice(offsAt >> 2, (offsAt >> 2) + n + 1);
  const bytes = h.u8.slice(outAt, outAt + offsets[n]);
  return { offsets, bytes, n };
}

/** Number of `byte` in src[a, e). */
export function countByteWasm(src: Uint8Array, a: number, e: number, byte: number): number {
  const h = bytesHeap();
  const len = e - a;
  h.reserve(len);
  h.u8.set(src.subarray(a, e), 0);
  return h.fns.count_byte(0, len, byte);
}

/**
 * Token k (k >= 0) of each of n rows split on one separator byte. `offs` are the rows' value
 * offsets into `bytes` (n + 1 of them); `valid` is their validity (bit i of byte i >> 3),
 * updated in place: rows with fewer than k + 1 tokens become null.
 */
export function splitAtByteWasm(offs: Int32Array, bytes: Uint8Array, n: number, sep: number, k: number, valid: Uint8Array): { offsets: Int32Array; bytes: Uint8Array } {
  const h = bytesHeap();
  const first = offs[0], len = offs[n] - first;
  const offsAt = 0, bytesAt = after(offsAt, 4 * (n + 1)), validAt = after(bytesAt, len);
  const outOffsAt = after(validAt, valid.length), outAt = after(outOffsAt, 4 * (n + 1));
  h.reserve(outAt + len);
  h.i32.set(offs.subarray(0, n + 1), offsAt >> 2);
  h.u8.set(bytes.subarray(first, first + len), bytesAt);
  h.u8.set(valid, validAt);
  const total = h.fns.split_at1(offsAt, bytesAt - first, n, sep, k, validAt, outAt, outOffsAt);
  valid.set(h.u8.subarray(validAt, validAt + valid.length));
  return {
    offsets: h.i32.slice(outOffsAt >> 2, (outOffsAt >> 2) + n + 1),
    bytes: h.u8.slice(outAt, outAt + total),
  };
}

/**
 * KeyTable's single-bytes-key hash (see hash_rows in bytes.wat) of n rows given by `offs` into
 * `bytes`, written to out[0, n). Null rows are hashed as their (empty or not) bytes; callers
 * overwrite them.
 */
export function hashRowsWasm(offs: Int32Array, bytes: Uint8Array, n: number, out: Int32Array): void {
  const h = bytesHeap();
  const first = offs[0], len = offs[n] - first;
  const offsAt = 0, bytesAt = after(offsAt, 4 * (n + 1)), outAt = after(bytesAt, len);
  h.reserve(outAt + 4 * n);
  h.i32.set(offs.subarray(0, n + 1), offsAt >> 2);
  h.u8.set(bytes.subarray(first, first + len), bytesAt);
  h.fns.hash_rows(offsAt, bytesAt - first, n, outAt);
  out.set(h.i32.subarray(outAt >> 2, (outAt >> 2) + n));
}

const C1 = 0xcc9e2d51, C2 = 0x1b873593;

/** hash_rows in plain JS: the reference twin of hashRowsWasm. */
export function hashRowsJs(offs: Int32Array, bytes: Uint8Array, n: number, out: Int32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const a = offs[i], len = offs[i + 1] - a;
    let hash = len, p = a;
    const stop4 = a + (len & ~3);
    for (; p < stop4; p += 4) {
      let k = view.getInt32(p, true);
      k = Math.imul(k, C1); k = (k << 15) | (k >>> 17); k = Math.imul(k, C2);
      hash ^= k; hash = (hash << 13) | (hash >>> 19); hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
    }
    if (p < a + len) {
      let k = 0;
      if (len >= 4) k = view.getInt32(a + len - 4, true);
      else for (let t = a + len - 1; t >= p; t--) k = (k << 8) | bytes[t];
      k = Math.imul(k, C1); k = (k << 15) | (k >>> 17); k = Math.imul(k, C2);
      hash ^= k;
    }
    hash ^= hash >>> 16; hash = Math.imul(hash, 0x85ebca6b); hash ^= hash >>> 13; hash = Math.imul(hash, 0xc2b2ae35); hash ^= hash >>> 16;
    out[i] = hash;
  }
}
