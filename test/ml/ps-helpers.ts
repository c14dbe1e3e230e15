// Parameter-server test helpers: a Fashion-MNIST subset as DataFrames, and staleness recomputed from a training's recorded clocks.
import type { DataFrame, Quiver } from '../../core/index.ts';
import type { ClockRecord } from '../../core/ml/ps/index.ts';
import { fmnistFile } from '../../examples/lib/fmnist.ts';

/** The first `train` training rows and `test` test rows of Fashion-MNIST, read by the IDX reader. */
export function fmnistSubset(q: Quiver, train: number, test: number): { train: DataFrame; test: DataFrame } {
  return {
    train: q.read.idx(fmnistFile('train', 'images'), { labels: true }).limit(train),
    test: q.read.idx(fmnistFile('t10k', 'images'), { labels: true }).limit(test),
  };
}

/**
 * Each clock's staleness from the records alone: its clock minus the oldest clock started
 * before it and not yet ended when it started (0 when none was open).
 */
export function recomputedStaleness(records: readonly ClockRecord[]): number[] {
  return records.map((r) => {
    let oldest: number | null = null;
    for (const u of records) {
      if (u.startedAt >= r.startedAt) continue;
      if (u.endedAt !== undefined && u.endedAt < r.startedAt) continue;
      if (oldest === null || u.clock < oldest) oldest = u.clock;
    }
    return oldest === null ? 0 : r.clock - oldest;
  });
}
