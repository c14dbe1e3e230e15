// Physical planner: cuts an optimized logical plan into stages at shuffle/broadcast boundaries.
import { udfRefsIn } from '../../ops/udf-registry.ts';
import { assertNever, InternalError, PlanError } from '../../ops/errors.ts';
import { columnsOf, exprName, type ExprNode } from '../../ops/expr/node.ts';
import { fromArrowSchema, type FieldJSON } from '../../ops/types.ts';
import { physicalScanOptions, prunePartitions, type ScanFilters } from '../../ops/sources/index.ts';
import { shuffledBuildSide } from '../optimizer/build-side.ts';
import { estimateStats } from '../optimizer/stats.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { Join } from '../plan/join.ts';
import { joinPairFields } from '../plan/schema.ts';
import type { PredictSpec } from '../plan/predict.ts';
import type { SourceSpec } from '../plan/scan.ts';
import { describeExec } from './build-exec.ts';
import { physChildren, walkPhys, type PhysNode, type PhysicalPlan, type SplitJSON, type Stage, type StageOutput, type WriteSpec } from './phys-node.ts';

/** How a stage's output is shuffled: by `keys` (none: round robin) into `partitions`; see StageOutput 'shuffle'. */
type ShuffleCut = { keys: ExprNode[]; partitions: number; range?: true; fixed?: true };

export interface PhysicalPlannerOptions {
  /** Partitions after a hash shuffle (aggregate, shuffled join). */
  shufflePartitions: number;
  /** Files larger than this are split into byte ranges across tasks. */
  targetSplitBytes: number;
  /**
   * A sort gets enough range partitions that each holds about this many bytes (the input's
   * estimated size in memory), so each partition sorts in memory instead of spilling runs and
   * merging them: a partition's sort spills past half of memoryBudget. Unset: as many range
   * partitions as input partitions.
   */
  sortPartitionBytes?: number;
  /** An orderBy whose input is estimated at most this many bytes sorts in one task: no sample, no range shuffle (default 0: never). */
  singleTaskSortBytes?: number;
  /** Splits a scan into tasks (driver side; reads file sizes). */
  /** `scan`: the scan's filters, so splits leave out Parquet row groups they rule out. */
  planSplits(source: SourceSpec, targetSplitBytes: number, scan?: ScanFilters): Promise<SplitJSON[]>;
  /** Chooses the device of a predict stage ('auto' calibrates; see ops/predict/placement.ts). */
  placePredict(spec: PredictSpec): Promise<{ device: 'cpu' | 'gpu'; backend: 'wasm' | 'onnxruntime' | 'webgpu'; reason: string }>;
  /** A write job: the result stage's root becomes a write node, so each task writes its own rows (df.write). */
  write?: WriteSpec;
  /**
   * The stages of each cached DataFrame as first planned (its lineage, ending with its cache
   * stage), by cache id: later jobs reuse them, so they read (or recompute) the same partitions,
   * and never plan the input again (its files may be gone; their splits are not read again).
   */
  cachedStages?: Map<string, Stage[]>;
}

interface Planned {
  node: PhysNode;
  partitions: number;
}

const col = (name: string): ExprNode => ({ kind: 'column', name });

/** Output fields of a physical subtree (built through the operators themselves, so they agree). */
export function physFields(node: PhysNode): FieldJSON[] {
  return fromArrowSchema(describeExec(node).schema);
}

class StageCutter {
  readonly stages: Stage[] = [];
  private nextShuffle = 0;
  private nextBroadcast = 0;
  private readonly producer = new Map<string, number>();
  /** Cached DataFrames this plan reads, by cache id. */
  private readonly cacheReads = new Map<string, Planned>();
  /** Stages already cut, by what they compute and how they are cut: the read of each. */
  private readonly reused = new Map<string, Planned>();

  constructor(readonly opts: PhysicalPlannerOptions) {}

  /**
   * Ends the stage rooted at `p` with the given output and returns the leaf that reads it. A
   * range shuffle's root is a rangePartition node: its last column (the partition) is not written.
   */
  cut(p: Planned, output: 'broadcast' | ShuffleCut): Planned {
    // The same subtree cut the same way twice (a table joined in two branches, a CTE or view
    // read twice, a scalar subquery over the query's own joins) is one stage whose output both
    // read, as Spark's ReuseExchange does: TPC-H Q11 scanned supplier and nation twice.
    const key = JSON.stringify([output, p.partitions, p.node]);
    const seen = this.reused.get(key);
    if (seen) return seen;
    const read = this.cutNew(p, output);
    this.reused.set(key, read);
    return read;
  }

