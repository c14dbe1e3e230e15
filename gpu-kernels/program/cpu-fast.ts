// The fast CPU ProgramRunner: every activation kept in one WebAssembly heap (buffers planned by liveness, reused across runs), batches run in chunks that stay in cache, convolutions, 2x2 max pools and gemms in simd.wat.
import { concatCpu } from '../concat/cpu.ts';
import { SimdHeap } from '../cpu/module.ts';
import { conv2dIm2col, packConv2d, planDirectConv2d, runDirectConv2d, type DirectConv2d, type PackedConv2d } from '../conv2d/cpu.ts';
import { activateInPlace, binaryCpu } from '../eltwise/cpu.ts';
import { isMaxPool2, pool2dCpu, runMaxPool2 } from '../pool2d/cpu.ts';
import { softmaxCpu } from '../softmax/cpu.ts';
import { sampleSize, type ProgramRunner, type ProgramStep, type TensorProgram } from './contract.ts';
import { planArena, type ArenaRequest } from './cpu-arena.ts';
import { gemmScratch, packGemm, runGemm } from './cpu-gemm.ts';
import { checkRunInput } from './host.ts';
import { checkProgram, stepInputs, type CheckedProgram } from './validate.ts';

export interface CpuRunnerOptions {
  /**
   * Bytes of activations one chunk of samples may keep alive (default 1 MiB: about an L2
   * cache). Larger chunks read gemm weights fewer times per image; smaller ones keep each
   * step's input in cache for the next.
   */
  readonly chunkBytes?: number;
  /** At most this many samples per chunk (default 64). */
  readonly maxChunk?: number;
}

/** One compiled step: runs on samples [s0, s0 + n) of the chunk's input, everything else in the heap. */
type Op = (input: Uint8Array | Float32Array, s0: number, n: number) => void;

/**
 * Runs on the calling thread (the heap is the runner's own): a caller that wants several
 * cores runs one runner per worker over parts of its batches.
 */
export function createCpuProgramRunner(program: TensorProgram, opts: CpuRunnerOptions = {}): ProgramRunner {
  const c = checkProgram(program);
  const plan = planRunner(c, opts);
  let disposed = false;
  return {
    description: 'cpu (wasm simd128, 1 thread)',
    async run(input, n) {
      if (disposed) throw new Error('program: run() after dispose(); create a new runner');
      checkRunInput(program, input, n);
      const out: Record<string, Float32Array> = {};
      for (const id of program.outputs) out[id] = new Float32Array(n * sampleSize(c.shape(id)));
      for (let s0 = 0; s0 < n; s0 += plan.chunk) {
        const m = Math.min(plan.chunk, n - s0);
        for (const op of plan.ops) op(input, s0, m);
        for (const id of program.outputs) {
          const per = sampleSize(c.shape(id));
          out[id].set(plan.view(id, m), s0 * per);
        }
      }
      return out;
    },
    dispose() {
      disposed = true;
    },
  };
}

interface RunnerPlan {
  readonly chunk: number;
  readonly ops: Op[];
  /** The first n samples of a value in the heap. */
  view(id: string, n: number): Float32Array;
}

