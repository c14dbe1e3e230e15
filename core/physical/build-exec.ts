// Rebuilds operator objects (ops/) from a stage's PhysNode JSON; runs on workers and for explain().
import type { ExecPlan } from '../../ops/exec-plan.ts';
import { assertNever } from '../../ops/errors.ts';
import { ScanExec } from '../../ops/scan-exec.ts';
import { MemoryScanExec } from '../../ops/memory-scan-exec.ts';
import { FilterExec } from '../../ops/filter-exec.ts';
import { ProjectionExec } from '../../ops/projection-exec.ts';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import { HashJoinExec } from '../../ops/joins/hash-join-exec.ts';
import { NestedLoopJoinExec } from '../../ops/joins/nested-loop-join-exec.ts';
import { RangePartitionExec, SampleExec, SortExec } from '../../ops/sort/index.ts';
import { LimitExec } from '../../ops/limit-exec.ts';
import { RandomSampleExec } from '../../ops/random-sample-exec.ts';
import { GenerateExec } from '../../ops/generate-exec.ts';
import { UnionExec } from '../../ops/union-exec.ts';
import { MapBatchesExec } from '../../ops/map-batches-exec.ts';
import { PredictExec } from '../../ops/predict/predict-exec.ts';
import { ShuffleReadExec } from '../../ops/shuffle-read-exec.ts';
import { CacheReadExec } from '../../ops/cache-read-exec.ts';
import { BroadcastExec } from '../../ops/broadcast-exec.ts';
import { WriteFilesExec } from '../../ops/sinks/write-files-exec.ts';
import { WindowExec } from '../../ops/window/window-exec.ts';
import type { PhysNode } from './phys-node.ts';

export function buildExec(n: PhysNode): ExecPlan {
  switch (n.op) {
    case 'scan':
      return new ScanExec({ format: n.format, splits: n.splits as any, options: n.options, fileSchema: n.fileSchema,
        projection: n.projection, filters: n.filters, limit: n.limit });
    case 'values': return new MemoryScanExec({ id: n.id, partitions: n.partitions, fields: n.fields });
    case 'filter': return new FilterExec(n.predicate, buildExec(n.child));
    case 'project': return new ProjectionExec(n.exprs, buildExec(n.child));
    case 'aggregate': return new HashAggregateExec({ mode: n.mode, groupBy: n.groupBy, aggs: n.aggs }, buildExec(n.child));
    case 'hashJoin':
      return new HashJoinExec({ how: n.how, leftKeys: n.leftKeys, rightKeys: n.rightKeys, using: n.using, buildSide: n.buildSide,
        outputFields: n.outputFields, filter: n.filter ?? null, filterFields: n.filterFields, ...(n.adaptive ? { adaptive: true } : {}) }, buildExec(n.left), buildExec(n.right));
    case 'nestedLoopJoin':
      return new NestedLoopJoinExec({ how: n.how, filter: n.filter ?? null, filterFields: n.filterFields, buildSide: n.buildSide, outputFields: n.outputFields },
        buildExec(n.left), buildExec(n.right));
    case 'sort': return new SortExec({ keys: n.keys, fetch: n.fetch }, buildExec(n.child));
    case 'window': return new WindowExec({ partitionBy: n.partitionBy, orderBy: n.orderBy, exprs: n.exprs }, buildExec(n.child));
    case 'sample': return new SampleExec({ keys: n.keys, rows: n.rows }, buildExec(n.child));
    case 'rangePartition': return new RangePartitionExec({ keys: n.keys, partitions: n.partitions }, buildExec(n.child), buildExec(n.sample));
    case 'limit': return new LimitExec({ n: n.n, offset: n.offset }, buildExec(n.child));
    case 'randomSample': return new RandomSampleExec({ fraction: n.fraction, withReplacement: n.withReplacement, seed: n.seed }, buildExec(n.child));
    case 'generate': return new GenerateExec({ arg: n.arg, outer: n.outer, posName: n.posName, colName: n.colName, valueName: n.valueName }, buildExec(n.child));
    case 'union': return new UnionExec({ partitionCounts: n.partitionCounts }, n.children.map(buildExec));
    case 'mapBatches': return new MapBatchesExec({ udf: n.udf, fields: n.fields, options: n.options }, buildExec(n.child));
    case 'predict':
      return new PredictExec({ modelPath: n.spec.modelPath, modelName: n.spec.modelName, modelSha256: n.spec.modelSha256, modelJsonSha256: n.spec.modelJsonSha256, inputCol: n.spec.inputCol,
        device: n.device, backend: n.backend, reason: n.reason, labels: n.spec.labels, inputSize: n.spec.inputSize, onError: n.spec.onError, batchSize: n.spec.batchSize, topK: n.spec.topK,
        ...(n.spec.outputs?.length ? { outputs: n.spec.outputs } : {}), ...(n.spec.decode ? { decode: n.spec.decode } : {}), fields: n.fields }, buildExec(n.child));
    case 'shuffleRead': return new ShuffleReadExec({ shuffleId: n.shuffleId, fields: n.fields, ...(n.whole ? { whole: true } : {}) });
    case 'broadcast': return new BroadcastExec({ id: n.id, fields: n.fields });
    case 'cacheRead': return new CacheReadExec({ cacheId: n.cacheId, shuffleId: n.shuffleId, fields: n.fields });
    case 'write':
      return new WriteFilesExec({ format: n.format, path: n.path, jobToken: n.jobToken, partitionBy: n.partitionBy, options: n.options,
        maxRowsPerFile: n.maxRowsPerFile }, buildExec(n.child));
    default: return assertNever(n, 'physical node');
  }
}

const described = new WeakMap<PhysNode, ExecPlan>();

/**
 * `node`'s operator tree for its schema and its display only, never to execute: built once per
 * node object, so the planner's field derivation and the job's plan events share one build
 * (building compiles every expression: about 2 ms per TPC-H query). Cut nodes are never changed
 * afterwards (embedding a cached lineage clones it).
 */
export function describeExec(node: PhysNode): ExecPlan {
  let e = described.get(node);
  if (!e) {
    e = buildExec(node);
    described.set(node, e);
  }
  return e;
}