  private cutNew(p: Planned, output: 'broadcast' | ShuffleCut): Planned {
    const rooted = physFields(p.node);
    const fields = output !== 'broadcast' && output.range ? rooted.slice(0, -1) : rooted;
    if (output === 'broadcast') {
      const id = this.nextBroadcast++;
      this.add(p, { kind: 'broadcast', id }, fields);
      this.producer.set(`b${id}`, this.stages.length - 1);
      return { node: { op: 'broadcast', id, fields }, partitions: -1 };
    }
    const shuffleId = this.nextShuffle++;
    this.add(p, { kind: 'shuffle', shuffleId, keys: output.keys, partitions: output.partitions, ...(output.range ? { range: true as const } : {}), ...(output.fixed ? { fixed: true as const } : {}) }, fields);
    this.producer.set(`s${shuffleId}`, this.stages.length - 1);
    return { node: { op: 'shuffleRead', shuffleId, fields }, partitions: output.partitions };
  }

  /** Ends the stage rooted at `p` as cache `cacheId`'s partitions (see StageOutput 'cache'). */
  cutCache(p: Planned, cacheId: string): Planned {
    const fields = physFields(p.node);
    const shuffleId = this.nextShuffle++;
    this.add(p, { kind: 'cache', cacheId, shuffleId, partitions: p.partitions }, fields);
    this.producer.set(`s${shuffleId}`, this.stages.length - 1);
    return { node: { op: 'cacheRead', cacheId, shuffleId, fields }, partitions: p.partitions };
  }

  /**
   * Appends a cached DataFrame's stages (its lineage, planned on their own from ids 0) with
   * their stage, shuffle and broadcast ids moved past this plan's; returns the read of its cache.
   * A DataFrame cached twice in one plan (a self-join) is one stage.
   */
  embedCache(cacheId: string, lineage: readonly Stage[]): Planned {
    const known = this.cacheReads.get(cacheId);
    if (known) return known;
    const stageBase = this.stages.length, shuffleBase = this.nextShuffle, broadcastBase = this.nextBroadcast;
    let read: Planned | null = null;
    for (const s of lineage) {
      const st = structuredClone(s) as Stage;
      st.id += stageBase;
      st.parents = st.parents.map((x) => x + stageBase);
      walkPhys(st.root, (n) => {
        if (n.op === 'shuffleRead' || n.op === 'cacheRead') n.shuffleId += shuffleBase;
        else if (n.op === 'broadcast') n.id += broadcastBase;
      });
      const o = st.output;
      if (o.kind === 'shuffle' || o.kind === 'cache') {
        o.shuffleId += shuffleBase;
        this.nextShuffle = Math.max(this.nextShuffle, o.shuffleId + 1);
        this.producer.set(`s${o.shuffleId}`, st.id);
      } else if (o.kind === 'broadcast') {
        o.id += broadcastBase;
        this.nextBroadcast = Math.max(this.nextBroadcast, o.id + 1);
        this.producer.set(`b${o.id}`, st.id);
      }
      this.stages.push(st);
      if (o.kind === 'cache') read = { node: { op: 'cacheRead', cacheId: o.cacheId, shuffleId: o.shuffleId, fields: st.fields }, partitions: o.partitions };
    }
    if (!read) throw new InternalError(`invariant violated: the stages of cache ${cacheId} end in no cache stage`);
    this.cacheReads.set(cacheId, read);
    return read;
  }

  finish(p: Planned): PhysicalPlan {
    const w = this.opts.write;
    if (w) p = { node: { op: 'write', ...w, partitionBy: [...w.partitionBy], options: { ...w.options }, child: p.node }, partitions: p.partitions };
    this.add(p, { kind: 'result' }, physFields(p.node));
    return { stages: this.stages, resultStage: this.stages.length - 1 };
  }

  private add(p: Planned, output: StageOutput, fields: FieldJSON[]): void {
    const parents: number[] = [];
    const walk = (n: PhysNode): void => {
      if (n.op === 'shuffleRead' || n.op === 'cacheRead') parents.push(this.producer.get(`s${n.shuffleId}`)!);
      else if (n.op === 'broadcast') parents.push(this.producer.get(`b${n.id}`)!);
      for (const c of physChildren(n)) walk(c);
    };
    walk(p.node);
    this.stages.push({ id: this.stages.length, root: p.node, partitions: p.partitions, output, parents, fields });
  }
}

