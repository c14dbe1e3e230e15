// Resident models: each worker thread loads a model once per backend and keeps it (weights packed or uploaded) for every later task.
import { loadAnyModel, type LoadedModel } from '../model/any-model.ts';
import type { ModelPin } from '../model/model.ts';
import { createPredictRunner, type PredictBackend } from './backends.ts';
import type { Predictor } from './predictor.ts';

export type { ResolvedDevice } from './backends.ts';

export interface Resident {
  model: LoadedModel;
  runner: Predictor;
  /** One line: where it runs (e.g. "cpu (wasm simd128, 1 thread per worker)"). */
  description: string;
}

const residents = new Map<string, Promise<Resident>>();

/** Makes a runner for `model` on `backend` that also returns the graph outputs `outputs`; swapped out by tests. */
export type RunnerFactory = (model: LoadedModel, backend: PredictBackend, outputs: readonly string[]) => Promise<{ runner: Predictor; description: string }>;

const defaultFactory: RunnerFactory = (model, backend, outputs) => createPredictRunner(model, backend, 1, outputs);
let factory: RunnerFactory = defaultFactory;

/**
 * The model at `path` on `backend`, loaded once per thread and verified against the hashes the
 * job was planned with (`pin`: an edit since q.model() is a DataError); keyed by path, both
 * hashes, backend and the extra graph outputs it returns (a predict asking for none shares
 * nothing with one that asks for some: each runs only what it needs).
 */
export function residentModel(path: string, pin: ModelPin, backend: PredictBackend, outputs: readonly string[] = []): Promise<Resident> {
  const key = `${path}\0${pin.sha256}\0${pin.metaSha256}\0${backend}\0${JSON.stringify(outputs)}`;
  let r = residents.get(key);
  if (!r) {
    r = (async () => {
      const model = loadAnyModel(path, pin);
      const { runner, description } = await factory(model, backend, outputs);
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