function planRunner(c: CheckedProgram, opts: CpuRunnerOptions): RunnerPlan {
  const p = c.program, steps = p.steps;
  // Reshapes alias their input: one buffer per root.
  const roots = new Map<string, string>();
  const root = (id: string): string => roots.get(id) ?? id;
  for (const s of steps) if (s.kind === 'reshape') roots.set(s.y, root(s.x));
  const perSample = (id: string): number => 4 * sampleSize(c.shape(id));
  const life = new Map<string, { first: number; last: number }>();
  const inArena = (id: string) => !c.isConstant(id) && !(id === p.input.id && p.input.dtype === 'uint8');
  if (inArena(p.input.id)) life.set(p.input.id, { first: -1, last: -1 });
  steps.forEach((s, i) => {
    if (s.kind !== 'reshape') life.set(s.y, { first: i, last: i });
    for (const id of stepInputs(s)) if (inArena(id)) life.get(root(id))!.last = i;
  });
  for (const id of p.outputs) if (inArena(root(id))) life.get(root(id))!.last = steps.length;

  // Weights packed once, laid out from byte 0.
  const consts: Float32Array[] = [];
  let constBytes = 0;
  const addConst = (data: Float32Array): number => {
    const at = constBytes;
    consts.push(data);
    constBytes = (at + 4 * data.length + 63) & ~63;
    return at;
  };
  type Prep =
    | { kind: 'direct'; plan: DirectConv2d; at: number }
    | { kind: 'im2col'; packed: PackedConv2d | null }
    | { kind: 'gemm'; packed: ReturnType<typeof packGemm>; at: number }
    | null;
  const preps: Prep[] = steps.map((s) => {
    if (s.kind === 'conv2d') {
      const [C, H, W] = c.shape(s.x), [M, , kh, kw] = c.shape(s.w);
      const g = { c: C, h: H, w: W, weight: p.constants[s.w].data, m: M, kh, kw, bias: s.b ? p.constants[s.b].data : null, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group, act: s.act };
      const plan = planDirectConv2d(g);
      if (plan) return { kind: 'direct', plan, at: addConst(plan.consts) };
      return { kind: 'im2col', packed: s.group === C && s.group === M ? null : packConv2d(g) };
    }
    if (s.kind === 'gemm') {
      const [nOut, k] = c.shape(s.w);
      const packed = packGemm(p.constants[s.w].data, s.b ? p.constants[s.b].data : null, nOut, k, s.act);
      return { kind: 'gemm', packed, at: addConst(packed.consts) };
    }
    return null;
  });

  // Buffers for a chunk of `chunk` samples: values, and each step's scratch (alive at that step only).
  const ids = [...life.keys()];
  const requests = (chunk: number): ArenaRequest[] => [
    ...ids.map((id) => ({ bytes: chunk * perSample(id), ...life.get(id)! })),
    ...preps.map((q, i) => ({ bytes: q?.kind === 'direct' ? q.plan.scratch : q?.kind === 'gemm' ? gemmScratch(q.packed, chunk) : 0, first: i, last: i })),
  ];
  const maxChunk = Math.max(1, opts.maxChunk ?? 64);
  const perChunk1 = planArena(requests(1)).size;
  let chunk = Math.max(1, Math.min(maxChunk, Math.floor((opts.chunkBytes ?? 1 << 20) / perChunk1)));
  if (chunk > 4) chunk &= ~3;
  const arena = planArena(requests(chunk));
  const base = constBytes;
  const heap = new SimdHeap(base + arena.size + 4096);
  heap.reserve(base + arena.size + 4096);
  let o = 0;
  for (const data of consts) {
    heap.f32.set(data, o >> 2);
    o = (o + 4 * data.length + 63) & ~63;
  }
  const addr = new Map<string, number>(ids.map((id, i) => [id, base + arena.offsets[i]]));
  const scratchAt = (i: number): number => base + arena.offsets[ids.length + i];
  const at = (id: string): number => addr.get(root(id))!;
  const f32 = heap.f32;
  const view = (id: string, n: number): Float32Array => f32.subarray(at(id) >> 2, (at(id) >> 2) + n * (perSample(id) >> 2));
  const operand = (id: string, n: number): Float32Array => (c.isConstant(id) ? p.constants[id].data : view(id, n));

  const ops: Op[] = [];
  if (inArena(p.input.id)) ops.push((input, s0, n) => { const per = perSample(p.input.id) >> 2; f32.set((input as Float32Array).subarray(s0 * per, (s0 + n) * per), at(p.input.id) >> 2); });
  steps.forEach((s, i) => {
    const op = compileStep(s, i);
    if (op) ops.push(op);
  });
  return { chunk, ops, view };

  function compileStep(s: ProgramStep, i: number): Op | null {
    const prep = preps[i];
    switch (s.kind) {
      case 'image-to-tensor': {
        const hw = s.h * s.w, ch = s.c;
        const lut = new Float32Array(256 * ch);
        for (let q = 0; q < ch; q++) for (let v = 0; v < 256; v++) lut[q * 256 + v] = (v * s.scale - s.mean[q]) / s.std[q];
        return (input, s0, n) => {
          const x = input as Uint8Array, y = at(s.y) >> 2;
          for (let b = 0; b < n; b++) {
            const src = (s0 + b) * hw * ch;
            for (let q = 0; q < ch; q++) {
              const dst = y + (b * ch + q) * hw, t = q * 256;
              for (let px = 0, k = src + q; px < hw; px++, k += ch) f32[dst + px] = lut[t + x[k]];
            }
          }
        };
      }
      case 'conv2d': {
        if (prep?.kind === 'direct') {
          const q = prep;
          return (_in, _s0, n) => runDirectConv2d(heap, q.plan, { consts: q.at, x: at(s.x), y: at(s.y), scratch: scratchAt(i) }, n);
        }
        const [C, H, W] = c.shape(s.x), [M, , kh, kw] = c.shape(s.w), packed = prep?.kind === 'im2col' ? prep.packed ?? undefined : undefined;
        return (_in, _s0, n) => {
          const y = conv2dIm2col({ x: view(s.x, n), n, c: C, h: H, w: W, weight: p.constants[s.w].data, m: M, kh, kw, bias: s.b ? p.constants[s.b].data : null, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group, act: s.act }, packed);
          f32.set(y, at(s.y) >> 2);
        };
      }
      case 'pool2d': {
        const [C, H, W] = c.shape(s.x);
        const a = { mode: s.mode, c: C, h: H, w: W, kernel: s.kernel, strides: s.strides, pads: s.pads, countIncludePad: s.countIncludePad };
        if (isMaxPool2(a)) return (_in, _s0, n) => runMaxPool2(heap, at(s.x), at(s.y), n * C, H, W);
        return (_in, _s0, n) => f32.set(pool2dCpu({ ...a, x: view(s.x, n), n }), at(s.y) >> 2);
      }
      case 'gemm': {
        const q = prep as Extract<Prep, { kind: 'gemm' }>;
        return (_in, _s0, n) => runGemm(heap, q.packed, q.at, at(s.x), at(s.y), scratchAt(i), n);
      }
      case 'binary': {
        const same = !c.isConstant(s.a) && !c.isConstant(s.b) && sampleSize(c.shape(s.a)) === sampleSize(c.shape(s.y)) && sampleSize(c.shape(s.b)) === sampleSize(c.shape(s.y));
        const full = (id: string, n: number) => (c.isConstant(id) ? c.shape(id) : [n, ...c.shape(id)]);
        return (_in, _s0, n) => {
          const y = view(s.y, n);
          if (same) {
            const a = view(s.a, n), b = view(s.b, n);
            if (s.op === 'add') for (let k = 0; k < y.length; k++) y[k] = a[k] + b[k];
            else for (let k = 0; k < y.length; k++) y[k] = a[k] * b[k];
            activateInPlace(s.act, y);
          } else {
            y.set(binaryCpu({ op: s.op, a: operand(s.a, n), aShape: full(s.a, n), b: operand(s.b, n), bShape: full(s.b, n), act: s.act }).y);
          }
        };
      }
      case 'activation':
        return (_in, _s0, n) => {
          const y = view(s.y, n);
          y.set(view(s.x, n));
          activateInPlace(s.act, y);
        };
      case 'concat': {
        const shapes = s.xs.map((id) => c.shape(id));
        let outer = 1;
        for (let d = 0; d < s.axis - 1; d++) outer *= shapes[0][d];
        const inners = shapes.map((sh) => sampleSize(sh.slice(s.axis - 1)));
        return (_in, _s0, n) => f32.set(concatCpu({ xs: s.xs.map((id) => operand(id, n)), outer: n * outer, inners }), at(s.y) >> 2);
      }
      case 'softmax': {
        const sh = c.shape(s.x), last = sh[sh.length - 1];
        return (_in, _s0, n) => f32.set(softmaxCpu({ x: view(s.x, n), m: (n * sampleSize(sh)) / last, n: last }), at(s.y) >> 2);
      }
      case 'reshape':
        return null;
    }
  }
}
