// The fused MLP on the CPU: the plain-JS reference, and the fast runner (WebAssembly SIMD on worker threads sharing one memory).
import { availableParallelism } from 'node:os';
import { argmaxReference, topkCpu, topkReference } from '../argmax/cpu.ts';
import type { Ranked } from '../argmax/contract.ts';
import { expectLength } from '../kernel.ts';
import { align64, SimdHeap, simdModule } from '../cpu/module.ts';
import { packBias, packPanels, padded8 } from '../cpu/pack.ts';
import { normalizeReference } from '../normalize/cpu.ts';
import { softmaxReference, softmaxRow } from '../softmax/cpu.ts';
import type { MlpArgs, MlpResult, MlpRunner, MlpWeights } from './contract.ts';
import { Ctl, ForwardPool } from './cpu-pool.ts';

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

/** Labels, scores and top-k from the last layer's outputs (row i at out[i * ld, i * ld + n)), as the reference defines them. */
function finish(out: Float32Array, at: number, ld: number, m: number, n: number, softmax: boolean, topK: number): MlpResult {
  const labels = new Int32Array(m), scores = new Float32Array(m);
  const probs = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    if (softmax) softmaxRow(out, at + i * ld, n, probs, i * n);
    else probs.set(out.subarray(at + i * ld, at + i * ld + n), i * n);
  }
  const top = topkCpu({ x: probs, m, n, k: Math.max(1, topK) });
  const k = Math.max(1, topK);
  for (let i = 0; i < m; i++) {
    labels[i] = top.index[i * k];
    scores[i] = top.value[i * k];
  }
  return topK >= 1 ? { labels, scores, top } : { labels, scores };
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
 * Packs the model once into a shared WebAssembly memory and runs batches over `threads`
 * threads (default: min(2, cores)): the calling thread plus threads - 1 workers, which share
 * the memory and take chunks of CHUNK rows from a shared counter. run() blocks the calling
 * thread while it computes (it is CPU work). dispose() stops the workers; they are unref'd,
 * so a runner never keeps the process alive either way.
 */
export function createCpuMlp(weights: MlpWeights, opts: { threads?: number } = {}): MlpRunner {
  checkWeights(weights);
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(2, availableParallelism())));
  const { layers } = weights;
  const nIn = layers[0].in, nOut = layers[layers.length - 1].out;
  const in4 = (nIn + 3) & ~3;
  const width = Math.max(in4, ...layers.map((l) => padded8(l.out)));
  const ldo = 4 * padded8(nOut);

  // Layout: model descriptor, packed layers, per-thread scratch, then the batch (images, outputs).
  const descAt = 0;
  let at = align64(16 + 20 * layers.length);
  const packed: { w: number; b: number }[] = [];
  for (const l of layers) {
    const w = at;
    at = align64(w + 4 * padded8(l.out) * l.in);
    const b = at;
    at = align64(b + 4 * padded8(l.out));
    packed.push({ w, b });
  }
  const scratch: [number, number][] = [];
  for (let t = 0; t < threads; t++) {
    const s0 = at, s1 = align64(s0 + 4 * CHUNK * width);
    at = align64(s1 + 4 * CHUNK * width);
    scratch.push([s0, s1]);
  }
  const batchAt = at;
  const heap = new SimdHeap(batchAt);
  heap.reserve(batchAt);
  heap.i32[0] = layers.length;
  heap.i32[1] = nIn;
  heap.f32[2] = weights.scale;
  heap.f32[3] = weights.shift;
  layers.forEach((l, i) => {
    const d = 4 + 5 * i;
    packPanels(l.w, l.out, l.in, heap.f32, packed[i].w >> 2);
    packBias(l.b, l.out, heap.f32, packed[i].b >> 2);
    heap.i32[d] = packed[i].w;
    heap.i32[d + 1] = packed[i].b;
    heap.i32[d + 2] = l.in;
    heap.i32[d + 3] = padded8(l.out);
    heap.i32[d + 4] = l.activation === 'relu' ? 1 : 0;
  });
  const pool = threads > 1 ? new ForwardPool(simdModule(), heap.memory, scratch.slice(1)) : null;
  const forward = heap.fns.forward;
  const [s0, s1] = scratch[0];
  let disposed = false;

  const runPass = (images: Uint8Array, m: number): { outAt: number } => {
    const rows4 = (m + 3) & ~3;
    const imagesAt = batchAt, outAt = align64(imagesAt + rows4 * nIn + 16);
    heap.reserve(outAt + rows4 * ldo);
    heap.u8.set(images, imagesAt);
    heap.u8.fill(0, imagesAt + m * nIn, imagesAt + rows4 * nIn + 16); // the last group's padding rows
    if (pool && m > CHUNK) {
      Atomics.store(pool.ctl, Ctl.Failed, 0);
      pool.run({ model: descAt, images: imagesAt, m, chunk: CHUNK, out: outAt, ldo }, forward, s0, s1);
      if (Atomics.load(pool.ctl, Ctl.Failed)) throw new Error('mlp: a worker thread failed in forward (invariant violated: this is a bug)');
    } else {
      for (let r = 0; r < m; r += CHUNK) forward(descAt, imagesAt, r, Math.min(CHUNK, m - r), s0, s1, outAt, ldo);
    }
    return { outAt };
  };

  // Tier up: V8 first runs WebAssembly from its baseline compiler and recompiles hot functions
  // in the background; a few calls on blank rows now keep the first real batch off the slow code.
  for (let t = 0; t < 3; t++) runPass(new Uint8Array(CHUNK * nIn), CHUNK);

  return {
    async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
      if (disposed) throw new Error('mlp: this runner was disposed; create a new one with createCpuMlp');
      checkBatch(weights, images, m, topK);
      const parts: MlpResult[] = [];
      for (let r0 = 0; r0 < m || r0 === 0; r0 += PASS) {
        const rows = Math.min(PASS, m - r0);
        if (rows === 0) {
          parts.push(finish(heap.f32, 0, 0, 0, nOut, false, topK));
          break;
        }
        const { outAt } = runPass(images.subarray(r0 * nIn, (r0 + rows) * nIn), rows);
        parts.push(finish(heap.f32, outAt >> 2, ldo >> 2, rows, nOut, layers[layers.length - 1].activation === 'softmax', topK));
      }
      return parts.length === 1 ? parts[0] : concat(parts, topK);
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
