// Section 2 of bench/photos.ts: Quiver's WGSL CNN (program runner from the backend registry, and predict) vs tfjs-webgpu running the same network, same batch.
import type { DataFrame, ModelRef, Quiver } from '../../core/index.ts';
import { closeGpuDevice, getGpuDevice } from '../../gpu-kernels/device/index.ts';
import type { ProgramRunner } from '../../gpu-kernels/program/contract.ts';
import { createWebgpuBackend } from '../../gpu-kernels/webgpu-backend.ts';
import type { OnnxArtifact } from '../../ops/model/onnx-artifact.ts';
import { alternate, imageTable, ratioOfRates, type Contender } from './photos-common.ts';
import { tfjsProgramRunner } from './tfjs-cnn.ts';

export interface WebgpuSectionArgs {
  q: Quiver;
  artifact: OnnxArtifact;
  model: ModelRef;
  /** rows x (h*w*c) uint8 images, HWC. */
  bytes: Uint8Array;
  rows: number;
  batch: number;
  runs: number;
  log: (s: string) => void;
}

export interface WebgpuSection {
  adapter: string;
  rows: Record<string, string | number>[];
  /** What could not run and why; the agreement check. */
  notes: string[];
  agreement: { maxAbsDiff: number; argmaxAgree: number; images: number } | null;
}

async function runAll(r: ProgramRunner, bytes: Uint8Array, rows: number, per: number, batch: number): Promise<Float32Array> {
  let last: Float32Array = new Float32Array(0);
  for (let at = 0; at < rows; at += batch) {
    const n = Math.min(batch, rows - at);
    last = (await r.run(bytes.subarray(at * per, (at + n) * per), n)).logits ?? last;
  }
  return last;
}

function argmaxRows(x: Float32Array, k: number): Int32Array {
  const out = new Int32Array(x.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (x[i * k + j] > x[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** Runs the comparison; a contender that cannot start is named in `notes`, not fatal. */
export async function webgpuSection(a: WebgpuSectionArgs): Promise<WebgpuSection> {
  const notes: string[] = [];
  const rows: Record<string, string | number>[] = [];
  const { h, w, c } = a.artifact.image;
  const per = h * w * c;
  const device = await getGpuDevice({ gpu: 'auto', log: (l) => notes.push(l) });
  if (!device) return { adapter: 'none', rows, notes: [...notes, 'no WebGPU adapter: section skipped'], agreement: null };
  const adapter = `${device.info.description || device.info.name}${device.info.isCpu ? ' (a CPU implementation)' : ''}`;
  a.log(`  adapter: ${adapter}`);

  const quiver = await createWebgpuBackend(device, 'f32').program(a.artifact.program);
  let tfjs: ProgramRunner | null = null;
  try {
    process.env.XDG_RUNTIME_DIR ??= '/tmp'; // Mesa's WSI layers warn without it, even for compute
    const webgpu = await import('webgpu');
    Object.assign(globalThis, webgpu.globals);
    tfjs = await tfjsProgramRunner(a.artifact.program, webgpu.create(['backend=vulkan']));
  } catch (e) {
    notes.push(`tfjs-webgpu: could not start: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    await import('onnxruntime-web' as string);
    notes.push('onnxruntime-web is installed but not measured here');
  } catch {
    notes.push('onnxruntime-web (its WebGPU backend) is not installed: not measured');
  }

  // The same logits before any timing: the two runners compute one network.
  let agreement: WebgpuSection['agreement'] = null;
  if (tfjs) {
    const n = Math.min(a.rows, a.batch);
    const x = a.bytes.subarray(0, n * per);
    const [lq, lt] = [(await quiver.run(x, n)).logits, (await tfjs.run(x, n)).logits];
    let maxAbsDiff = 0;
    for (let i = 0; i < lq.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(lq[i] - lt[i]));
    const k = lq.length / n, aq = argmaxRows(lq, k), at = argmaxRows(lt, k);
    const argmaxAgree = aq.filter((v, i) => v === at[i]).length / n;
    agreement = { maxAbsDiff, argmaxAgree, images: n };
    notes.push(`agreement on ${n} images: max |logit difference| ${maxAbsDiff.toExponential(2)}, same class for ${(100 * argmaxAgree).toFixed(1)}%`);
    if (maxAbsDiff > 1e-2 || argmaxAgree < 0.99) throw new Error(`tfjs-webgpu and Quiver disagree (max diff ${maxAbsDiff}, argmax ${argmaxAgree}): bench/lib/tfjs-cnn.ts ports the network wrongly`);
  }

  const frame: DataFrame = a.q.createDataFrame(imageTable(a.bytes, per), { partitions: 2 });
  const contenders: Contender[] = [
    { name: 'quiver webgpu program runner', pass: () => runAll(quiver, a.bytes, a.rows, per, a.batch) },
    { name: "quiver predict backend 'webgpu'", pass: async () => { const t = await frame.predict(a.model, { backend: 'webgpu', batchSize: a.batch }).select('labelId', 'score').collect(); if (t.numRows !== a.rows) throw new Error(`predict gave ${t.numRows} rows`); } },
  ];
  if (tfjs) contenders.push({ name: 'tfjs-webgpu', pass: () => runAll(tfjs!, a.bytes, a.rows, per, a.batch) });
  try {
    const r = await alternate(a.rows, a.runs, contenders, a.log);
    const base = r.get('tfjs-webgpu');
    for (const ct of contenders) {
      const x = r.get(ct.name)!;
      rows.push({ contender: ct.name, images: a.rows, batch: a.batch, img_s: Math.round(x.imgPerS), over_tfjs: base ? ratioOfRates(a.rows, x.seconds, base.seconds) : NaN, note: x.error ? `failed: ${x.error}` : '' });
    }
  } finally {
    quiver.dispose();
    tfjs?.dispose();
    await closeGpuDevice();
  }
  return { adapter, rows, notes, agreement };
}
