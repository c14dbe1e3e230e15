// The WebGPU ProgramRunner: weights resident, pipelines compiled once, a batch encoded as one command buffer with pooled activation buffers, only the outputs read back.
import { encodeCopyRows, copyRowsPipeline, encodePadRows, padRowsPipeline } from '../concat/wgsl.ts';
import { conv2dPipeline, encodeConv2d, type ConvGeometry } from '../conv2d/wgsl.ts';
import { GpuError, type GpuDevice, type GpuJob } from '../device/index.ts';
import { sizeClass } from '../device/buffer-pool.ts';
import { activationPipeline, binaryPipeline, encodeActivation, encodeBinary } from '../eltwise/wgsl.ts';
import { encodeImageToTensor, imageCoefficients, imageToTensorPipeline } from '../image-to-tensor/wgsl.ts';
import { encodeMatmul, matmulPipeline, tileFor, type MatmulShape } from '../matmul/wgsl.ts';
import { encodePool2d, pool2dPipeline } from '../pool2d/wgsl.ts';
import { Usage, alignUp, packU8 } from '../wgsl-util.ts';
import { sampleSize, type ProgramRunner, type ProgramStep, type TensorProgram } from './contract.ts';
import { checkRunInput } from './host.ts';
import { encodeSoftmax, softmaxPipeline } from '../softmax/wgsl.ts';
import { checkProgram, stepInputs, type CheckedProgram } from './validate.ts';

/** What a run needs to encode one step: its pipelines and resident buffers, prepared at creation. */
interface Prepared {
  pipes: GPUComputePipeline[];
  /** Resident buffers (weights, bias, padded gemm weights, image coefficients) by role. */
  bufs: Record<string, GPUBuffer>;
  gemm?: MatmulShape & { k: number };
}

/** A storage buffer created mapped and filled, outside the pool: it lives as long as the runner. */
function resident(gd: GpuDevice, data: Float32Array, label: string): GPUBuffer {
  const b = gd.device.createBuffer({ size: alignUp(Math.max(data.byteLength, 4), 4), usage: Usage.Storage | Usage.CopyDst, mappedAtCreation: true, label });
  new Float32Array(b.getMappedRange(), 0, data.length).set(data);
  b.unmap();
  return b;
}

async function prepare(gd: GpuDevice, c: CheckedProgram, s: ProgramStep, constant: (id: string) => GPUBuffer): Promise<Prepared> {
  switch (s.kind) {
    case 'image-to-tensor':
      return { pipes: [await imageToTensorPipeline(gd)], bufs: { coef: resident(gd, imageCoefficients(s), `${s.y} coefficients`) } };
    case 'conv2d': {
      const [C, H, W] = c.shape(s.x), [M, , kh, kw] = c.shape(s.w);
      const g: ConvGeometry = { n: 1, c: C, h: H, w: W, m: M, kh, kw, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group };
      return { pipes: [await conv2dPipeline(gd, g, s.act, s.b !== null)], bufs: { w: constant(s.w), ...(s.b ? { b: constant(s.b) } : {}) } };
    }
    case 'pool2d': {
      const [C, H, W] = c.shape(s.x);
      return { pipes: [await pool2dPipeline(gd, { mode: s.mode, n: 1, c: C, h: H, w: W, kernel: s.kernel, strides: s.strides, pads: s.pads, countIncludePad: s.countIncludePad })], bufs: {} };
    }
    case 'gemm': {
      const [n, k] = c.shape(s.w), k4 = Math.max(1, Math.ceil(k / 4));
      // w padded to [n, 4 k4] with zero columns: the shader loads vec4s along k.
      const wd = c.program.constants[s.w].data, wp = new Float32Array(n * k4 * 4);
      for (let j = 0; j < n; j++) wp.set(wd.subarray(j * k, j * k + k), j * k4 * 4);
      const shape: MatmulShape = { k4, n, ldy: n, input: 'f32', wStore: 'f32', precision: 'f32', out: 'f32', activation: 'none', act: s.act, bias: s.b !== null, tile: tileFor(gd), dynamic: true };
      const pipes = [await matmulPipeline(gd, shape), ...(k !== k4 * 4 ? [await padRowsPipeline(gd)] : [])];
      return { pipes, bufs: { w: resident(gd, wp, `${s.w} padded`), ...(s.b ? { b: constant(s.b) } : {}) }, gemm: { ...shape, k } };
    }
    case 'binary':
      return { pipes: [await binaryPipeline(gd, s.op, s.act)], bufs: Object.fromEntries([s.a, s.b].filter((id) => c.isConstant(id)).map((id) => [id, constant(id)])) };
    case 'activation':
      return { pipes: [await activationPipeline(gd, s.act)], bufs: {} };
    case 'concat':
      return { pipes: [await copyRowsPipeline(gd)], bufs: {} };
    case 'softmax':
      return { pipes: [await softmaxPipeline(gd)], bufs: {} };
    case 'reshape':
      return { pipes: [], bufs: {} };
  }
}

