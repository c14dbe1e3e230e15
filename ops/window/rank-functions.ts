// Ranking and offset window functions (row_number, rank, dense_rank, ntile, percent_rank, cume_dist, lag, lead) over sorted segments.
import type * as arrow from 'apache-arrow';
import { concatData } from '../compute/batch.ts';
import { takeData } from '../compute/take.ts';
import { InternalError } from '../errors.ts';
import type { WindowFnName } from '../expr/window-spec.ts';
import { float64Data, int32Data } from './columns.ts';
import type { Peers, Segment } from './frames.ts';

/** What a ranking or offset function reads besides the segments and peers. */
export interface RankInputs {
  /** ntile's bucket count; lag/lead's offset. */
  readonly param: number;
  /** lag/lead: the value column. */
  readonly value: arrow.Data | null;
  /** lag/lead: one row, the default already of the value's type. */
  readonly dflt: arrow.Data | null;
}

/**
 * One output column for `n` rows. Frames do not apply: these functions see the whole window
 * partition in its order, and peers (equal order keys) share rank, dense_rank, percent_rank and
 * cume_dist. ntile splits a partition of n rows into k buckets as DuckDB and Spark do: the first
 * n mod k buckets hold one row more.
 */
export function rankFunction(fn: WindowFnName, segments: readonly Segment[], peers: Peers, n: number, inputs: RankInputs): arrow.Data {
  const { peerStart, peerEnd } = peers;
  switch (fn) {
    case 'rowNumber': case 'rank': case 'denseRank': case 'ntile': {
      const out = new Int32Array(n);
      for (const { start, end } of segments) {
        const size = end - start;
        let dense = 0;
        for (let i = start; i < end; i++) {
          if (fn === 'rowNumber') out[i] = i - start + 1;
          else if (fn === 'rank') out[i] = peerStart[i] - start + 1;
          else if (fn === 'denseRank') out[i] = peerStart[i] === i ? ++dense : dense;
          else out[i] = ntileOf(i - start, size, inputs.param);
        }
      }
      return int32Data(out);
    }
    case 'percentRank': case 'cumeDist': {
      const out = new Float64Array(n);
      for (const { start, end } of segments) {
        const size = end - start;
        for (let i = start; i < end; i++) {
          out[i] = fn === 'cumeDist' ? (peerEnd[i] - start) / size : size > 1 ? (peerStart[i] - start) / (size - 1) : 0;
        }
      }
      return float64Data(out);
    }
    case 'lag': case 'lead': {
      if (!inputs.value || !inputs.dflt) throw new InternalError(`${fn} without its value or default column`);
      // Out-of-partition rows point at the default, appended after the values.
      const source = concatData([inputs.value, inputs.dflt]);
      const idx = new Int32Array(n);
      const step = fn === 'lag' ? -inputs.param : inputs.param;
      for (const { start, end } of segments) {
        for (let i = start; i < end; i++) {
          const j = i + step;
          idx[i] = j >= start && j < end ? j : n;
        }
      }
      return takeData(source, idx);
    }
  }
}

function ntileOf(row: number, size: number, buckets: number): number {
  const small = Math.floor(size / buckets);
  const large = size - buckets * small;
  const inLarge = large * (small + 1);
  return row < inLarge ? 1 + Math.floor(row / (small + 1)) : 1 + large + Math.floor((row - inLarge) / small);
}
