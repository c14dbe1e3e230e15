// loadContenders: every MLP contender of the kernel benchmark that can run here (Quiver CPU / WebGPU f32 / f16, onnxruntime, tfjs-webgpu), and why the others cannot.
//
// Quiver's backends are imported dynamically by path, so the benchmark runs with whichever of
// gpu-kernels/cpu-backend.ts, webgpu-backend.ts and device/ exist, and names what is missing.
import type { KernelBackend } from '../../gpu-kernels/backend.ts';
import type { Precision } from '../../gpu-kernels/kernel.ts';
import type { MlpRunner, MlpWeights } from '../../gpu-kernels/mlp/contract.ts';

export enum ContenderId {
  QuiverCpu = 'quiver-cpu',
  QuiverWebgpuF32 = 'quiver-webgpu-f32',
  QuiverWebgpuF16 = 'quiver-webgpu-f16',
  Onnxruntime = 'onnxruntime',
  TfjsWebgpu = 'tfjs-webgpu',
}

export interface Contender {
  id: ContenderId;
  /** One line: library, device, threads or precision. */
  description: string;
  /** Quiver's contenders only: the backend whose kernels the sweep measures. */
  backend?: KernelBackend;
  /** Makes the model resident (weights uploaded once) and returns its runner. */
  load(weights: MlpWeights): Promise<MlpRunner>;
}

export interface Missing {
  id: ContenderId;
  why: string;
}

/** The adapter the GPU contenders run on (null: none), from Quiver's GpuDevice when it exists. */
export interface GpuSummary {
  name: string;
  /** lavapipe / SwiftShader: a CPU pretending to be a GPU (slow: the benchmark sizes down). */
  isCpu: boolean;
  hasF16: boolean;
}

export interface Contenders {
  present: Contender[];
  missing: Missing[];
  gpu: GpuSummary | null;
  /** Frees the GPU devices (a live Dawn instance can keep the process alive). */
  close(): Promise<void>;
}

interface GpuDeviceLike {
  info: { name: string; description: string; isCpu: boolean; hasF16: boolean };
}
interface DeviceModule {
  getGpuDevice(options?: { gpu?: 'auto' | 'require' | 'off'; log?: (line: string) => void }): Promise<GpuDeviceLike | null>;
  closeGpuDevice(): Promise<void>;
}
interface CpuBackendModule { cpuBackend: KernelBackend }
interface WebgpuBackendModule { createWebgpuBackend(device: GpuDeviceLike, precision: Precision): KernelBackend | Promise<KernelBackend> }

/** Imports a module of the project by path relative to this file; a missing file gives null, other failures throw. */
async function importIfPresent<T>(relPath: string): Promise<{ mod: T } | { why: string }> {
  const url = new URL(relPath, import.meta.url);
  try {
    return { mod: (await import(url.href)) as T };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message?.includes(url.pathname.split('/').pop()!)) return { why: `${relPath.replace(/^(\.\.\/)+/, '')} does not exist yet` };
    return { why: `${relPath.replace(/^(\.\.\/)+/, '')} failed to load: ${err.message?.split('\n')[0]}` };
  }
}

function quiverContender(id: ContenderId, backend: KernelBackend): Contender {
  return { id, description: `quiver ${backend.description}`, backend, load: (w) => backend.mlp(w) };
}

export async function loadContenders(options: { threads: number; gpu: boolean }): Promise<Contenders> {
  const present: Contender[] = [];
  const missing: Missing[] = [];
  const closers: (() => Promise<void> | void)[] = [];

  const cpu = await importIfPresent<CpuBackendModule>('../../gpu-kernels/cpu-backend.ts');
  if ('mod' in cpu && cpu.mod.cpuBackend) present.push(quiverContender(ContenderId.QuiverCpu, cpu.mod.cpuBackend));
  else missing.push({ id: ContenderId.QuiverCpu, why: 'why' in cpu ? cpu.why : 'gpu-kernels/cpu-backend.ts exports no cpuBackend' });

  const ort = await import('./ort-mlp.ts');
  present.push({
    id: ContenderId.Onnxruntime,
    description: `onnxruntime-node (cpu, intraOpNumThreads=${options.threads})`,
    load: (w) => ort.ortMlpRunner(w, { threads: options.threads }),
  });

  let gpu: GpuSummary | null = null;
  const gpuIds = [ContenderId.QuiverWebgpuF32, ContenderId.QuiverWebgpuF16, ContenderId.TfjsWebgpu];
  if (!options.gpu) {
    for (const id of gpuIds) missing.push({ id, why: '--no-gpu' });
    return { present, missing, gpu, close: async () => {} };
  }

  // The adapter, as Quiver's GpuDevice sees it; tfjs gets its own Dawn instance on the same adapter.
  const dev = await importIfPresent<DeviceModule>('../../gpu-kernels/device/index.ts');
  let device: GpuDeviceLike | null = null;
  let noGpuWhy = '';
  if ('mod' in dev) {
    device = await dev.mod.getGpuDevice({ gpu: 'auto', log: (line) => { noGpuWhy = line; } });
    closers.push(() => dev.mod.closeGpuDevice());
    if (device) gpu = { name: device.info.description || device.info.name, isCpu: device.info.isCpu, hasF16: device.info.hasF16 };
  }

  const wg = await importIfPresent<WebgpuBackendModule>('../../gpu-kernels/webgpu-backend.ts');
  for (const [id, precision] of [[ContenderId.QuiverWebgpuF32, 'f32'], [ContenderId.QuiverWebgpuF16, 'f16']] as const) {
    if ('why' in dev) missing.push({ id, why: dev.why });
    else if (!device) missing.push({ id, why: noGpuWhy || 'no WebGPU adapter' });
    else if ('why' in wg) missing.push({ id, why: wg.why });
    else if (precision === 'f16' && !device.info.hasF16) missing.push({ id, why: `the adapter (${gpu!.name}) has no shader-f16` });
    else {
      try {
        present.push(quiverContender(id, await wg.mod.createWebgpuBackend(device, precision)));
      } catch (e) {
        missing.push({ id, why: `createWebgpuBackend(device, '${precision}') failed: ${(e as Error).message.split('\n')[0]}` });
      }
    }
  }

  try {
    process.env.XDG_RUNTIME_DIR ??= '/tmp'; // Mesa's WSI layers warn without it, even for compute
    const webgpu = await import('webgpu');
    Object.assign(globalThis, webgpu.globals);
    const dawn = webgpu.create(['backend=vulkan']);
    const adapter = await dawn.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter (Vulkan driver missing?)');
    gpu ??= { name: adapter.info.description || adapter.info.device, isCpu: /llvmpipe|lavapipe|swiftshader/i.test(adapter.info.description), hasF16: adapter.features.has('shader-f16') };
    const tfjs = await import('./tfjs-mlp.ts');
    const probe = await tfjs.loadTfjsWebgpu(dawn);
    present.push({
      id: ContenderId.TfjsWebgpu,
      description: `tfjs ${probe.version_core} (webgpu, ${gpu.name})`,
      load: (w) => tfjs.tfjsWebgpuMlpRunner(w, dawn),
    });
  } catch (e) {
    missing.push({ id: ContenderId.TfjsWebgpu, why: (e as Error).message.split('\n')[0] });
  }

  return {
    present,
    missing,
    gpu,
    close: async () => { for (const c of closers) await c(); },
  };
}
