// The fused MLP on WebGPU: weights uploaded once, u8 images in, every layer and the head on the device, labels and scores out.
import type { GpuDevice } from '../device/index.ts';
import { GpuError } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { encodeMatmul, tileFor, matmulPipeline, type MatmulShape, type MatmulTile } from '../matmul/wgsl.ts';
import { Usage, alignUp, groups1d, packU8, toF16Bits } from '../wgsl-util.ts';
import type { MlpResult, MlpRunner, MlpWeights } from './contract.ts';
import { headShader } from './wgsl-head.ts';

interface Layer {
  shape: MatmulShape;
  pipe: GPUComputePipeline;
  w: GPUBuffer;
  b: GPUBuffer;
  /** Bytes per output row. */
  rowBytes: number;
}

/**
 * Layouts: image rows padded to a multiple of 4 bytes (read as u32); hidden activations
 * [m x ceil4(out)] with the padding columns computed from zero weights (so they are exact
 * zeros the next layer can read as vec4s); the last layer's logits [m x out] in f32.
 * f16: weights and hidden activations stored as f16, products in f16, sums and logits in f32.
 */
export class WebgpuMlpRunner implements MlpRunner {
  private disposed = false;
  private readonly heads = new Map<string, Promise<GPUComputePipeline>>();

  private constructor(
    private readonly gd: GpuDevice,
    private readonly weights: MlpWeights,
    private readonly layers: Layer[],
    private readonly inBytes: number,
  ) {}

  static async create(gd: GpuDevice, weights: MlpWeights, precision: Precision, tile: MatmulTile = tileFor(gd)): Promise<WebgpuMlpRunner> {
    const ls = weights.layers;
    if (ls.length === 0) throw new RangeError('mlp: a model needs at least one layer');
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (l.w.length !== l.in * l.out) throw new RangeError(`mlp: layer ${i} w has ${l.w.length} elements, expected ${l.out} x ${l.in}`);
      if (l.b.length !== l.out) throw new RangeError(`mlp: layer ${i} b has ${l.b.length} elements, expected ${l.out}`);
      if (i > 0 && l.in !== ls[i - 1].out) throw new RangeError(`mlp: layer ${i} has in = ${l.in} but layer ${i - 1} has out = ${ls[i - 1].out}`);
    }
    gd.check();
    const layers: Layer[] = [];
    let k4 = Math.ceil(ls[0].in / 4);
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i], last = i === ls.length - 1;
      const n = last ? l.out : alignUp(l.out, 4);
      const out: Precision = last ? 'f32' : precision;
      const shape: MatmulShape = {
        k4, n, ldy: n, input: i === 0 ? 'u8' : precision, wStore: precision, precision, out,
        activation: l.activation === 'relu' ? 'relu' : 'none', bias: true, tile,
      };
      // w padded to [n x 4*k4] with zeros: extra rows give the zero padding columns, extra columns meet zero activations.
      const wp = new Float32Array(n * k4 * 4);
      for (let j = 0; j < l.out; j++) wp.set(l.w.subarray(j * l.in, (j + 1) * l.in), j * k4 * 4);
      const bp = new Float32Array(n);
      bp.set(l.b);
      const wData = precision === 'f16' ? toF16Bits(wp) : wp;
      const w = createFilled(gd, wData, `mlp layer ${i} w`);
      const b = createFilled(gd, bp, `mlp layer ${i} b`);
      layers.push({ shape, pipe: await matmulPipeline(gd, shape), w, b, rowBytes: n * (out === 'f16' ? 2 : 4) });
      k4 = n / 4;
    }
    return new WebgpuMlpRunner(gd, weights, layers, Math.ceil(ls[0].in / 4) * 4);
  }

  private head(k: number): Promise<GPUComputePipeline> {
    const last = this.weights.layers[this.weights.layers.length - 1];
    const key = `mlp-head:${last.out}:${last.activation}:${k > 0}`;
    let p = this.heads.get(key);
    if (!p) {
      p = this.gd.pipeline(key, () => headShader(last.out, last.out, last.activation === 'softmax', k > 0));
      this.heads.set(key, p);
    }
    return p;
  }

  /**
   * One batch. Safe to call again before the previous call resolved: each call is its own job
   * with pooled buffers, so a caller that keeps 2-3 calls in flight overlaps the upload of
   * batch n+1, the compute of batch n and the readback of batch n-1 (see MlpStream).
   */
  async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
    if (this.disposed) throw new GpuError('destroyed', 'mlp: run() after dispose(); create a new runner');
    const ls = this.weights.layers, inN = ls[0].in, nOut = ls[ls.length - 1].out;
    if (images.length !== m * inN) throw new RangeError(`mlp: images has ${images.length} bytes, expected ${m} x ${inN}`);
    if (!(topK >= 0 && topK <= nOut)) throw new RangeError(`mlp: topK = ${topK}, expected 0 <= topK <= ${nOut}`);
    if (m === 0) return { labels: new Int32Array(0), scores: new Float32Array(0), ...(topK > 0 ? { top: { index: new Int32Array(0), value: new Float32Array(0) } } : {}) };
    const head = await this.head(topK);
    const job = this.gd.job('mlp');
    let x = job.upload(packU8(padImageRows(images, m, inN, this.inBytes)));
    for (const l of this.layers) {
      const y = job.buffer(m * l.rowBytes);
      encodeMatmul(job, l.pipe, l.shape, m, { x, w: l.w, bias: l.b, y }, this.weights.scale, this.weights.shift);
      x = y;
    }
    const labels = job.buffer(m * 4), scores = job.buffer(m * 4);
    const ti = topK > 0 ? job.buffer(m * topK * 4) : null, tv = topK > 0 ? job.buffer(m * topK * 4) : null;
    job.dispatch(head, [x, labels, scores, ti, tv, job.uniform([m, topK, 0, 0])], groups1d(m));
    job.read(labels, m * 4);
    job.read(scores, m * 4);
    if (ti && tv) { job.read(ti, m * topK * 4); job.read(tv, m * topK * 4); }
    const [lb, sc, tib, tvb] = await job.submit();
    const res: MlpResult = { labels: new Int32Array(lb), scores: new Float32Array(sc) };
    if (tib && tvb) res.top = { index: new Int32Array(tib), value: new Float32Array(tvb) };
    return res;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.layers) { l.w.destroy(); l.b.destroy(); }
  }
}

/** A storage buffer created mapped and filled: the weights' one upload, outside the pool (they live as long as the runner). */
function createFilled(gd: GpuDevice, data: Float32Array | Uint16Array, label: string): GPUBuffer {
  const size = alignUp(Math.max(data.byteLength, 4), 4);
  const b = gd.device.createBuffer({ size, usage: Usage.Storage | Usage.CopyDst, mappedAtCreation: true, label });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

/** Image rows padded to `stride` bytes (a multiple of 4) so the first layer reads whole u32s per row. */
function padImageRows(images: Uint8Array, m: number, n: number, stride: number): Uint8Array {
  if (n === stride) return images;
  const out = new Uint8Array(m * stride);
  for (let i = 0; i < m; i++) out.set(images.subarray(i * n, (i + 1) * n), i * stride);
  return out;
}
