// sumDistinct(x) and avgDistinct(x): the sum or mean of a group's distinct non-null x (SQL's sum(DISTINCT x), avg(DISTINCT x)).
//
// The same (group id, value) set and partial state as countDistinct (the group's distinct
// values as a list); only the final value differs. Numbers add in float64, as sum does.
import type * as arrow from 'apache-arrow';
import { fromNumbers, numbersOf } from '../expr/num.ts';
import type { TypeJSON } from '../types.ts';
import { bitsFromFlags } from './accumulator.ts';
import { CountDistinctAccumulator } from './count-distinct.ts';

export class SumDistinctAccumulator extends CountDistinctAccumulator {
  /** `outType`: the sum's type (int64 or float64), or float64 with `mean`. */
  constructor(argType: TypeJSON, private readonly outType: TypeJSON, private readonly mean: boolean) {
    super(argType);
  }

  override finish(nGroups: number): arrow.Data {
    const list = this.state(nGroups)[0];
    const offs = list.valueOffsets as Int32Array;
    const v = numbersOf(list.children[0]);
    const out = new Float64Array(nGroups);
    const seen = new Uint8Array(nGroups);
    for (let g = 0; g < nGroups; g++) {
      const n = offs[g + 1] - offs[g];
      if (n === 0) continue;
      let s = 0;
      for (let i = offs[g]; i < offs[g + 1]; i++) s += v[i];
      out[g] = this.mean ? s / n : s;
      seen[g] = 1;
    }
    return fromNumbers(this.outType, out, nGroups, bitsFromFlags(seen, nGroups));
  }
}
