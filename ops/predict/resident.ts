// Resident models: each worker thread loads a model once per device and keeps it (weights packed or uploaded) for every later task.
import type { MlpRunner } from '../../gpu-kernels/mlp/contract.ts';
import { loadModel, type Model, type ModelPin } from '../model/model.ts';

export type ResolvedDevice = 'cpu' | 'gpu';

export interface Resident {
  model: Model;
  runner: MlpRunner;
  /** One line: where it runs (e.g. "cpu (wasm simd128, 1 thread)"). */
  description: string;
}

const residents = new Map<string, Promise<Resident>>();

/** Makes a runner for `model` on `device`; swapped out by tests. */
export type RunnerFactory = (model: Model, device: ResolvedDevice) => Promise<{ runner: MlpRunner; description: string }>;

let factory: RunnerFactory = defaultFactory;

/**
 * The model at `path` on `device`, loaded once per thread and verified against the hashes the
 * job was planned with (`pin`: an edit since q.model() is a DataError); keyed by path, both
 * hashes and device.
 */
export function residentModel(path: string, pin: ModelPin, device: ResolvedDevice): Promise<Resident> {
  const key = `${path}\0${pin.sha256}\0${pin.metaSha256}\0${device}`;
  let r = residents.get(key);
  if (!r) {
    r = (async () => {
      const model = loadModel(path, pin);
      const { runner, description } = await factory(model, device);
      return { model, runner, description };
    })();
    // A failed load is not cached: a retry (maybe on the CPU) tries again.
    r.catch(() => { if (residents.get(key) === r) residents.delete(key); });
    residents.set(key, r);
  }
  return r;
}

/** Frees every resident model of this thread (tests; worker shutdown). */
export async function disposeResidents(): Promise<void> {
  const all = [...residents.values()];
  residents.clear();
  for (const p of all) {
    try { (await p).runner.dispose(); } catch { /* a failed load holds nothing */ }
  }
}

export function setRunnerFactory(f: RunnerFactory | null): void {
  factory = f ?? defaultFactory;
}

async function defaultFactory(model: Model, device: ResolvedDevice): Promise<{ runner: MlpRunner; description: string }> {
  if (device === 'cpu') {
    // One thread per worker: the pool already runs one worker per core.
    const { createCpuMlp } = await import('../../gpu-kernels/mlp/cpu.ts');
    return { runner: createCpuMlp(model.weights, { threads: 1 }), description: 'cpu (wasm simd128, 1 thread per worker)' };
  }
  const { gpuMlpRunner } = await import('./gpu-runner.ts');
  return gpuMlpRunner(model);
}
