// checkStreamingPlan: refuses, before a query starts, what micro-batches cannot run (operators that need state across batches beyond one streaming aggregate).
import { assertNever, PlanError } from '../../ops/errors.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { OutputMode } from './stateful-aggregate.ts';

/** Why each operator needs state across batches that Quiver does not keep. */
const NEEDS_STATE: Partial<Record<LogicalPlan['kind'], string>> = {
  sort: "orderBy (sorting a stream needs all of it: sort the result of a streaming groupBy in outputMode('complete'))",
  limit: 'limit (a limit over a stream needs a count kept across micro-batches)',
  distinct: 'distinct (a stream needs the rows seen so far kept across micro-batches)',
  window: 'window functions (their partitions span micro-batches)',
  cache: 'cache (a stream has no fixed rows to keep)',
};

const HOW_NOW = 'not supported on a streaming DataFrame; run it per micro-batch with writeStream.foreachBatch((df, batchId) => ...), or on the output of a batch read';

/** What a subplan is: no stream, a stream, or a stream after its (one) stateful aggregate. */
type Streaming = 'static' | 'stream' | 'aggregated';

/**
 * Throws a PlanError naming the first operator that cannot run on a stream in `mode`: a second
 * aggregate over a stream, orderBy outside complete mode, limit/distinct/window functions over a
 * stream, a join of two streams or an outer join that would need the stream's future rows, a
 * union of a stream with a static DataFrame, complete mode without an aggregate. Returns whether
 * `plan` is streaming.
 */
export function checkStreamingPlan(plan: LogicalPlan, mode: OutputMode = 'append'): boolean {
  const s = walk(plan, mode);
  if (s === 'stream' && mode === 'complete') throw new PlanError("outputMode('complete') needs a streaming groupBy(...).agg(...): without one every batch would have to output the whole stream; use 'append'");
  return s !== 'static';
}

function walk(plan: LogicalPlan, mode: OutputMode): Streaming {
  switch (plan.kind) {
    case 'streamScan': return 'stream';
    case 'scan': case 'values': return 'static';
    case 'project': case 'filter': case 'mapBatches': case 'predict': case 'subqueryAlias': case 'generate': case 'repartition': case 'sample': case 'watermark':
      return walk(plan.input, mode);
    case 'aggregate': {
      const s = walk(plan.input, mode);
      if (s === 'aggregated') throw new PlanError(`an aggregate over a streaming aggregate is ${HOW_NOW}`);
      return s === 'stream' ? 'aggregated' : 'static';
    }
    case 'sort': {
      const s = walk(plan.input, mode);
      if (s === 'aggregated' && mode === 'complete') return s;
      if (s !== 'static') throw new PlanError(`${NEEDS_STATE.sort} is ${HOW_NOW}`);
      return s;
    }
    case 'limit': case 'distinct': case 'window': case 'cache': {
      const s = walk(plan.input, mode);
      if (s !== 'static') throw new PlanError(`${NEEDS_STATE[plan.kind]} is ${HOW_NOW}`);
      return s;
    }
    case 'join': {
      const l = walk(plan.left, mode), r = walk(plan.right, mode);
      if (l !== 'static' && r !== 'static') throw new PlanError(`a join of two streams is ${HOW_NOW}; join a stream with a static DataFrame`);
      // The static side's unmatched rows would depend on rows of the stream not yet arrived.
      const bad = (l !== 'static' && ['right', 'full'].includes(plan.how)) || (r !== 'static' && ['left', 'full', 'semi', 'anti'].includes(plan.how));
      if (bad) throw new PlanError(`a ${plan.how} join with the stream on the ${l !== 'static' ? 'left' : 'right'} is ${HOW_NOW}; use inner, or an outer/semi/anti join that keeps the stream's side (stream.join(static, on, 'left'))`);
      return l !== 'static' ? l : r;
    }
    case 'union': {
      const s = plan.inputs.map((p) => walk(p, mode));
      if (s.some((x) => x !== 'static') && !s.every((x) => x !== 'static')) throw new PlanError('a union of a stream with a static DataFrame is not supported: union streams with streams');
      if (s.filter((x) => x === 'aggregated').length > 0 && s.length > 1) throw new PlanError(`a union holding a streaming aggregate is ${HOW_NOW}`);
      return s[0];
    }
    default: return assertNever(plan, 'plan node');
  }
}
