// checkStreamingPlan: refuses, before a query starts, what micro-batches cannot run yet (operators that need state across batches).
import { assertNever, PlanError } from '../../ops/errors.ts';
import type { LogicalPlan } from '../plan/node.ts';

/** Why each operator needs state across batches; the fix is the same for all until stateful streaming lands. */
const NEEDS_STATE: Partial<Record<LogicalPlan['kind'], string>> = {
  aggregate: 'groupBy/agg (an aggregate over a stream needs its running groups kept across micro-batches)',
  sort: 'orderBy (sorting a stream needs all of it)',
  limit: 'limit (a limit over a stream needs a count kept across micro-batches)',
  distinct: 'distinct (a stream needs the rows seen so far kept across micro-batches)',
  window: 'window functions (their partitions span micro-batches)',
  cache: 'cache (a stream has no fixed rows to keep)',
};

const HOW_NOW = 'not supported on a streaming DataFrame yet (event-time windows and state are a later step); run it per micro-batch with writeStream.foreachBatch((df, batchId) => ...), or on the output of a batch read';

/**
 * Throws a PlanError naming the first operator that cannot run on a stream: a stateful one over
 * a streaming input, a join of two streams or an outer join that would need the stream's
 * future rows, a union of a stream with a static DataFrame. Returns whether `plan` is streaming.
 */
export function checkStreamingPlan(plan: LogicalPlan): boolean {
  switch (plan.kind) {
    case 'streamScan': return true;
    case 'scan': case 'values': return false;
    case 'project': case 'filter': case 'mapBatches': case 'predict': case 'subqueryAlias': case 'generate': case 'repartition': case 'sample':
      return checkStreamingPlan(plan.input);
    case 'aggregate': case 'sort': case 'limit': case 'distinct': case 'window': case 'cache': {
      const streaming = checkStreamingPlan(plan.input);
      if (streaming) throw new PlanError(`${NEEDS_STATE[plan.kind]} is ${HOW_NOW}`);
      return false;
    }
    case 'join': {
      const l = checkStreamingPlan(plan.left), r = checkStreamingPlan(plan.right);
      if (l && r) throw new PlanError(`a join of two streams is ${HOW_NOW}; join a stream with a static DataFrame`);
      // The static side's unmatched rows would depend on rows of the stream not yet arrived.
      const bad = (l && ['right', 'full'].includes(plan.how)) || (r && ['left', 'full', 'semi', 'anti'].includes(plan.how));
      if (bad) throw new PlanError(`a ${plan.how} join with the stream on the ${l ? 'left' : 'right'} is ${HOW_NOW}; use inner, or an outer/semi/anti join that keeps the stream's side (stream.join(static, on, 'left'))`);
      return l || r;
    }
    case 'union': {
      const s = plan.inputs.map(checkStreamingPlan);
      if (s.some((x) => x) && !s.every((x) => x)) throw new PlanError('a union of a stream with a static DataFrame is not supported: union streams with streams');
      return s[0];
    }
    default: return assertNever(plan, 'plan node');
  }
}
