// The fused MLP on the CPU: the plain-JS reference, and the fast runner (WebAssembly SIMD on worker threads sharing one memory).
import { availableParallelism } from 'node:os';
import { argmaxReference, topkCpu, topkReference } from '../argmax/cpu.ts';
import type { Ranked } from '../argmax/contract.ts';
import { expectLength } from '../kernel.ts';
import { align64, SimdHeap, simdModule } from '../cpu/module.ts';
import { packBias, packPanels, padded32, padded8 } from '../cpu/pack.ts';
import { normalizeReference } from '../normalize/cpu.ts';
import { softmaxReference, softmaxRow } from '../softmax/cpu.ts';
import type { MlpArgs, MlpResult, MlpRunner, MlpWeights } from './contract.ts';
import { Ctl, ForwardPool, type Scratch } from './cpu-pool.ts';

/** Throws a RangeError naming the first weight that does not fit the stated shapes. */
export function checkWeights(wts: MlpWeights): void {
  const { layers } = wts;
  if (!Array.isArray(layers) || layers.length === 0) throw new RangeError('mlp: weights.layers must hold at least one layer');
  layers.forEach((l, i) => {
    for (const d of ['in', 'out'] as const) {
      if (!Number.isInteger(l[d]) || l[d] < 1) throw new RangeError(`mlp: layers[${i}].${d} must be an integer >= 1, got ${l[d]}`);
    }
    if (i > 0 && l.in !== layers[i - 1].out) throw new RangeError(`mlp: layers[${i}].in is ${l.in}, expected layers[${i - 1}].out = ${layers[i - 1].out}`);
    const last = i === layers.length - 1;
    const ok = last ? ['relu', 'none', 'softmax'].includes(l.activation) : l.activation === 'relu' || l.activation === 'none';
    if (!ok) throw new RangeError(`mlp: layers[${i}].activation '${l.activation}' is not allowed ${last ? 'on the last layer' : 'on a hidden layer (softmax is for the last)'}`);
    expectLength('mlp', `layers[${i}].w`, l.w, l.out * l.in, `out x in = ${l.out} x ${l.in}`);
    expectLength('mlp', `layers[${i}].b`, l.b, l.out, `out = ${l.out}`);
  });
}

function checkBatch(wts: MlpWeights, images: Uint8Array, m: number, topK: number): void {
  const n = wts.layers[wts.layers.length - 1].out;
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`mlp: m must be an integer >= 0, got ${m}`);
  if (!Number.isInteger(topK) || topK < 0 || topK > n) throw new RangeError(`mlp: topK must be an integer in [0, ${n}], got ${topK}`);
  expectLength('mlp', 'images', images, m * wts.layers[0].in, `m x in = ${m} x ${wts.layers[0].in}`);
}

/** The top k of each row of the last layer's outputs (row i at out[at + i * ld, + n)), as the reference ranks them. */
function topOf(out: Float32Array, at: number, ld: number, m: number, n: number, softmax: boolean, k: number): Ranked {
  const probs = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    if (softmax) softmaxRow(out, at + i * ld, n, probs, i * n);
    else probs.set(out.subarray(at + i * ld, at + i * ld + n), i * n);
  }
  return topkCpu({ x: probs, m, n, k });
}

/**
 * The reference: normalize (as the normalize reference), each layer in f64 rounded to f32,
 * ReLU keeping NaN, then softmax (as the softmax reference) or the logits, argmax and top-k by
 * the argmax contract's order.
 */
export function mlpReference(args: MlpArgs): MlpResult {
  const { weights: wts, images, m } = args;
  const topK = args.topK ?? 0;
  checkWeights(wts);
  checkBatch(wts, images, m, topK);
  let x = normalizeReference({ x: images, scale: wts.scale, shift: wts.shift });
  for (const l of wts.layers) {
    const y = new Float32Array(m * l.out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < l.out; j++) {
        let s = l.b[j];
        for (let p = 0; p < l.in; p++) s += x[i * l.in + p] * l.w[j * l.in + p];
        y[i * l.out + j] = l.activation === 'relu' && s < 0 ? 0 : s;
      }
    }
    x = y;
  }
  const last = wts.layers[wts.layers.length - 1];
  const n = last.out;
  const probs = last.activation === 'softmax' ? softmaxReference({ x, m, n }) : x;
  const best: Ranked = argmaxReference({ x: probs, m, n });
  const result: MlpResult = { labels: best.index, scores: best.value };
  if (topK >= 1) result.top = topkReference({ x: probs, m, n, k: topK });
  return result;
}

