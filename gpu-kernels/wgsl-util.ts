// WGSL and WebGPU quirks in one place: alignment, packed u8 input, workgroup and dispatch limits, f16.
import type { Precision } from './kernel.ts';

/**
 * GPUBufferUsage / GPUMapMode bit values (fixed by the WebGPU spec). Written out because
 * `webgpu`'s `globals` is typed as a bare Object, and so that modules that only build
 * descriptors need not load dawn.node.
 */
export const Usage = { MapRead: 0x1, MapWrite: 0x2, CopySrc: 0x4, CopyDst: 0x8, Uniform: 0x40, Storage: 0x80 } as const;
export const MapMode = { Read: 0x1 } as const;

/**
 * writeBuffer/copyBufferToBuffer sizes and offsets MUST be multiples of 4 bytes, and a storage
 * binding's offset a multiple of minStorageBufferOffsetAlignment (256 on many GPUs; 16 on
 * lavapipe). Validation fails (and the whole command buffer with it) otherwise.
 */
export const COPY_ALIGN = 4;
export const OFFSET_ALIGN = 256;

/** Rounds `n` up to a multiple of `a` (a power of two or not). */
export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * WGSL has no 8-bit storage type (u8 arrays do not exist; `shader-int8` is not a WebGPU
 * feature), so u8 data is bound as array<u32> and unpacked in the shader four bytes at a time
 * (little-endian: byte i is bits 8*(i%4)..). This pads a byte array to a multiple of 4 bytes
 * (zeros) and views it as u32 without a copy when it is already aligned.
 */
export function packU8(x: Uint8Array): Uint32Array {
  if (x.byteOffset % 4 === 0 && x.byteLength % 4 === 0) return new Uint32Array(x.buffer, x.byteOffset, x.byteLength / 4);
  const out = new Uint32Array(Math.ceil(x.byteLength / 4));
  new Uint8Array(out.buffer).set(x);
  return out;
}

/** WGSL helper: byte `i` of an array<u32> named `src`, as f32. */
export const WGSL_LOAD_U8 = /* wgsl */ `
fn load_u8(i: u32) -> f32 { return f32((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu); }`;

/**
 * Workgroup sizes: WebGPU guarantees only 256 invocations per workgroup and 65535 workgroups
 * per dispatch dimension. Large 1-D launches are therefore folded into x and y; shaders
 * rebuild the linear index with `linear_id` (and MUST bounds-check it: the fold rounds up).
 */
export const MAX_WORKGROUPS_PER_DIM = 65535;
export const MAX_INVOCATIONS = 256;

/** Splits `groups` workgroups into an [x, y] dispatch within the per-dimension limit. */
export function dispatch2d(groups: number): [number, number] {
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [Math.max(groups, 0), 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y];
}

/** WGSL: the linear workgroup index of a 2-D folded dispatch (see dispatch2d). */
export const WGSL_LINEAR_GROUP = /* wgsl */ `
fn linear_group(wg: vec3u, nwg: vec3u) -> u32 { return wg.y * nwg.x + wg.x; }`;

/**
 * The element type for a precision. f16 MUST be enabled at the top of the module (`enable f16;`)
 * and requested on the device (feature 'shader-f16'), else the shader fails to compile.
 * f16 paths store and load f16 but accumulate dot products in f32: an f16 accumulator over
 * k = 784 terms loses ~sqrt(k) ulps, beyond the contract's 4 eps16 bound.
 */
export function scalarType(p: Precision): 'f32' | 'f16' {
  return p === 'f16' ? 'f16' : 'f32';
}
export function enableF16(p: Precision): string {
  return p === 'f16' ? 'enable f16;\n' : '';
}

/**
 * Host-side f16 conversion (round to nearest even), for uploading weights as f16. JS has no
 * Float16Array on Node 20.
 */
export function toF16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i];
    const x = u[0], sign = (x >>> 16) & 0x8000, exp = (x >>> 23) & 0xff, mant = x & 0x7fffff;
    let h: number;
    if (exp === 0xff) h = sign | 0x7c00 | (mant ? 0x200 : 0);
    else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) h = sign | 0x7c00;
      else if (e <= 0) {
        if (e < -10) h = sign;
        else {
          const m = mant | 0x800000, shift = 14 - e;
          let r = m >>> shift;
          const rem = m & ((1 << shift) - 1), half = 1 << (shift - 1);
          if (rem > half || (rem === half && (r & 1))) r++;
          h = sign | r;
        }
      } else {
        let r = (e << 10) | (mant >>> 13);
        const rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
        h = sign | r; // a carry into the exponent is the correct rounding (up to inf)
      }
    }
    out[i] = h;
  }
  return out;
}

/** Byte size of `n` elements of a precision's storage type, padded to the copy alignment. */
export function storageBytes(n: number, p: Precision): number {
  return alignUp(n * (p === 'f16' ? 2 : 4), COPY_ALIGN);
}

/**
 * WGSL: NaN tests by bit pattern. `x != x` is not reliable: WGSL lets implementations assume
 * no NaN (fast-math), and LLVM-based drivers such as lavapipe fold it to false.
 */
export const WGSL_NAN = /* wgsl */ `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// NaN and inf come from private variables: a const bitcast to NaN/inf is a WGSL compile error.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f32() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f32() -> f32 { return bitcast<f32>(INF_BITS); }`;

/** Workgroup size of the 1-D elementwise and per-row kernels (a multiple of every SIMD width we met: 8 on lavapipe, 32 on NVIDIA). */
export const WG_1D = 64;

/** Workgroups for `n` invocations of WG_1D, folded into 2-D (see dispatch2d). */
export function groups1d(n: number): [number, number] {
  return dispatch2d(Math.ceil(n / WG_1D));
}
