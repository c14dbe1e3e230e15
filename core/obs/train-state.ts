// Parameter-server trainings as their events describe them (trainStart, trainProgress, trainEnd): what the web UI's training page shows.
import type { RuntimeEvent } from '../runtime/events.ts';

export type TrainStatus = 'running' | 'succeeded' | 'failed';

/** A progress report, as a trainProgress event gave it (epoch ms `ts`: when). */
export type TrainPoint = Omit<Extract<RuntimeEvent, { kind: 'trainProgress' }>, 'kind' | 'id'>;

/** One epoch's end: its mean training loss and accuracy, and the test accuracy where test data was given. */
export interface TrainEpoch { epoch: number; loss: number; accuracy: number; testAccuracy: number | null; ts: number }

export interface TrainState {
  id: string;
  model: string;
  consistency: string;
  /** null: unbounded (eventual). */
  maxDelay: number | null;
  epochs: number;
  workers: number;
  shards: number;
  rows: number;
  status: TrainStatus;
  start: number;
  end: number | null;
  error: string | null;
  /** The last progress report, or null before the first. */
  last: TrainPoint | null;
  /** Every epoch ended so far, in order. */
  epochEnds: TrainEpoch[];
  /** From trainEnd. */
  testAccuracy: number | null;
  steps: number | null;
}

type TrainEvent = Extract<RuntimeEvent, { kind: 'trainStart' | 'trainProgress' | 'trainEnd' }>;

function find(trainings: TrainState[], id: string): TrainState | undefined {
  for (let i = trainings.length - 1; i >= 0; i--) if (trainings[i].id === id) return trainings[i];
  return undefined;
}

/** Folds a training event into `trainings` (in place). Progress or an end for a training never started (a log cut mid-run) is skipped. */
export function applyTrainEvent(trainings: TrainState[], e: TrainEvent): void {
  switch (e.kind) {
    case 'trainStart': {
      trainings.push({
        id: e.id, model: e.model, consistency: e.consistency, maxDelay: e.maxDelay, epochs: e.epochs, workers: e.workers, shards: e.shards, rows: e.rows,
        status: 'running', start: e.ts, end: null, error: null, last: null, epochEnds: [], testAccuracy: null, steps: null,
      });
      return;
    }
    case 'trainProgress': {
      const t = find(trainings, e.id);
      if (!t) return;
      const { kind, id, ...point } = e;
      void kind; void id;
      t.last = point;
      if (e.epochEnd) t.epochEnds.push({ epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, testAccuracy: e.testAccuracy, ts: e.ts });
      return;
    }
    case 'trainEnd': {
      const t = find(trainings, e.id);
      if (!t) return;
      t.status = e.ok ? 'succeeded' : 'failed';
      t.end = e.ts;
      t.error = e.error ?? null;
      t.testAccuracy = e.testAccuracy ?? null;
      t.steps = e.steps ?? null;
      return;
    }
  }
}
