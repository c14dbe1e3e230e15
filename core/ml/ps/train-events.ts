// The runtime events parameter-server training reports (trainStart, trainProgress, trainEnd): how the event log and the web UI's training page see it.
import type { RuntimeEvent } from '../../runtime/events.ts';
import type { TrainConfig, TrainProgress } from './options.ts';

export function trainStartEvent(id: string, cfg: TrainConfig, workers: number, rows: number): RuntimeEvent {
  return {
    kind: 'trainStart', ts: Date.now(), id, model: `mlp ${[...cfg.hidden].join('x')}`, consistency: cfg.consistency, maxDelay: Number.isFinite(cfg.maxDelay) ? cfg.maxDelay : null,
    epochs: cfg.epochs, workers, shards: cfg.servers, rows,
  };
}

export function trainProgressEvent(id: string, p: TrainProgress): RuntimeEvent {
  return {
    kind: 'trainProgress', ts: Date.now(), id, epoch: p.epoch, epochs: p.epochs, rows: p.rows, totalRows: p.totalRows, loss: p.loss, accuracy: p.accuracy,
    testAccuracy: p.testAccuracy ?? null, stepsPerSecond: p.stepsPerSecond, samplesPerSecond: p.samplesPerSecond,
    staleness: { ...p.staleness }, epochEnd: p.epochEnd,
  };
}

export function trainEndEvent(id: string, r: { testAccuracy: number | null; steps: number; trainSeconds: number } | { error: unknown }): RuntimeEvent {
  if ('error' in r) return { kind: 'trainEnd', ts: Date.now(), id, ok: false, error: r.error instanceof Error ? r.error.message : String(r.error) };
  return { kind: 'trainEnd', ts: Date.now(), id, ok: true, testAccuracy: r.testAccuracy, steps: r.steps, trainSeconds: r.trainSeconds };
}
