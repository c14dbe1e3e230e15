// The streaming leaves of a plan, and the plan of one micro-batch: each StreamScan replaced by its batch's rows.
import { InternalError } from '../../ops/errors.ts';
import { planChildren, withPlanChildren, type LogicalPlan } from '../plan/node.ts';
import type { StreamScan } from '../plan/stream-scan.ts';

/** The StreamScans of `plan`, depth-first, left to right: a source's index in the checkpoint is its place here. */
export function streamScansOf(plan: LogicalPlan): StreamScan[] {
  if (plan.kind === 'streamScan') return [plan];
  return planChildren(plan).flatMap(streamScansOf);
}

/** `plan` with each StreamScan replaced by `batches.get(id)`, whose schema MUST be the scan's. */
export function substituteBatches(plan: LogicalPlan, batches: ReadonlyMap<string, LogicalPlan>): LogicalPlan {
  if (plan.kind === 'streamScan') {
    const b = batches.get(plan.id);
    if (b === undefined) throw new InternalError(`no batch for stream source ${plan.id}`);
    const want = JSON.stringify(plan.schema.map((f) => [f.name, f.type]));
    if (JSON.stringify(b.schema.map((f) => [f.name, f.type])) !== want) {
      throw new InternalError(`the batch of ${plan.source.format} source ${plan.id} has columns ${JSON.stringify(b.schema)}, the stream ${want}`);
    }
    return b;
  }
  const children = planChildren(plan);
  const next = children.map((c) => substituteBatches(c, batches));
  return next.every((c, i) => c === children[i]) ? plan : withPlanChildren(plan, next);
}
