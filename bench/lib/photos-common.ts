// Helpers of bench/photos.ts: the machine line, image tables and their bytes, onnxruntime over preprocessed tensors, a sharp decode loop, alternating timed runs.
import * as arrow from 'apache-arrow';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Preprocess } from '../../ops/model/onnx-artifact.ts';
import { median } from '../util.ts';

export interface Machine {
  cpu: string;
  cores: number;
  avx512: boolean;
  avx2: boolean;
  node: string;
}

/** lscpu's "Model name" and whether the CPU has AVX-512 (avx512f) and AVX2 (from its flags; /proc/cpuinfo when lscpu is missing). */
export function machine(): Machine {
  let text = '';
  try { text = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }); } catch { /* below */ }
  const model = /^Model name:\s*(.+)$/m.exec(text)?.[1].trim();
  let flags = /^Flags:\s*(.+)$/m.exec(text)?.[1] ?? '';
  if (!flags) {
    try { flags = /^flags\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? ''; } catch { /* none */ }
  }
  const has = (f: string) => flags.split(/\s+/).includes(f);
  return { cpu: model ?? cpus()[0]?.model ?? 'unknown', cores: cpus().length, avx512: has('avx512f'), avx2: has('avx2'), node: process.version };
}

/** The pixels of a fixed_size_list<uint8> column, all chunks, as one row-major buffer of `rows x rowBytes`. */
export function imageBytes(table: arrow.Table, column = 'image'): { bytes: Uint8Array; rows: number; rowBytes: number } {
  const vec = table.getChild(column);
  if (!vec || !arrow.DataType.isFixedSizeList(vec.type)) throw new Error(`imageBytes: column '${column}' is not a fixed_size_list`);
  const rowBytes = (vec.type as arrow.FixedSizeList).listSize;
  const out = new Uint8Array(table.numRows * rowBytes);
  let at = 0;
  for (const d of vec.data) {
    const child = d.children[0];
    if (d.offset === 0 && child.offset === 0) out.set((child.values as Uint8Array).subarray(0, d.length * rowBytes), at);
    else for (let i = 0; i < d.length; i++) out.set(arrow.makeVector(d).get(i)!.toArray() as Uint8Array, at + i * rowBytes); // a sliced chunk: rare, slow and plainly right
    at += d.length * rowBytes;
  }
  return { bytes: out, rows: table.numRows, rowBytes };
}

/** A table with one column `image` fixed_size_list<uint8>[rowBytes] over `bytes` (no copy). */
export function imageTable(bytes: Uint8Array, rowBytes: number): arrow.Table {
  const rows = bytes.length / rowBytes;
  const type = new arrow.FixedSizeList(rowBytes, new arrow.Field('item', new arrow.Uint8(), false));
  const child = arrow.makeData({ type: new arrow.Uint8(), length: rows * rowBytes, nullCount: 0, data: bytes });
  const data = arrow.makeData({ type, length: rows, nullCount: 0, child });
  return new arrow.Table({ image: arrow.makeVector(data) });
}

/** HWC uint8 images -> NCHW float32 as the model's card says: (x * scale - mean[c]) / std[c]. */
export function toNchw(bytes: Uint8Array, rows: number, h: number, w: number, c: number, pre: Preprocess): Float32Array {
  const out = new Float32Array(rows * c * h * w);
  const hw = h * w;
  for (let n = 0; n < rows; n++) {
    const src = n * hw * c, dst = n * hw * c;
    for (let ch = 0; ch < c; ch++) {
      const a = pre.scale / pre.std[ch], b = -pre.mean[ch] / pre.std[ch];
      for (let p = 0; p < hw; p++) out[dst + ch * hw + p] = bytes[src + p * c + ch] * a + b;
    }
  }
  return out;
}

/** onnxruntime-node alone: an InferenceSession (intraOpNumThreads `threads`, one inter-op thread) over float tensors already in memory. */
export async function ortAlone(model: Uint8Array, threads: number): Promise<{ run(x: Float32Array, rows: number, shape: readonly number[], batch: number): Promise<Float32Array>; dispose(): Promise<void> }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const [input] = session.inputNames, [output] = session.outputNames;
  return {
    async run(x, rows, shape, batch) {
      const per = shape.reduce((a, b) => a * b, 1);
      let last: Float32Array = new Float32Array(0);
      for (let at = 0; at < rows; at += batch) {
        const n = Math.min(batch, rows - at);
        const r = await session.run({ [input]: new ort.Tensor('float32', x.subarray(at * per, (at + n) * per), [n, ...shape]) });
        last = r[output].data as Float32Array;
      }
      return last;
    },
    dispose: () => session.release(),
  };
}

/** Decodes `files` with sharp to h x w x channels raw pixels, `parallel` at a time with one libvips thread each (Quiver's 2 workers' budget). */
export async function sharpDecode(files: readonly string[], h: number, w: number, channels: 1 | 3, parallel: number): Promise<number> {
  sharp.concurrency(1);
  sharp.cache(false);
  let next = 0, bytes = 0;
  const one = async () => {
    for (let i = next++; i < files.length; i = next++) {
      let img = sharp(files[i]).resize(h, w, { fit: 'cover' });
      img = channels === 1 ? img.toColourspace('b-w') : img.removeAlpha().toColourspace('srgb');
      const out = await img.raw().toBuffer();
      bytes += out.length;
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  if (bytes !== files.length * h * w * channels) throw new Error(`sharpDecode: ${bytes} bytes, expected ${files.length} x ${h}x${w}x${channels}`);
  return bytes;
}

/** A contender of one comparison: a name and one timed pass over `images` images. */
export interface Contender {
  name: string;
  pass(): Promise<unknown>;
}

/** A contender's figures: median images/s and each run's seconds; NaN and `error` when its warm-up pass failed (it is then left out of the runs). */
export interface Timing { imgPerS: number; seconds: number[]; error?: string }

/** Median images/s per contender after one warm-up pass each; runs alternate (the order rotates), so load hits them alike. */
export async function alternate(images: number, runs: number, contenders: Contender[], log: (s: string) => void): Promise<Map<string, Timing>> {
  const out = new Map<string, Timing>();
  const live: Contender[] = [];
  for (const c of contenders) {
    const t0 = performance.now();
    try {
      await c.pass();
      live.push(c);
      log(`    warm-up ${c.name}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    } catch (e) {
      const error = (e as Error).message.split('\n')[0].slice(0, 200);
      out.set(c.name, { imgPerS: NaN, seconds: [], error });
      log(`    ${c.name} FAILED, left out: ${error}`);
    }
  }
  const secs = new Map<string, number[]>(live.map((c) => [c.name, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < live.length; k++) {
      const c = live[(k + r) % live.length];
      const t0 = performance.now();
      await c.pass();
      secs.get(c.name)!.push((performance.now() - t0) / 1000);
    }
  }
  for (const [name, s] of secs) out.set(name, { imgPerS: images / median(s), seconds: s });
  return out;
}

/** Median of per-run ratios a/b (rates), runs paired by index. */
export function ratioOfRates(images: number, a: number[], b: number[]): number {
  if (a.length === 0 || b.length === 0) return NaN;
  return median(a.map((s, i) => (images / s) / (images / b[i])));
}