/** Rows per chunk: the unit a thread claims. 8 groups of 4: enough to reuse each weight panel from L1, small enough to balance two threads. */
const CHUNK = 32;
/** Rows copied into the shared memory at a time (larger batches run in passes), bounding the memory a runner keeps. */
const PASS = 65_536;
/**
 * Nonzero bytes per 1024 above which a chunk takes the dense first layer: the sparse one
 * costs a little more per input it visits (an indirect weight address, no reuse of weights
 * across rows), measured to break even around this density.
 */
const SPARSE_LIMIT = 600;

export interface CpuMlpOptions {
  /** Threads, the calling one included (default min(2, cores)). */
  threads?: number;
  /**
   * Whether the first layer may skip 0 bytes (default true; it is used only where exact: shift
   * 0, a finite scale and finite first-layer weights). false forces the dense path everywhere.
   */
  sparse?: boolean;
}

/**
 * Packs the model once into a shared WebAssembly memory and runs batches over `threads`
 * threads: the calling thread plus threads - 1 workers, which share the memory and take
 * chunks of CHUNK rows from a shared counter. run() blocks the calling thread while it
 * computes (it is CPU work). dispose() stops the workers; they are unref'd, so a runner never
 * keeps the process alive either way.
 */
export function createCpuMlp(weights: MlpWeights, opts: CpuMlpOptions = {}): MlpRunner {
  checkWeights(weights);
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(2, availableParallelism())));
  const { layers } = weights;
  const nIn = layers[0].in, nOut = layers[layers.length - 1].out;
  const in4 = (nIn + 3) & ~3;
  const ldo = 4 * padded8(nOut);
  // The sparse first layer skips 0 bytes, exact only when a 0 byte is a 0 input (shift 0,
  // scale finite) that contributes 0 (0 * w is NaN for an infinite w); it needs a next layer
  // to write to (its output is interleaved) and list offsets that fit (in * 1024 in 32 bits).
  const sparse = (opts.sparse ?? true) && layers.length > 1 && weights.shift === 0 && Number.isFinite(weights.scale)
    && nIn <= 65_536 && layers[0].w.every(Number.isFinite) && layers[0].b.every(Number.isFinite);
  const n32 = sparse ? padded32(layers[0].out) : 0;
  const softmax = layers[layers.length - 1].activation === 'softmax';
  const width = Math.max(in4, n32, ...layers.map((l) => padded8(l.out)));

  // Layout: model descriptor, packed layers, per-thread scratch, then the batch (images, outputs).
  const descAt = 0;
  let at = align64(48 + 20 * layers.length);
  const packed: { w: number; b: number }[] = [];
  for (const l of layers) {
    const w = at;
    at = align64(w + 4 * padded8(l.out) * l.in);
    const b = at;
    at = align64(b + 4 * padded8(l.out));
    packed.push({ w, b });
  }
  const w32 = at, b32 = align64(w32 + 4 * n32 * nIn);
  at = align64(b32 + 4 * n32);
  const scratch: Scratch[] = [];
  for (let t = 0; t < threads; t++) {
    const s0 = at, s1 = align64(s0 + 4 * CHUNK * width), s2 = align64(s1 + 4 * CHUNK * width);
    at = align64(s2 + (sparse ? CHUNK * (8 * nIn + 8) : 0));
    scratch.push([s0, s1, s2]);
  }
  const batchAt = at;
  const heap = new SimdHeap(batchAt);
  heap.reserve(batchAt);
  const { i32, f32 } = heap;
  i32[0] = layers.length;
  i32[1] = nIn;
  f32[2] = weights.scale;
  f32[3] = weights.shift;
  i32[4] = w32;
  i32[5] = b32;
  i32[6] = n32;
  i32[7] = SPARSE_LIMIT;
  i32[8] = nOut;
  i32[9] = softmax ? 1 : 0;
  if (sparse) {
    packPanels(layers[0].w, layers[0].out, nIn, f32, w32 >> 2, 32);
    packBias(layers[0].b, layers[0].out, f32, b32 >> 2, n32);
  }
  layers.forEach((l, i) => {
    const d = 12 + 5 * i;
    packPanels(l.w, l.out, l.in, f32, packed[i].w >> 2);
    packBias(l.b, l.out, f32, packed[i].b >> 2);
    i32[d] = packed[i].w;
    i32[d + 1] = packed[i].b;
    i32[d + 2] = l.in;
    i32[d + 3] = padded8(l.out);
    i32[d + 4] = l.activation === 'relu' ? 1 : 0;
  });
  const pool = threads > 1 ? new ForwardPool(simdModule(), heap.memory, scratch.slice(1)) : null;
  const forward = heap.fns.forward;
  let disposed = false;

  const runPass = (images: Uint8Array, m: number, topK: number): MlpResult => {
    const rows4 = (m + 3) & ~3;
    const imagesAt = batchAt, outAt = align64(imagesAt + rows4 * nIn + 16);
    const labelsAt = align64(outAt + rows4 * ldo), scoresAt = align64(labelsAt + 4 * rows4);
    heap.reserve(scoresAt + 4 * rows4);
    heap.u8.set(images, imagesAt);
    heap.u8.fill(0, imagesAt + m * nIn, imagesAt + rows4 * nIn + 16); // the last group's padding rows
    if (pool && m > CHUNK) {
      Atomics.store(pool.ctl, Ctl.Failed, 0);
      pool.run({ model: descAt, images: imagesAt, m, chunk: CHUNK, out: outAt, ldo, labels: labelsAt, scores: scoresAt }, forward, scratch[0]);
      if (Atomics.load(pool.ctl, Ctl.Failed)) throw new Error('mlp: a worker thread failed in forward (invariant violated: this is a bug)');
    } else {
      const [s0, s1, s2] = scratch[0];
      for (let r = 0; r < m; r += CHUNK) forward(descAt, imagesAt, r, Math.min(CHUNK, m - r), s0, s1, s2, outAt, ldo, labelsAt, scoresAt);
    }
    const labels = heap.i32.slice(labelsAt >> 2, (labelsAt >> 2) + m), scores = heap.f32.slice(scoresAt >> 2, (scoresAt >> 2) + m);
    if (topK < 1) return { labels, scores };
    // With the top k, labels and scores are its first column, so that the two always agree
    // (simd.wat ranks logits, the top k ranks probabilities rounded to f32: near ties may differ).
    const top = topOf(heap.f32, outAt >> 2, ldo >> 2, m, nOut, softmax, topK);
    for (let i = 0; i < m; i++) {
      labels[i] = top.index[i * topK];
      scores[i] = top.value[i * topK];
    }
    return { labels, scores, top };
  };

  // Tier up: V8 first runs WebAssembly from its baseline compiler and recompiles hot functions
  // in the background; a few calls on blank rows now keep the first real batch off the slow code.
  for (let t = 0; t < 3; t++) runPass(new Uint8Array(CHUNK * nIn), CHUNK, 0);

  return {
    async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
      if (disposed) throw new Error('mlp: this runner was disposed; create a new one with createCpuMlp');
      checkBatch(weights, images, m, topK);
      if (m <= PASS) return runPass(images, m, topK);
      const parts: MlpResult[] = [];
      for (let r0 = 0; r0 < m; r0 += PASS) {
        const rows = Math.min(PASS, m - r0);
        parts.push(runPass(images.subarray(r0 * nIn, (r0 + rows) * nIn), rows, topK));
      }
      return concat(parts, topK);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      pool?.close();
    },
  };
}

function concat(parts: MlpResult[], topK: number): MlpResult {
  const cat = <T extends Int32Array | Float32Array>(arrs: T[], make: (n: number) => T): T => {
    const out = make(arrs.reduce((s, a) => s + a.length, 0));
    let o = 0;
    for (const a of arrs) { out.set(a as never, o); o += a.length; }
    return out;
  };
  const labels = cat(parts.map((p) => p.labels), (n) => new Int32Array(n));
  const scores = cat(parts.map((p) => p.scores), (n) => new Float32Array(n));
  if (topK < 1) return { labels, scores };
  return {
    labels, scores,
    top: { index: cat(parts.map((p) => p.top!.index), (n) => new Int32Array(n)), value: cat(parts.map((p) => p.top!.value), (n) => new Float32Array(n)) },
  };
}
