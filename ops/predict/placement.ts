// Where predict runs: a backend asked for, or 'auto' chosen by a short calibration of the real model on every backend present (cached).
import { PlanError } from '../errors.ts';
import { loadAnyModel, type LoadedModel } from '../model/any-model.ts';
import { backendDevice, backendsFor, checkBackend, createPredictRunner, type PredictBackend, type ResolvedDevice } from './backends.ts';

export interface Placement {
  device: ResolvedDevice;
  backend: PredictBackend;
  /** Shown by explain(), e.g. "auto: wasm 81,000 img/s x 2 workers = 162,000 > webgpu (llvmpipe) 7,900 img/s". */
  reason: string;
}

export interface BackendRate {
  backend: PredictBackend;
  description: string;
  /** Images per second of one runner (one worker's share on the CPU). */
  imagesPerSecond: number;
}

/** Measures a backend on the real model with batches of `batch` images (null: not available here); swapped out by tests. */
export type Calibrator = (modelPath: string, backend: PredictBackend, batch: number) => Promise<BackendRate | null>;

const cache = new Map<string, Promise<BackendRate | null>>();
/** Why a calibration failed, by the same key: a backend that cannot run the model says why. */
const failures = new Map<string, string>();
let calibrator: Calibrator = defaultCalibrator;

/** Frees the GPU device calibration opened on this thread (the driver's), if any. */
export async function releasePlacementDevices(): Promise<void> {
  const { closeGpuDevice } = await import('../../gpu-kernels/device/index.ts');
  await closeGpuDevice();
}

export function setCalibrator(c: Calibrator | null): void {
  calibrator = c ?? defaultCalibrator;
  cache.clear();
  failures.clear();
}

/**
 * Calibrations run one after another: run side by side in the driver's thread they took turns
 * on it, and each backend's rate counted the others' time (onnxruntime measured at 27k img/s
 * beside wasm, 70k alone).
 */
let calibrating: Promise<unknown> = Promise.resolve();