/** Compiles an optimized logical plan into stages. */
export async function createPhysicalPlan(plan: LogicalPlan, opts: PhysicalPlannerOptions): Promise<PhysicalPlan> {
  const cutter = new StageCutter(opts);
  const root = await planNode(plan, cutter);
  return cutter.finish(root);
}

/** Gathers all partitions into one (a shuffle with no keys into a single partition). */
function gather(p: Planned, cutter: StageCutter): Planned {
  if (p.partitions === 1) return p;
  return cutter.cut(p, { keys: [], partitions: 1 });
}

async function planNode(plan: LogicalPlan, cutter: StageCutter): Promise<Planned> {
  const o = cutter.opts;
  switch (plan.kind) {
    case 'scan': {
      // A partitioned source reads only the directories its filters can match.
      const source = prunePartitions(plan.source, plan.filters) as SourceSpec;
      let prunedRowGroups = 0;
      const splits = await o.planSplits(source, o.targetSplitBytes, { filters: plan.filters, fileSchema: plan.fileSchema, onPruned: (n) => { prunedRowGroups += n; } });
      const options = physicalScanOptions(source.options);
      if (prunedRowGroups > 0) options.prunedRowGroups = prunedRowGroups;
      return {
        node: { op: 'scan', format: plan.source.format, splits, options, fileSchema: [...plan.fileSchema],
          projection: plan.projection ? [...plan.projection] : null, filters: [...plan.filters], limit: plan.limit },
        partitions: splits.length,
      };
    }
    case 'values':
      return { node: { op: 'values', id: plan.id, partitions: plan.partitions, fields: [...plan.schema] }, partitions: plan.partitions };
    case 'filter': {
      const c = await planNode(plan.input, cutter);
      return { node: { op: 'filter', predicate: plan.predicate, child: c.node }, partitions: c.partitions };
    }
    case 'project': {
      const c = await planNode(plan.input, cutter);
      return { node: { op: 'project', exprs: [...plan.exprs], child: c.node }, partitions: c.partitions };
    }
    case 'mapBatches': {
      const c = await planNode(plan.input, cutter);
      return { node: { op: 'mapBatches', udf: plan.udf, fields: [...plan.schema], options: { ...plan.options }, child: c.node }, partitions: c.partitions };
    }
    case 'predict': {
      const c = await planNode(plan.input, cutter);
      const where = await cutter.opts.placePredict(plan.spec);
      return { node: { op: 'predict', spec: plan.spec, device: where.device, backend: where.backend, reason: where.reason, fields: [...plan.schema], child: c.node }, partitions: c.partitions };
    }
    case 'aggregate':
      return planAggregate(await planNode(plan.input, cutter), [...plan.groupBy], [...plan.aggs], cutter);
    case 'distinct': {
      const c = await planNode(plan.input, cutter);
      return planAggregate(c, plan.schema.map((f) => col(f.name)), [], cutter);
    }
    case 'join': return planJoin(plan, cutter);
    // Qualifiers only matter to name resolution, which is done: operators see names.
    case 'subqueryAlias': return planNode(plan.input, cutter);
    case 'sort': {
      const c = await planNode(plan.input, cutter);
      return planSort(c, [...plan.keys], cutter, sortPartitions(plan.input, c.partitions, o.sortPartitionBytes, o.singleTaskSortBytes));
    }
    case 'window': {
      // Whole window partitions in one task (hash by the keys; no keys: one task), sorted by keys then order.
      const c = await planNode(plan.input, cutter);
      const partitionBy = [...plan.partitionBy];
      // A Window right under one with the same keys finds its rows already partitioned by them.
      const placed = partitionBy.length > 0 && c.node.op === 'window' && JSON.stringify(c.node.partitionBy) === JSON.stringify(partitionBy);
      const s = placed ? c : partitionBy.length ? cutter.cut(c, { keys: partitionBy, partitions: o.shufflePartitions }) : gather(c, cutter);
      const keys: ExprNode[] = [...partitionBy.map((k): ExprNode => ({ kind: 'sort', arg: k, ascending: true, nullsFirst: true })), ...plan.orderBy];
      // WindowExec keeps its input's order: rows sorted for the Window below by keys that start
      // with these are sorted for this one too.
      const below = placed && s.node.op === 'window' && s.node.child.op === 'sort' ? s.node.child.keys : [];
      const presorted = keys.length <= below.length && keys.every((k, i) => JSON.stringify(k) === JSON.stringify(below[i]));
      const sorted: PhysNode = keys.length && !presorted ? { op: 'sort', keys, fetch: null, child: s.node } : s.node;
      return { node: { op: 'window', partitionBy, orderBy: [...plan.orderBy], exprs: [...plan.exprs], child: sorted }, partitions: s.partitions };
    }
    case 'limit': {
      const keep = plan.n + plan.offset;
      if (plan.input.kind === 'sort') {
        // orderBy + limit -> top-k: each partition keeps its best n+offset rows, then one merge.
        const c = await planNode(plan.input.input, cutter);
        const keys = [...plan.input.keys];
        const local: Planned = c.partitions === 1 ? c : { node: { op: 'sort', keys, fetch: keep, child: c.node }, partitions: c.partitions };
        const g = gather(local, cutter);
        const top: PhysNode = { op: 'sort', keys, fetch: keep, child: g.node };
        return { node: { op: 'limit', n: plan.n, offset: plan.offset, child: top }, partitions: 1 };
      }
      const c = await planNode(plan.input, cutter);
      const local: Planned = c.partitions === 1 ? c : { node: { op: 'limit', n: keep, offset: 0, child: c.node }, partitions: c.partitions };
      const g = gather(local, cutter);
      return { node: { op: 'limit', n: plan.n, offset: plan.offset, child: g.node }, partitions: 1 };
    }
    case 'union': {
      const kids: Planned[] = [];
      for (const i of plan.inputs) kids.push(await planNode(i, cutter));
      return {
        node: { op: 'union', partitionCounts: kids.map((k) => k.partitions), children: kids.map((k) => k.node) },
        partitions: kids.reduce((s, k) => s + k.partitions, 0),
      };
    }
    case 'repartition': {
      const c = await planNode(plan.input, cutter);
      return cutter.cut(c, { keys: [...plan.keys], partitions: plan.n, fixed: true });
    }
    case 'cache': {
      // Planned once per session (its own stages, ids from 0), then embedded in each job's plan.
      let lineage = o.cachedStages?.get(plan.id);
      if (!lineage) {
        const own = new StageCutter({ ...o, write: undefined });
        own.cutCache(await planNode(plan.input, own), plan.id);
        lineage = own.stages;
        o.cachedStages?.set(plan.id, lineage);
      }
      return cutter.embedCache(plan.id, lineage);
    }
    case 'sample': {
      const c = await planNode(plan.input, cutter);
      return { node: { op: 'randomSample', fraction: plan.fraction, withReplacement: plan.withReplacement, seed: plan.seed, child: c.node }, partitions: c.partitions };
    }
    case 'generate': {
      const c = await planNode(plan.input, cutter);
      return { node: { op: 'generate', arg: plan.arg, outer: plan.outer, posName: plan.posName, colName: plan.colName, valueName: plan.valueName, child: c.node }, partitions: c.partitions };
    }
    // A watermark only matters to a streaming aggregate (core/stream); in a batch job rows pass through, as in Spark.
    case 'watermark': return planNode(plan.input, cutter);
    case 'streamScan':
      throw new PlanError(`a streaming DataFrame (read with q.readStream.${plan.source.format}) runs only as a streaming query: use df.writeStream...start(), or foreachBatch to run batch actions on each micro-batch`);
    default: return assertNever(plan, 'logical plan node');
  }
}

