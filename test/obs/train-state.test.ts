// Trainings folded from their events: progress and epoch ends, a failed one with its error, and a log cut mid-run (its progress skipped, not invented).
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../core/index.ts';
import { replay } from '../../core/obs/state.ts';
import { trainingsView } from '../../core/obs/ui/views.ts';

const start = (id: string, ts: number): RuntimeEvent => ({ kind: 'trainStart', ts, id, model: 'mlp 64', consistency: 'bounded-delay', maxDelay: 4, epochs: 2, workers: 2, shards: 1, rows: 1000 });
const progress = (id: string, ts: number, epoch: number, epochEnd: boolean, loss: number): RuntimeEvent => ({
  kind: 'trainProgress', ts, id, epoch, epochs: 2, rows: epochEnd ? 1000 : 500, totalRows: 1000, loss, accuracy: 0.5 + epoch / 10, testAccuracy: epochEnd ? 0.6 + epoch / 10 : null,
  stepsPerSecond: 10, samplesPerSecond: 1000, staleness: { 0: 5 * epoch, 3: epoch }, epochEnd,
});

describe('training state from events', () => {
  it('keeps the last progress and every epoch end; the end sets status, accuracy and steps', () => {
    const s = replay([start('a', 1), progress('a', 2, 1, false, 0.9), progress('a', 3, 1, true, 0.7), progress('a', 4, 2, true, 0.5),
      { kind: 'trainEnd', ts: 5, id: 'a', ok: true, testAccuracy: 0.8, steps: 40, trainSeconds: 4 }]);
    const [t] = s.trainings;
    expect(t).toEqual(expect.objectContaining({ status: 'succeeded', start: 1, end: 5, testAccuracy: 0.8, steps: 40, maxDelay: 4, error: null }));
    expect(t.epochEnds).toEqual([{ epoch: 1, loss: 0.7, accuracy: 0.6, testAccuracy: 0.7, ts: 3 }, { epoch: 2, loss: 0.5, accuracy: 0.7, testAccuracy: 0.8, ts: 4 }]);
    expect(t.last).toEqual(expect.objectContaining({ epoch: 2, epochEnd: true, staleness: { 0: 10, 3: 2 } }));
  });

  it('a failed training keeps its error; progress of a training whose start the log lacks is skipped; running ones list first', () => {
    const s = replay([start('a', 1), progress('gone', 2, 1, false, 1), { kind: 'trainEnd', ts: 3, id: 'a', ok: false, error: 'no executor is alive' }, start('b', 4), progress('b', 5, 1, false, 0.8)]);
    expect(s.trainings.map((t) => [t.id, t.status, t.error])).toEqual([['a', 'failed', 'no executor is alive'], ['b', 'running', null]]);
    expect(trainingsView(s).map((t) => t.id)).toEqual(['b', 'a']);
  });
});
