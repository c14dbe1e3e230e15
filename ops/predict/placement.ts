// Where predict runs: 'cpu', 'gpu', or 'auto' chosen by a short calibration of the real model on each device (cached).
import { PlanError } from '../errors.ts';
import { loadModel } from '../model/model.ts';
import type { ResolvedDevice } from './resident.ts';

export interface Placement {
  device: ResolvedDevice;
  /** Shown by explain(), e.g. "auto: cpu 81,000 img/s x 2 workers > webgpu (llvmpipe) 7,900 img/s". */
  reason: string;
}

export interface DeviceRate {
  device: ResolvedDevice;
  description: string;
  /** Images per second of one runner (one worker's share for the CPU). */
  imagesPerSecond: number;
}

/** Measures a device on the real model; swapped out by tests. */
export type Calibrator = (modelPath: string, device: ResolvedDevice) => Promise<DeviceRate | null>;

const cache = new Map<string, Promise<DeviceRate | null>>();
let calibrator: Calibrator = defaultCalibrator;

/** Frees the GPU device calibration opened on this thread (the driver's), if any. */
export async function releasePlacementDevices(): Promise<void> {
  const { closeGpuDevice } = await import('../../gpu-kernels/device/index.ts');
  await closeGpuDevice();
}

export function setCalibrator(c: Calibrator | null): void {
  calibrator = c ?? defaultCalibrator;
  cache.clear();
}

function rate(modelPath: string, sha: string, device: ResolvedDevice): Promise<DeviceRate | null> {
  const key = `${sha}\0${device}`;
  let r = cache.get(key);
  if (!r) {
    r = calibrator(modelPath, device).catch(() => null);
    cache.set(key, r);
  }
  return r;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * Chooses the device for a predict stage. 'cpu' and 'gpu' are taken as asked ('gpu' fails at
 * plan time when there is no GPU). 'auto' runs the model briefly on each device (once per
 * model and process) and picks the higher total throughput: the CPU scales with the workers,
 * the one GPU does not.
 */
export async function placePredict(modelPath: string, sha: string, asked: 'auto' | 'cpu' | 'gpu', workers: number): Promise<Placement> {
  if (asked === 'cpu') return { device: 'cpu', reason: 'asked for cpu' };
  if (asked === 'gpu') {
    const g = await rate(modelPath, sha, 'gpu');
    if (!g) {
      const { webgpuMissing } = await import('../../gpu-kernels/device/index.ts');
      const missing = await webgpuMissing();
      if (missing) throw new PlanError(`predict: device 'gpu' was asked but ${missing}; or use device 'auto' or 'cpu'`);
      throw new PlanError("predict: device 'gpu' was asked but this machine has no usable GPU adapter; use device 'auto' or 'cpu' (see DEVELOPERS.md to install a Vulkan driver)");
    }
    return { device: 'gpu', reason: `asked for gpu: ${g.description}` };
  }
  const [c, g] = await Promise.all([rate(modelPath, sha, 'cpu'), rate(modelPath, sha, 'gpu')]);
  if (!g) return { device: 'cpu', reason: `auto: no GPU adapter${c ? `; cpu ${fmt(c.imagesPerSecond)} img/s per worker` : ''}` };
  if (!c) return { device: 'gpu', reason: `auto: cpu calibration failed; ${g.description} ${fmt(g.imagesPerSecond)} img/s` };
  const cpuTotal = c.imagesPerSecond * workers;
  const pick: ResolvedDevice = g.imagesPerSecond > cpuTotal ? 'gpu' : 'cpu';
  return {
    device: pick,
    reason: `auto: cpu ${fmt(c.imagesPerSecond)} img/s x ${workers} workers = ${fmt(cpuTotal)} ${pick === 'cpu' ? '>' : '<'} ${g.description} ${fmt(g.imagesPerSecond)} img/s`,
  };
}

/** Runs the model on `device` over synthetic images for ~0.3 s and returns its images/s (null: device unavailable). */
async function defaultCalibrator(modelPath: string, device: ResolvedDevice): Promise<DeviceRate | null> {
  const model = loadModel(modelPath);
  let runner, description: string;
  if (device === 'cpu') {
    const { createCpuMlp } = await import('../../gpu-kernels/mlp/cpu.ts');
    runner = createCpuMlp(model.weights, { threads: 1 });
    description = 'cpu';
  } else {
    const { getGpuDevice } = await import('../../gpu-kernels/device/index.ts');
    const gd = await getGpuDevice({ gpu: 'auto', log: () => {} });
    if (!gd) return null;
    const { WebgpuMlpRunner } = await import('../../gpu-kernels/mlp/wgsl.ts');
    runner = await WebgpuMlpRunner.create(gd, model.weights, 'f32');
    description = `webgpu (${gd.info.name})`;
  }
  try {
    const n = 1024;
    const size = model.weights.layers[0].in;
    const images = new Uint8Array(n * size);
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    await runner.run(images, n); // warm-up: pipelines compiled, JIT warm
    let done = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 300 || done < 2 * n) {
      await runner.run(images, n);
      done += n;
    }
    return { device, description, imagesPerSecond: done / ((performance.now() - t0) / 1000) };
  } finally {
    runner.dispose();
  }
}