/** A buffer of a run and how many live ids name it (a reshape aliases its input). */
interface Slot { buf: GPUBuffer; names: number }

export class WebgpuProgramRunner implements ProgramRunner {
  readonly description: string;
  private disposed = false;
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(private readonly gd: GpuDevice, private readonly c: CheckedProgram, private readonly steps: Prepared[], private readonly owned: GPUBuffer[], private readonly maxSamples: number) {
    this.description = `webgpu (${gd.info.name}${gd.info.isCpu ? ', CPU' : ''}, f32)`;
  }

  static async create(gd: GpuDevice, program: TensorProgram): Promise<WebgpuProgramRunner> {
    const c = checkProgram(program);
    gd.check();
    const owned: GPUBuffer[] = [];
    const constants = new Map<string, GPUBuffer>();
    const constant = (id: string): GPUBuffer => {
      let b = constants.get(id);
      if (!b) { b = resident(gd, program.constants[id].data, id); constants.set(id, b); owned.push(b); }
      return b;
    };
    try {
      const steps: Prepared[] = [];
      for (const s of program.steps) {
        const p = await prepare(gd, c, s, constant);
        // The two buffers prepare() makes itself (the rest are shared constants, owned above).
        if (s.kind === 'gemm') owned.push(p.bufs.w);
        if (s.kind === 'image-to-tensor') owned.push(p.bufs.coef);
        steps.push(p);
      }
      // Batches are split so that every tensor of a chunk fits one storage binding.
      const perSample = Math.max(4, ...Object.values(program.values).map((v) => 4 * sampleSize(v.shape)));
      const limit = gd.info.limits.maxStorageBufferBindingSize || 128 * 2 ** 20;
      return new WebgpuProgramRunner(gd, c, steps, owned, Math.max(1, Math.floor(limit / perSample)));
    } catch (e) {
      for (const b of owned) b.destroy();
      throw e;
    }
  }

  /** Runs n samples (in chunks that fit the device's binding size); calls may overlap, each is its own job with its own buffers. */
  async run(input: Uint8Array | Float32Array, n: number): Promise<Record<string, Float32Array>> {
    if (this.disposed) throw new GpuError('destroyed', 'program: run() after dispose(); create a new runner');
    const p = this.c.program;
    checkRunInput(p, input, n);
    const work = (async () => {
      const per = sampleSize(p.input.shape);
      if (n <= this.maxSamples) return this.runChunk(input, n);
      const parts: Record<string, Float32Array>[] = [];
      for (let s = 0; s < n; s += this.maxSamples) {
        const m = Math.min(this.maxSamples, n - s);
        parts.push(await this.runChunk(input.subarray(s * per, (s + m) * per), m));
      }
      const out: Record<string, Float32Array> = {};
      for (const id of p.outputs) {
        const all = new Float32Array(n * sampleSize(p.values[id].shape));
        let o = 0;
        for (const part of parts) { all.set(part[id], o); o += part[id].length; }
        out[id] = all;
      }
      return out;
    })();
    this.pending.add(work);
    try {
      return await work;
    } finally {
      this.pending.delete(work);
    }
  }

