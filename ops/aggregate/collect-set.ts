// collectSet(x): per group, the list of its distinct non-null x (Spark's collect_set); the element order is unspecified.
//
// The same (group id, value) set as countDistinct, and the same partial state (the group's
// distinct values as a list); only the final value differs: the list instead of its length.
import type * as arrow from 'apache-arrow';
import { CountDistinctAccumulator } from './count-distinct.ts';

export class CollectSetAccumulator extends CountDistinctAccumulator {
  override finish(nGroups: number): arrow.Data { return this.state(nGroups)[0]; }
}