/** Key samples for range bounds (Spark's RangePartitioner): 20 per output partition, at most a million, drawn 3x over. */
const SAMPLE_PER_PARTITION = 20;
const MAX_SAMPLE = 1_000_000;
const OVERSAMPLE = 3;

/** Range partitions of a sort never exceed this (each is a task and an output file)... */
const MAX_SORT_PARTITIONS = 1024;
/** ...nor hold less than this, whatever the budget: under it, tasks cost more than spilling. */
const MIN_SORT_PARTITION_BYTES = 16 * 2 ** 20;

/**
 * The range partitions of a sort of `input` (planned as `partitions`): one when the estimate is
 * at most `single` bytes (the ORDER BY over an aggregate's few groups that ends most analytic
 * queries: TPC-H Q22 sorted 7 rows through a sample stage and a range shuffle), more where it
 * would spill (see sortPartitionBytes).
 */
function sortPartitions(input: LogicalPlan, partitions: number, perPartition: number | undefined, single = 0): number {
  const bytes = perPartition || single ? estimateStats(input).bytes : null;
  if (single > 0 && bytes !== null && bytes <= single) return 1;
  if (bytes === null || !perPartition) return partitions;
  return Math.max(partitions, Math.min(MAX_SORT_PARTITIONS, Math.ceil(bytes / Math.max(perPartition, MIN_SORT_PARTITION_BYTES))));
}