  /** One chunk as one job: encoded synchronously from gd.job() to submit() (error scopes are device-wide). */
  private async runChunk(input: Uint8Array | Float32Array, n: number): Promise<Record<string, Float32Array>> {
    const p = this.c.program, c = this.c;
    const out: Record<string, Float32Array> = {};
    if (n === 0) {
      for (const id of p.outputs) out[id] = new Float32Array(0);
      return out;
    }
    const job = this.gd.job('program');
    const free: GPUBuffer[] = [];
    const slots = new Map<string, Slot>();
    const alloc = (bytes: number): GPUBuffer => {
      const want = sizeClass(alignUp(Math.max(bytes, 4), 4));
      const i = free.findIndex((b) => b.size >= want && b.size <= 2 * want);
      return i >= 0 ? free.splice(i, 1)[0] : job.buffer(bytes);
    };
    const bytesOf = (id: string) => 4 * n * sampleSize(p.values[id].shape);
    const release = (id: string) => {
      const s = slots.get(id);
      if (!s) return;
      slots.delete(id);
      if (--s.names === 0) free.push(s.buf);
    };
    slots.set(p.input.id, { buf: job.upload(p.input.dtype === 'uint8' ? packU8(input as Uint8Array) : input), names: 1 });
    p.steps.forEach((s, i) => {
      const prep = this.steps[i];
      const get = (id: string): GPUBuffer => prep.bufs[id] ?? slots.get(id)!.buf;
      if (s.kind === 'reshape') {
        const src = slots.get(s.x)!;
        src.names++;
        slots.set(s.y, src);
      } else {
        const y = alloc(bytesOf(s.y));
        encodeStep(job, c, s, prep, n, get, y, alloc, free);
        slots.set(s.y, { buf: y, names: 1 });
      }
      for (const id of new Set(stepInputs(s))) if (c.lastRead.get(id) === i) release(id);
      if (!c.lastRead.has(s.y) && !p.outputs.includes(s.y)) release(s.y); // written, never read
    });
    for (const id of p.outputs) job.read(slots.get(id)!.buf, bytesOf(id));
    const bufs = await job.submit();
    p.outputs.forEach((id, i) => { out[id] = new Float32Array(bufs[i]); });
    return out;
  }

  /** Frees the resident buffers once the runs in flight have settled; later runs reject. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void Promise.allSettled([...this.pending]).then(() => { for (const b of this.owned) b.destroy(); });
  }
}

function encodeStep(job: GpuJob, c: CheckedProgram, s: ProgramStep, prep: Prepared, n: number, get: (id: string) => GPUBuffer, y: GPUBuffer, alloc: (bytes: number) => GPUBuffer, free: GPUBuffer[]): void {
  const [pipe] = prep.pipes;
  switch (s.kind) {
    case 'image-to-tensor':
      encodeImageToTensor(job, pipe, { n, h: s.h, w: s.w, c: s.c }, { src: get(s.x), coef: prep.bufs.coef, y });
      return;
    case 'conv2d': {
      const [C, H, W] = c.shape(s.x), [M, , kh, kw] = c.shape(s.w);
      encodeConv2d(job, pipe, { n, c: C, h: H, w: W, m: M, kh, kw, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group }, { x: get(s.x), w: prep.bufs.w, bias: prep.bufs.b ?? null, y });
      return;
    }
    case 'pool2d': {
      const [C, H, W] = c.shape(s.x);
      encodePool2d(job, pipe, { mode: s.mode, n, c: C, h: H, w: W, kernel: s.kernel, strides: s.strides, pads: s.pads, countIncludePad: s.countIncludePad }, { x: get(s.x), y });
      return;
    }
    case 'gemm': {
      const g = prep.gemm!;
      let x = get(s.x);
      if (g.k !== g.k4 * 4) {
        const padded = alloc(4 * n * g.k4 * 4);
        encodePadRows(job, prep.pipes[1], n, g.k, g.k4 * 4, { x, y: padded });
        x = padded;
        free.push(padded); // read only by the matmul below, which is encoded before any later step reuses it
      }
      encodeMatmul(job, pipe, g, n, { x, w: prep.bufs.w, bias: prep.bufs.b ?? null, y });
      return;
    }
    case 'binary': {
      const full = (id: string) => (c.isConstant(id) ? c.shape(id) : [n, ...c.shape(id)]);
      encodeBinary(job, pipe, full(s.a), full(s.b), { a: get(s.a), b: get(s.b), y });
      return;
    }
    case 'activation':
      encodeActivation(job, pipe, n * sampleSize(c.shape(s.x)), { x: get(s.x), y });
      return;
    case 'concat': {
      const shapes = s.xs.map((id) => c.shape(id));
      let outer = n;
      for (let d = 0; d < s.axis - 1; d++) outer *= shapes[0][d];
      const inners = shapes.map((sh) => sampleSize(sh.slice(s.axis - 1)));
      const total = inners.reduce((a, b) => a + b, 0);
      let off = 0;
      s.xs.forEach((id, j) => { encodeCopyRows(job, pipe, outer, inners[j], total, off, { x: get(id), y }); off += inners[j]; });
      return;
    }
    case 'softmax': {
      const sh = c.shape(s.x), last = sh[sh.length - 1];
      encodeSoftmax(job, pipe, (n * sampleSize(sh)) / last, last, { x: get(s.x), y });
      return;
    }
    case 'reshape':
      return;
  }
}

/** Makes `program` resident on `device` (RangeError naming the step when it is invalid). */
export function createWebgpuProgramRunner(device: GpuDevice, program: TensorProgram): Promise<ProgramRunner> {
  return WebgpuProgramRunner.create(device, program);
}
