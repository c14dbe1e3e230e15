// The CPU kernels' WebAssembly module (simd.wat) and a shared, growable memory to run it in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Exports of simd.wat. Pointers are byte offsets into the memory. */
export interface SimdExports extends WebAssembly.Exports {
  normalize4(src: number, inLen: number, groups: number, dst: number, scale: number, shift: number): void;
  dense(x: number, gx: number, groups: number, k: number, w: number, b: number, n8: number, y: number, ldy: number, relu: number, ilv: number): void;
  forward(model: number, images: number, row0: number, rows: number, s0: number, s1: number, s2: number, out: number, ldo: number, labels: number, scores: number): void;
  nonzeros(src: number, inLen: number, rows: number, list: number, scale: number): number;
  conv(x: number, xrow: number, taps: number, k: number, w: number, b: number, m: number, y: number, yplane: number, yrow: number, oh: number, ow: number, lo: number, hi: number): void;
  depthwise(x: number, xplane: number, xrow: number, taps: number, k: number, w: number, b: number, c: number, y: number, yplane: number, yrow: number, oh: number, ow: number, lo: number, hi: number): void;
  pad_planes(src: number, planes: number, h: number, w: number, dst: number, dplane: number, pt: number, pl: number, hp: number, wp: number, s: number, wq: number, drow: number): void;
  maxpool2(x: number, planes: number, h: number, w: number, y: number, oh: number, ow: number): void;
  dense_rows(x: number, ldx: number, g: number, k: number, w: number, b: number, n8: number, y: number, ldy: number, lo: number, hi: number): void;
}

const PAGE = 65536;
/** The memory's maximum, in pages (as simd.wat declares it): 2 GiB of address space, reserved, not committed. */
export const MAX_PAGES = 32768;

let compiled: WebAssembly.Module | null = null;

/**
 * simd.wat compiled, with its memory import marked shared. wabt (as scripts/build-wasm.mjs runs
 * it, without the threads feature) refuses `(memory ... shared)`, so the .wat declares
 * `(memory 1 65536)`, whose limits flag byte is 0x01 (has maximum), and this sets it to 0x03
 * (has maximum, shared) in the import section. Anything unexpected there throws.
 */
export function simdModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const path = fileURLToPath(new URL('./simd.wasm', import.meta.url));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new Error(`WebAssembly kernel ${path} is missing: run \`npm run build:wasm\` (npm test, npm run demo and npm run build do it for you)`);
  }
  markMemoryShared(bytes);
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

function markMemoryShared(b: Uint8Array): void {
  let p = 8; // magic and version
  const leb = (): number => {
    let v = 0, shift = 0, byte: number;
    do { byte = b[p++]; v |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return v >>> 0;
  };
  while (p < b.length) {
    const id = b[p++], size = leb(), end = p + size;
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        for (let name = 0; name < 2; name++) { const len = leb(); p += len; } // module and field names
        const kind = b[p++];
        if (kind === 2) {
          if (b[p] !== 0x01) throw new Error(`simd.wasm: memory import has limits flag ${b[p]}, expected 0x01 (min and max)`);
          b[p] = 0x03;
          return;
        }
        throw new Error(`simd.wasm: unexpected import of kind ${kind}; only env.memory is expected`);
      }
    }
    p = end;
  }
  throw new Error('simd.wasm: no memory import found');
}

/**
 * One instance of simd.wat on its own shared memory, used by one thread at a time. Callers lay
 * out their data by byte offset and MUST re-read the views after `reserve`, which grows the
 * memory and so replaces them.
 */
export class SimdHeap {
  readonly memory: WebAssembly.Memory;
  readonly fns: SimdExports;
  u8!: Uint8Array;
  f32!: Float32Array;
  i32!: Int32Array;

  constructor(initialBytes = 1 << 20, memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: MAX_PAGES, shared: true });
    this.fns = new WebAssembly.Instance(simdModule(), { env: { memory: this.memory } }).exports as SimdExports;
    this.views();
  }

  /** Makes the memory at least `bytes` long, plus 256 bytes of slack for vector over-reads and over-writes. */
  reserve(bytes: number): void {
    const need = bytes + 256;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    if (this.u8.byteLength !== this.memory.buffer.byteLength) this.views();
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
  }
}

/** Rounds a byte offset up to the next multiple of 64 (a cache line), leaving 64 bytes of slack. */
export const align64 = (bytes: number): number => (bytes + 127) & ~63;
