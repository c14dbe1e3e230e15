// Rebuilding a plan node over new children through its constructor, so its schema is derived again.
import { assertNever } from '../../ops/errors.ts';
import { aggregate } from '../plan/aggregate.ts';
import { cache } from '../plan/cache.ts';
import { distinct } from '../plan/distinct.ts';
import { filter } from '../plan/filter.ts';
import { join } from '../plan/join.ts';
import { limit } from '../plan/limit.ts';
import { mapBatches } from '../plan/map-batches.ts';
import { predict } from '../plan/predict.ts';
import { generate } from '../plan/generate.ts';
import { sample } from '../plan/sample.ts';
import { planChildren, type LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { repartition } from '../plan/repartition.ts';
import { scan } from '../plan/scan.ts';
import { sort } from '../plan/sort.ts';
import { subqueryAlias } from '../plan/subquery-alias.ts';
import { union } from '../plan/union.ts';
import { values } from '../plan/values.ts';
import { eventTimeWatermark } from '../plan/watermark.ts';
import { streamScan } from '../plan/stream-scan.ts';
import { window } from '../plan/window.ts';

/**
 * A new node of `node`'s kind and fields over `children` (in planChildren order), built by the
 * constructor: the schema is derived from the children, never copied. Works on plain JSON too
 * (a plan parsed from the network), which is why leaves are rebuilt as well.
 */
export function rebuildNode(node: LogicalPlan, children: readonly LogicalPlan[]): LogicalPlan {
  const [c] = children;
  switch (node.kind) {
    case 'scan': return scan(node.source, node.fileSchema, node.projection, node.filters, node.limit);
    case 'streamScan': return streamScan(node.id, node.source, node.schema);
    case 'values': return values(node.id, node.schema, node.partitions, node.rows, node.bytes);
    case 'project': return project(c, node.exprs);
    case 'filter': return filter(c, node.predicate);
    case 'aggregate': return aggregate(c, node.groupBy, node.aggs);
    case 'join': return join(children[0], children[1], node.how, node.leftKeys, node.rightKeys, node.using, node.strategy, node.filter ?? null);
    case 'subqueryAlias': return subqueryAlias(c, node.alias);
    case 'sort': return sort(c, node.keys);
    case 'limit': return limit(c, node.n, node.offset);
    case 'distinct': return distinct(c);
    case 'union': return union(children);
    case 'repartition': return repartition(c, node.n, node.keys);
    case 'mapBatches': return mapBatches(c, node.udf, node.schema, node.options);
    case 'predict': return predict(c, node.spec);
    case 'cache': return cache(c, node.id, node.name);
    case 'sample': return sample(c, node.fraction, node.withReplacement, node.seed);
    case 'generate': return generate(c, node.arg, node.outer, node.posName, node.colName, node.valueName);
    case 'window': return window(c, node.exprs);
    case 'watermark': return eventTimeWatermark(c, node.column, node.delayMs);
    default: return assertNever(node, 'plan node');
  }
}

/** `node` itself when the children are the same objects, else rebuildNode. */
export function withChildren(node: LogicalPlan, children: readonly LogicalPlan[]): LogicalPlan {
  const old = planChildren(node);
  return children.length === old.length && children.every((x, i) => x === old[i]) ? node : rebuildNode(node, children);
}
