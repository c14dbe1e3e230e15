// The closed union of logical plan nodes, and generic walkers over it.
import { assertNever } from '../../ops/errors.ts';
import type { Scan } from './scan.ts';
import type { Values } from './values.ts';
import type { Project } from './project.ts';
import type { Filter } from './filter.ts';
import type { Aggregate } from './aggregate.ts';
import type { Join } from './join.ts';
import type { Sort } from './sort.ts';
import type { Limit } from './limit.ts';
import type { Distinct } from './distinct.ts';
import type { Union } from './union.ts';
import type { Repartition } from './repartition.ts';
import type { MapBatches } from './map-batches.ts';
import type { Predict } from './predict.ts';
import type { Cache } from './cache.ts';
import type { SubqueryAlias } from './subquery-alias.ts';
import type { Sample } from './sample.ts';
import type { Generate } from './generate.ts';
import type { Window } from './window.ts';
import type { StreamScan } from './stream-scan.ts';
import type { EventTimeWatermark } from './watermark.ts';

export type LogicalPlan =
  | Scan | Values | Project | Filter | Aggregate | Join | Sort | Limit | Distinct | Union | Repartition | MapBatches | Predict | Cache
  | SubqueryAlias | Sample | Generate | Window | StreamScan | EventTimeWatermark;

export type PlanKind = LogicalPlan['kind'];

export function planChildren(p: LogicalPlan): readonly LogicalPlan[] {
  switch (p.kind) {
    case 'scan': case 'values': case 'streamScan': return [];
    case 'project': case 'filter': case 'aggregate': case 'sort': case 'limit':
    case 'distinct': case 'repartition': case 'mapBatches': case 'predict': case 'cache': case 'subqueryAlias': case 'sample': case 'generate': case 'window': case 'watermark': return [p.input];
    case 'join': return [p.left, p.right];
    case 'union': return p.inputs;
    default: return assertNever(p, 'plan node');
  }
}

/**
 * Rebuilds `p` over new children without re-deriving anything but the frozen shell. The
 * schema is kept: callers MUST only swap in children with the same schema (the optimizer
 * checks this), or rebuild through the node's constructor.
 */
export function withPlanChildren(p: LogicalPlan, c: readonly LogicalPlan[]): LogicalPlan {
  switch (p.kind) {
    case 'scan': case 'values': case 'streamScan': return p;
    case 'project': case 'filter': case 'aggregate': case 'sort': case 'limit':
    case 'distinct': case 'repartition': case 'mapBatches': case 'predict': case 'cache': case 'subqueryAlias': case 'sample': case 'generate': case 'window': case 'watermark':
      return c[0] === p.input ? p : Object.freeze({ ...p, input: c[0] }) as LogicalPlan;
    case 'join': return c[0] === p.left && c[1] === p.right ? p : Object.freeze({ ...p, left: c[0], right: c[1] });
    case 'union': return c.every((x, i) => x === p.inputs[i]) ? p : Object.freeze({ ...p, inputs: c });
    default: return assertNever(p, 'plan node');
  }
}
