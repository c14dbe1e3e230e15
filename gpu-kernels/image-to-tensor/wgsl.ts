// image-to-tensor in WGSL: bytes packed four to a u32 (WGSL has no 8-bit storage), HWC to CHW, y = fma(byte, scale / std, -mean / std).
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { WGSL_LOAD_U8, WG_1D, groups1d, packU8 } from '../wgsl-util.ts';
import type { ImageToTensorArgs } from './contract.ts';
import { checkImageToTensor } from './cpu.ts';

const SHADER = /* wgsl */ `
struct Params { total: u32, hw: u32, c: u32, p0: u32 }
@group(0) @binding(0) var<storage, read> src: array<u32>;
// Per channel: (scale / std, -mean / std).
@group(0) @binding(1) var<storage, read> coef: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> q: Params;
${WGSL_LOAD_U8}
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= q.total) { return; }
  let plane = i / q.hw;
  let p = i - plane * q.hw;
  let b = plane / q.c;
  let ch = plane - b * q.c;
  let k = coef[ch];
  y[i] = fma(load_u8((b * q.hw + p) * q.c + ch), k.x, k.y);
}`;

export const imageToTensorPipeline = (gd: GpuDevice): Promise<GPUComputePipeline> => gd.pipeline('image-to-tensor', () => SHADER);

/** The per-channel coefficients buffer's contents: (scale / std, -mean / std) pairs. */
export function imageCoefficients(a: Pick<ImageToTensorArgs, 'c' | 'scale' | 'mean' | 'std'>): Float32Array {
  const k = new Float32Array(2 * a.c);
  for (let ch = 0; ch < a.c; ch++) { k[2 * ch] = a.scale / a.std[ch]; k[2 * ch + 1] = -a.mean[ch] / a.std[ch]; }
  return k;
}

/** Encodes one conversion; `src` holds the n images' bytes packed as u32 (packU8). */
export function encodeImageToTensor(job: GpuJob, pipe: GPUComputePipeline, g: { n: number; h: number; w: number; c: number }, bufs: { src: GPUBuffer; coef: GPUBuffer; y: GPUBuffer }): void {
  const total = g.n * g.c * g.h * g.w;
  job.dispatch(pipe, [bufs.src, bufs.coef, bufs.y, job.uniform([total, g.h * g.w, g.c, 0])], groups1d(total));
}

export async function imageToTensorWebgpu(gd: GpuDevice, a: ImageToTensorArgs, _precision: Precision): Promise<Float32Array> {
  checkImageToTensor(a);
  const total = a.n * a.c * a.h * a.w;
  if (total === 0) return new Float32Array(0);
  const pipe = await imageToTensorPipeline(gd);
  const job = gd.job('image-to-tensor');
  const y = job.buffer(total * 4);
  encodeImageToTensor(job, pipe, a, { src: job.upload(packU8(a.x)), coef: job.upload(imageCoefficients(a)), y });
  job.read(y, total * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