function rate(modelPath: string, sha: string, backend: PredictBackend, batch: number): Promise<BackendRate | null> {
  const key = `${sha}\0${backend}\0${batch}`;
  let r = cache.get(key);
  if (!r) {
    r = calibrating.then(() => calibrator(modelPath, backend, batch)).catch((e: unknown) => { failures.set(key, (e as Error)?.message ?? String(e)); return null; });
    calibrating = r;
    cache.set(key, r);
  }
  return r;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

export interface PlacementRequest {
  modelPath: string;
  sha: string;
  kind: LoadedModel['kind'];
  device: 'auto' | 'cpu' | 'gpu';
  /** A backend the user forced, or undefined. */
  backend?: PredictBackend;
  workers: number;
  /** The stage's batch size: a backend is measured on batches of this size (a batch that outgrows the caches runs slower per image). */
  batchSize: number;
}

async function missingGpu(): Promise<string> {
  const { webgpuMissing } = await import('../../gpu-kernels/device/index.ts');
  return (await webgpuMissing()) ?? 'this machine has no usable GPU adapter';
}

/**
 * Chooses the backend of a predict stage. A forced backend is taken as asked (and checked to
 * exist here). device 'gpu' is WebGPU ('gpu' fails at plan time without a GPU); device 'cpu'
 * takes the faster CPU backend; 'auto' runs the model briefly on every backend present (once
 * per model and process) and picks the highest total throughput: a CPU backend scales with the
 * workers, the one GPU does not. The reason lists every candidate's measured rate.
 */
export async function placePredict(req: PlacementRequest): Promise<Placement> {
  const { modelPath, sha, workers, batchSize } = req;
  if (req.backend) {
    checkBackend(req, req.backend);
    const dev = backendDevice(req.backend);
    if (req.device !== 'auto' && req.device !== dev) throw new PlanError(`predict: backend '${req.backend}' runs on the ${dev === 'gpu' ? 'GPU' : 'CPU'}, but device '${req.device}' was asked; drop one of them`);
    const r = await rate(modelPath, sha, req.backend, batchSize);
    if (!r) {
      if (req.backend === 'webgpu') throw new PlanError(`predict: backend 'webgpu' was asked but ${await missingGpu()}; or use device 'auto' or 'cpu'`);
      if (req.backend === 'onnxruntime') {
        const { ORT_MISSING, loadOrt } = await import('./ort-runner.ts');
        if (!(await loadOrt())) throw new PlanError(`predict: backend 'onnxruntime' was asked but ${ORT_MISSING}`);
      }
      const why = failures.get(`${sha}\0${req.backend}\0${batchSize}`);
      throw new PlanError(`predict: backend '${req.backend}' could not run the model here (its calibration failed${why ? `: ${why}` : ''}); try another backend`);
    }
    return { device: dev, backend: req.backend, reason: `asked for ${req.backend}: ${r.description} ${fmt(r.imagesPerSecond)} img/s` };
  }
  const all = backendsFor(req);
  const candidates = all.filter((b) => req.device === 'auto' || backendDevice(b) === req.device);
  // One CPU backend (an MLP): nothing to choose, nothing to measure.
  if (req.device === 'cpu' && candidates.length === 1) return { device: 'cpu', backend: candidates[0], reason: 'asked for cpu' };
  const rates = (await Promise.all(candidates.map((b) => rate(modelPath, sha, b, batchSize)))).filter((r): r is BackendRate => r !== null);
  if (req.device === 'gpu' && rates.length === 0) throw new PlanError(`predict: device 'gpu' was asked but ${await missingGpu()}; or use device 'auto' or 'cpu' (see DEVELOPERS.md to install a Vulkan driver)`);
  if (req.device === 'gpu') return { device: 'gpu', backend: 'webgpu', reason: `asked for gpu: ${rates[0].description}` };
  if (rates.length === 0) return { device: 'cpu', backend: 'wasm', reason: `${req.device}: no backend could be calibrated; wasm` };
  const total = (r: BackendRate) => r.imagesPerSecond * (backendDevice(r.backend) === 'cpu' ? workers : 1);
  const best = rates.reduce((a, b) => (total(b) > total(a) ? b : a));
  const shown = rates.map((r) => backendDevice(r.backend) === 'cpu'
    ? `${r.backend === 'wasm' ? 'cpu' : r.backend} ${fmt(r.imagesPerSecond)} img/s x ${workers} workers = ${fmt(total(r))}`
    : `${r.description} ${fmt(r.imagesPerSecond)} img/s`);
  const missing = req.device === 'auto' && !rates.some((r) => r.backend === 'webgpu') ? '; no GPU adapter' : '';
  return { device: backendDevice(best.backend), backend: best.backend, reason: `${req.device}: ${shown.join(', ')}${missing} -> ${best.backend}` };
}

/** Runs the model on `backend` over synthetic images for ~0.3 s and returns its images/s (null: backend unavailable). */
async function defaultCalibrator(modelPath: string, backend: PredictBackend, batch: number): Promise<BackendRate | null> {
  if (backend === 'webgpu') {
    const { getGpuDevice } = await import('../../gpu-kernels/device/index.ts');
    if (!(await getGpuDevice({ gpu: 'auto', log: () => {} }))) return null;
  }
  if (backend === 'onnxruntime') {
    const { loadOrt } = await import('./ort-runner.ts');
    if (!(await loadOrt())) return null;
  }
  const model = loadAnyModel(modelPath);
  const { runner, description } = await createPredictRunner(model, backend, 1);
  try {
    const size = model.kind === 'mlp' ? model.weights.layers[0].in : model.image.h * model.image.w * model.image.c;
    // The stage's batch, capped for a huge model so that calibrating stays short.
    const n = Math.max(1, Math.min(batch, Math.max(8, Math.floor(64_000_000 / size))));
    const images = new Uint8Array(n * size);
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    // Warm-up: pipelines compiled, JIT warm, onnxruntime's arena grown.
    await runner.run(images, n);
    await runner.run(images, n);
    let done = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 300 || done < 2 * n) {
      await runner.run(images, n);
      done += n;
    }
    return { backend, description, imagesPerSecond: done / ((performance.now() - t0) / 1000) };
  } finally {
    runner.dispose();
  }
}
