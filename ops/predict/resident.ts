// Resident models: each worker thread loads a model once per backend and keeps it (weights packed or uploaded) for every later task.
import type { MlpRunner } from '../../gpu-kernels/mlp/contract.ts';
import { loadAnyModel, type LoadedModel } from '../model/any-model.ts';
import type { ModelPin } from '../model/model.ts';
import { createPredictRunner, type PredictBackend } from './backends.ts';

export type { ResolvedDevice } from './backends.ts';

export interface Resident {
  model: LoadedModel;
  runner: MlpRunner;
  /** One line: where it runs (e.g. "cpu (wasm simd128, 1 thread per worker)"). */
  description: string;
}

const residents = new Map<string, Promise<Resident>>();

/** Makes a runner for `model` on `backend`; swapped out by tests. */
export type RunnerFactory = (model: LoadedModel, backend: PredictBackend) => Promise<{ runner: MlpRunner; description: string }>;

const defaultFactory: RunnerFactory = (model, backend) => createPredictRunner(model, backend, 1);
let factory: RunnerFactory = defaultFactory;

/**
 * The model at `path` on `backend`, loaded once per thread and verified against the hashes the
 * job was planned with (`pin`: an edit since q.model() is a DataError); keyed by path, both
 * hashes and backend.
 */
export function residentModel(path: string, pin: ModelPin, backend: PredictBackend): Promise<Resident> {
  const key = `${path}\0${pin.sha256}\0${pin.metaSha256}\0${backend}`;
  let r = residents.get(key);
  if (!r) {
    r = (async () => {
      const model = loadAnyModel(path, pin);
      const { runner, description } = await factory(model, backend);
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