/**
 * orderBy over several partitions: sample the keys (a broadcast stage), range-partition by
 * bounds drawn from the sample (every map task draws the same ones), sort each range
 * partition on its own (spilling). Partition p's rows all sort before partition p+1's, so
 * the result's partitions in order are the total order. The child runs twice, once to sample
 * (unless costly, see below).
 */
function planSort(input: Planned, keys: ExprNode[], cutter: StageCutter, partitions = input.partitions): Planned {
  if (partitions <= 1) {
    const g = gather(input, cutter);
    return { node: { op: 'sort', keys, fetch: null, child: g.node }, partitions: 1 };
  }
  // Model inference and user code are too costly (or too side-effecting) to run twice: their
  // output is kept (a round-robin shuffle) and read by both the sample and the range shuffle.
  let costly = false;
  walkPhys(input.node, (x) => { costly ||= x.op === 'predict' || x.op === 'mapBatches'; });
  costly ||= udfRefsIn(input.node).length > 0;
  const c = costly ? cutter.cut(input, { keys: [], partitions: input.partitions }) : input;
  const n = partitions;
  const rows = Math.ceil((OVERSAMPLE * Math.min(SAMPLE_PER_PARTITION * n, MAX_SAMPLE)) / c.partitions);
  const sample = cutter.cut({ node: { op: 'sample', keys, rows, child: keyColumnsOnly(c.node, keys) }, partitions: c.partitions }, 'broadcast');
  const ranged = cutter.cut({ node: { op: 'rangePartition', keys, partitions: n, sample: sample.node, child: c.node }, partitions: c.partitions }, { keys, partitions: n, range: true });
  return { node: { op: 'sort', keys, fetch: null, child: ranged.node }, partitions: n };
}

/**
 * The sample needs only the sort keys: a scan under it reads just their columns (a Parquet
 * scan then decodes a fraction of the file). Other children are left as they are.
 */
function keyColumnsOnly(node: PhysNode, keys: ExprNode[]): PhysNode {
  if (node.op !== 'scan') return node;
  const used = new Set<string>();
  for (const k of keys) columnsOf(k, used);
  const have = node.projection ?? node.fileSchema.map((f) => f.name);
  if (used.size === 0 || ![...used].every((c) => have.includes(c))) return node;
  return { ...node, projection: have.filter((c) => used.has(c)) };
}

function planAggregate(c: Planned, groupBy: ExprNode[], aggs: ExprNode[], cutter: StageCutter): Planned {
  const n = groupBy.length ? cutter.opts.shufflePartitions : 1;
  const hasDistinct = aggs.some((a) => (a.kind === 'alias' ? a.arg : a).kind === 'agg' && ((a.kind === 'alias' ? a.arg : a) as any).fn === 'countDistinct');
  if (c.partitions === 1 && n === 1) {
    return { node: { op: 'aggregate', mode: 'single', groupBy, aggs, child: c.node }, partitions: 1 };
  }
  if (hasDistinct) {
    // Distinct counts do not merge from partial states: shuffle raw rows by the group keys.
    const s = cutter.cut(c, { keys: groupBy, partitions: n });
    return { node: { op: 'aggregate', mode: 'single', groupBy, aggs, child: s.node }, partitions: n };
  }
  const partial: Planned = { node: { op: 'aggregate', mode: 'partial', groupBy, aggs, child: c.node }, partitions: c.partitions };
  const s = cutter.cut(partial, { keys: groupBy.map((g) => col(exprName(g))), partitions: n });
  return { node: { op: 'aggregate', mode: 'final', groupBy, aggs, child: s.node }, partitions: n };
}

