// Aggregates over window frames (count, sum, avg, min, max, first, last): O(n) per window partition by sliding the frame.
import type * as arrow from 'apache-arrow';
import { isValid, takeData } from '../compute/take.ts';
import { InternalError } from '../errors.ts';
import { compareRows, keyColumn, type KeyColumn, type SortOrder } from '../sort/sort-keys.ts';
import { float64Data, int64Data } from './columns.ts';
import type { FrameBounds, Segment } from './frames.ts';

export type FrameAggFn = 'count' | 'countStar' | 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last';

/**
 * One output column: `fn` over each row's frame [lo, hi). Frames only move forward within a
 * segment (frames.ts), so count/sum/avg add rows entering and remove rows leaving (O(1) each),
 * min/max keep a monotonic deque of candidates (O(1) amortized), and first/last read an end.
 * `arg` MUST be null for countStar; for sum and avg it MUST be int64 (exact BigInt sums) or
 * float64 (NaN and infinities counted apart so leaving rows cancel exactly). Empty frames and
 * frames without a non-null value give null (count gives 0); first/last give the frame's first
 * or last row's value, null included, as the aggregate does.
 */
export function frameAggregate(fn: FrameAggFn, arg: arrow.Data | null, segments: readonly Segment[], bounds: FrameBounds, n: number): arrow.Data {
  const { lo, hi } = bounds;
  switch (fn) {
    case 'countStar': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(hi[i] - lo[i]);
      return int64Data(out);
    }
    case 'first': case 'last': {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = hi[i] <= lo[i] ? -1 : fn === 'first' ? lo[i] : hi[i] - 1;
      return takeData(need(arg, fn), idx);
    }
    case 'min': case 'max': return takeData(need(arg, fn), extremes(fn, need(arg, fn), segments, bounds, n));
    case 'count': case 'sum': case 'avg': return sliding(fn, need(arg, fn), segments, bounds, n);
  }
}

function need(arg: arrow.Data | null, fn: string): arrow.Data {
  if (arg === null) throw new InternalError(`window ${fn} without its argument`);
  return arg;
}

function sliding(fn: 'count' | 'sum' | 'avg', arg: arrow.Data, segments: readonly Segment[], { lo, hi }: FrameBounds, n: number): arrow.Data {
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = isValid(arg, i) ? 1 : 0;
  const big = arg.values instanceof BigInt64Array ? (arg.values as BigInt64Array) : null;
  const flt = big === null && fn !== 'count' ? (arg.values as Float64Array) : null;
  const counts = new BigInt64Array(n);
  const fOut = new Float64Array(n);
  const bOut = new BigInt64Array(n);
  const outValid = new Uint8Array(n);
  for (const { start, end } of segments) {
    let a = start, b = start, cnt = 0, bsum = 0n, fsum = 0, nan = 0, pinf = 0, ninf = 0;
    const add = (j: number, sign: 1 | -1) => {
      if (!valid[j]) return;
      cnt += sign;
      if (big) bsum += sign === 1 ? big[j] : -big[j];
      else if (flt) {
        const x = flt[j];
        if (x !== x) nan += sign;
        else if (x === Infinity) pinf += sign;
        else if (x === -Infinity) ninf += sign;
        else fsum += sign * x;
      }
    };
    for (let i = start; i < end; i++) {
      while (b < hi[i]) add(b++, 1);
      while (a < lo[i]) add(a++, -1);
      // An empty frame restarts the float sum at exactly zero, shedding rounding left by removals.
      if (cnt === 0) fsum = 0;
      counts[i] = BigInt(cnt);
      if (cnt === 0) continue;
      outValid[i] = 1;
      if (big) {
        bOut[i] = bsum;
        fOut[i] = Number(bsum) / cnt;
      } else {
        const s = nan > 0 || (pinf > 0 && ninf > 0) ? NaN : pinf > 0 ? Infinity : ninf > 0 ? -Infinity : fsum;
        fOut[i] = fn === 'avg' ? s / cnt : s;
      }
    }
  }
  if (fn === 'count') return int64Data(counts);
  if (fn === 'sum' && big) return int64Data(bOut, outValid);
  return float64Data(fOut, outValid);
}

const ASC: readonly SortOrder[] = [{ ascending: true, nullsFirst: true }];

/** Index of each frame's min (max) non-null value, -1 when none: a deque of indices whose values only rise (fall). */
function extremes(fn: 'min' | 'max', arg: arrow.Data, segments: readonly Segment[], { lo, hi }: FrameBounds, n: number): Int32Array {
  const keys: KeyColumn[] = [keyColumn(arg)];
  const valid = keys[0].valid;
  const sign = fn === 'min' ? 1 : -1;
  // Whether x should leave the deque's back when y arrives: y is as good or better.
  const beaten = (x: number, y: number) => sign * compareRows(ASC, keys, x, keys, y) >= 0;
  const out = new Int32Array(n).fill(-1);
  const dq = new Int32Array(n);
  for (const { start, end } of segments) {
    let head = 0, tail = 0, a = start, b = start;
    for (let i = start; i < end; i++) {
      for (; b < hi[i]; b++) {
        if (valid !== null && !valid[b]) continue;
        while (tail > head && beaten(dq[tail - 1], b)) tail--;
        dq[tail++] = b;
      }
      a = lo[i];
      while (tail > head && dq[head] < a) head++;
      if (tail > head) out[i] = dq[head];
    }
  }
  return out;
}