async function planJoin(plan: Join, cutter: StageCutter): Promise<Planned> {
  const left = await planNode(plan.left, cutter);
  const right = await planNode(plan.right, cutter);
  const cond = plan.filter ? { filter: plan.filter, filterFields: joinPairFields(plan.left.schema, plan.right.schema).map(physField) } : {};
  const outputFields = plan.schema.map(physField);
  const broadcast = plan.strategy === 'broadcast' && plan.how !== 'full';
  if (plan.leftKeys.length === 0) return planNestedLoop(plan, left, right, cutter, broadcast, outputFields);
  const base = { how: plan.how, leftKeys: [...plan.leftKeys], rightKeys: [...plan.rightKeys], using: plan.using, outputFields, ...cond };
  if (broadcast) {
    // Broadcast the side whose unmatched rows never need emitting.
    const buildSide = plan.how === 'right' ? 'left' : 'right';
    if (buildSide === 'right') {
      const b = cutter.cut(keysOnly(plan, right), 'broadcast');
      return { node: { op: 'hashJoin', ...base, buildSide, broadcast: true, left: left.node, right: b.node }, partitions: left.partitions };
    }
    const b = cutter.cut(left, 'broadcast');
    return { node: { op: 'hashJoin', ...base, buildSide, broadcast: true, left: b.node, right: right.node }, partitions: right.partitions };
  }
  const n = cutter.opts.shufflePartitions;
  const l = cutter.cut(left, { keys: [...plan.leftKeys], partitions: n });
  const r = cutter.cut(right, { keys: [...plan.rightKeys], partitions: n });
  if (l.partitions !== r.partitions) throw new InternalError('shuffled join sides have different partition counts');
  return { node: { op: 'hashJoin', ...base, buildSide: shuffledBuildSide(plan), broadcast: false, ...(plan.strategy === 'adaptive' ? { adaptive: true as const } : {}), left: l.node, right: r.node }, partitions: n };
}

/**
 * The build side of a broadcast semi or anti join without a residual condition needs only its
 * distinct keys: each of its tasks drops repeated keys (a partial aggregate grouping by the key
 * columns, which passes rows through when they do not repeat), so fewer rows are broadcast and
 * every probing task builds a smaller table. TPC-H Q22's NOT EXISTS broadcast 150,000 order
 * keys of about 10,000 customers. Keys other than plain columns keep the side as it is.
 */
function keysOnly(plan: Join, right: Planned): Planned {
  if ((plan.how !== 'semi' && plan.how !== 'anti') || plan.filter || !plan.rightKeys.every((k) => k.kind === 'column')) return right;
  return { node: { op: 'aggregate', mode: 'partial', groupBy: [...plan.rightKeys], aggs: [], child: right.node }, partitions: right.partitions };
}

/**
 * A join without keys. Broadcast: the side whose unmatched rows are never emitted is sent whole
 * to every partition of the other. Otherwise (full joins, or broadcast ruled out) both sides are
 * gathered into one partition: no partitioning by value can split a cartesian product.
 */
function planNestedLoop(plan: Join, left: Planned, right: Planned, cutter: StageCutter, broadcast: boolean, outputFields: FieldJSON[]): Planned {
  const filterFields = joinPairFields(plan.left.schema, plan.right.schema).map(physField);
  const base = { how: plan.how, outputFields, filterFields, ...(plan.filter ? { filter: plan.filter } : {}) };
  if (broadcast) {
    if (plan.how === 'right') {
      const b = cutter.cut(left, 'broadcast');
      return { node: { op: 'nestedLoopJoin', ...base, buildSide: 'left', broadcast: true, left: b.node, right: right.node }, partitions: right.partitions };
    }
    const b = cutter.cut(right, 'broadcast');
    return { node: { op: 'nestedLoopJoin', ...base, buildSide: 'right', broadcast: true, left: left.node, right: b.node }, partitions: left.partitions };
  }
  const l = gather(left, cutter);
  const r = gather(right, cutter);
  return { node: { op: 'nestedLoopJoin', ...base, buildSide: plan.how === 'right' ? 'left' : 'right', broadcast: false, left: l.node, right: r.node }, partitions: 1 };
}

/** A logical field as operators see it: no qualifier. */
function physField(f: FieldJSON): FieldJSON {
  return { name: f.name, type: f.type, nullable: f.nullable };
}
