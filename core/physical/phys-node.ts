// Physical plan as JSON: the operator tree of one stage, shipped to workers and rebuilt there.
import { assertNever, InternalError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { JoinType } from '../plan/join.ts';
import type { SourceFormat } from '../plan/scan.ts';
import type { UdfRef } from '../plan/map-batches.ts';
import type { PredictSpec } from '../plan/predict.ts';

/** A byte range (or whole file) one scan task reads. */
export interface SplitJSON {
  path: string;
  start: number;
  end: number;
  [k: string]: unknown;
}

export type PhysNode =
  | { op: 'scan'; format: SourceFormat; splits: SplitJSON[]; options: Record<string, unknown>; fileSchema: FieldJSON[];
      projection: string[] | null; filters: ExprNode[]; limit: number | null }
  | { op: 'values'; id: string; partitions: number; fields: FieldJSON[] }
  | { op: 'filter'; predicate: ExprNode; child: PhysNode }
  | { op: 'project'; exprs: ExprNode[]; child: PhysNode }
  | { op: 'aggregate'; mode: 'partial' | 'final' | 'single'; groupBy: ExprNode[]; aggs: ExprNode[]; child: PhysNode }
  /**
   * `filter` (optional): a residual condition over `filterFields` (left input's fields, then
   * right's). `adaptive`: a shuffled join over two shuffle reads that the scheduler may run as a
   * broadcast join once its build side's shuffle is written and found small, or whose probe side
   * it may filter by the build side's keys before that side's shuffle (adaptive-join.ts).
   */
  | { op: 'hashJoin'; how: JoinType; leftKeys: ExprNode[]; rightKeys: ExprNode[]; using: boolean; buildSide: 'left' | 'right';
      broadcast: boolean; outputFields: FieldJSON[]; filter?: ExprNode; filterFields?: FieldJSON[]; adaptive?: true; left: PhysNode; right: PhysNode }
  /** A join without keys: `filter` (none: every pair) over `filterFields`, as for hashJoin. */
  | { op: 'nestedLoopJoin'; how: JoinType; buildSide: 'left' | 'right'; broadcast: boolean; outputFields: FieldJSON[]; filter?: ExprNode;
      filterFields: FieldJSON[]; left: PhysNode; right: PhysNode }
  | { op: 'sort'; keys: ExprNode[]; fetch: number | null; child: PhysNode }
  /** Window expressions (each `alias(over(...))`) over a child sorted by partitionBy then orderBy, whole window partitions in one task. */
  | { op: 'window'; partitionBy: ExprNode[]; orderBy: ExprNode[]; exprs: ExprNode[]; child: PhysNode }
  /** Each partition's sort-key values, a weighted reservoir of at most `rows` (feeds a range shuffle's bounds). */
  | { op: 'sample'; keys: ExprNode[]; rows: number; child: PhysNode }
  /** Appends each row's range partition, by bounds drawn from `sample` (a broadcast of `sample` nodes' output). */
  | { op: 'rangePartition'; keys: ExprNode[]; partitions: number; sample: PhysNode; child: PhysNode }
  | { op: 'limit'; n: number; offset: number; child: PhysNode }
  /** df.sample: per partition, rows drawn from a generator seeded by (seed, partition). */
  | { op: 'randomSample'; fraction: number; withReplacement: boolean; seed: number; child: PhysNode }
  /** explode / posexplode of the list or map `arg`: the child's columns, then [posName], colName and (a map's) valueName. */
  | { op: 'generate'; arg: ExprNode; outer: boolean; posName: string | null; colName: string; valueName: string | null; child: PhysNode }
  | { op: 'union'; partitionCounts: number[]; children: PhysNode[] }
  | { op: 'mapBatches'; udf: UdfRef; fields: FieldJSON[]; options: Record<string, unknown>; child: PhysNode }
  | { op: 'predict'; spec: PredictSpec; device: 'cpu' | 'gpu'; backend: 'wasm' | 'onnxruntime' | 'webgpu'; reason: string; fields: FieldJSON[]; child: PhysNode }
  /** `whole`: every task reads every reduce partition (a shuffle's output read as a broadcast; set only at run time, see adaptive-join.ts). */
  | { op: 'shuffleRead'; shuffleId: number; fields: FieldJSON[]; whole?: true }
  | { op: 'broadcast'; id: number; fields: FieldJSON[] }
  /**
   * Partition p of a cached DataFrame: the block a cache stage (output `cache`, same shuffleId)
   * kept for partition p. Read like a shuffle whose map task p wrote only reduce partition p.
   */
  | { op: 'cacheRead'; cacheId: string; shuffleId: number; fields: FieldJSON[] }
  /** The root of a write job's result stage: the child's rows go to part files; it yields one row per file (see WriteFilesExec). */
  | { op: 'write'; format: WriteFormat; path: string; jobToken: string; partitionBy: string[]; options: Record<string, unknown>;
      maxRowsPerFile: number | null; child: PhysNode };

/** Output formats of a write node. */
export type WriteFormat = 'arrow' | 'parquet' | 'csv' | 'json';

/** What a write job asks of the physical planner: every field of the write node but its child. */
export type WriteSpec = Omit<Extract<PhysNode, { op: 'write' }>, 'op' | 'child'>;

/** Where a stage's output goes. */
export type StageOutput =
  /**
   * Hash shuffle by `keys` (none: round robin). With `range`, a range shuffle: the stage's
   * root MUST be a rangePartition node, whose last column names each row's partition; the
   * writer routes rows by it and drops it, and `keys` (the sort keys) are only shown.
   */
  | { kind: 'shuffle'; shuffleId: number; keys: ExprNode[]; partitions: number; range?: true;
      /** The user asked for this many partitions (repartition(n)): the scheduler never coalesces them. */
      fixed?: true }
  | { kind: 'broadcast'; id: number }
  /**
   * A cached DataFrame's partitions (df.cache()): task p writes all its rows to block p of
   * `partitions` (the others empty), so a `cacheRead` of partition p reads exactly task p's
   * output through the shuffle machinery. Launchers MUST keep this output past the job (under
   * a key of `cacheId`, not of the job) until the session unpersists it.
   */
  | { kind: 'cache'; cacheId: string; shuffleId: number; partitions: number }
  | { kind: 'result' };

export interface Stage {
  id: number;
  root: PhysNode;
  /** Number of tasks (partitions of the stage's output before any shuffle). */
  partitions: number;
  /**
   * Set only at run time, by the scheduler's partition coalescing (core/scheduler/coalesce.ts):
   * task p reads reduce partitions coalesced[p][0] <= r < coalesced[p][1] of every shuffle the
   * stage reads, and `partitions` is its length. Never in a planned stage.
   */
  coalesced?: [number, number][];
  output: StageOutput;
  /** Stages whose output this stage reads (shuffle or broadcast). */
  parents: number[];
  /** Fields of the stage's output: those of `root`, less a range shuffle's partition column. */
  fields: FieldJSON[];
}

export interface PhysicalPlan {
  stages: Stage[];
  /** The stage whose output is the job's result. */
  resultStage: number;
}

/** The operators a node reads from, in order: the one place that knows each kind's children. */
export function physChildren(n: PhysNode): PhysNode[] {
  switch (n.op) {
    case 'scan': case 'values': case 'shuffleRead': case 'broadcast': case 'cacheRead': return [];
    case 'filter': case 'project': case 'aggregate': case 'sort': case 'window': case 'sample': case 'randomSample': case 'generate': case 'limit': case 'mapBatches': case 'predict': case 'write': return [n.child];
    case 'rangePartition': return [n.child, n.sample];
    case 'hashJoin': case 'nestedLoopJoin': return [n.left, n.right];
    case 'union': return n.children;
    default: return assertNever(n, 'physical node');
  }
}

/** `n` with its children replaced by `kids`, in physChildren's order. */
export function withPhysChildren(n: PhysNode, kids: PhysNode[]): PhysNode {
  switch (n.op) {
    case 'scan': case 'values': case 'shuffleRead': case 'broadcast': case 'cacheRead': return n;
    case 'filter': case 'project': case 'aggregate': case 'sort': case 'window': case 'sample': case 'randomSample': case 'generate': case 'limit': case 'mapBatches': case 'predict': case 'write': return { ...n, child: kids[0] };
    case 'rangePartition': return { ...n, child: kids[0], sample: kids[1] };
    case 'hashJoin': case 'nestedLoopJoin': return { ...n, left: kids[0], right: kids[1] };
    case 'union': return { ...n, children: kids };
    default: return assertNever(n, 'physical node');
  }
}

/** Calls `f` on `n` and every operator below it, parents first (through physChildren). */
export function walkPhys(n: PhysNode, f: (n: PhysNode) => void): void {
  f(n);
  for (const c of physChildren(n)) walkPhys(c, f);
}

/**
 * Calls `f` on every operator that task `partition` of a stage runs, parents first, with the
 * partition it runs at: partition p of a union is partition p - (partitions of the children
 * before it) of one child. The one walk that knows how tasks map onto a stage's inputs.
 */
export function walkPartition(root: PhysNode, partition: number, f: (n: PhysNode, p: number) => void): void {
  const visit = (n: PhysNode, p: number): void => {
    f(n, p);
    if (n.op === 'union') {
      let local = p;
      for (let i = 0; i < n.children.length; i++) {
        if (local < n.partitionCounts[i]) return visit(n.children[i], local);
        local -= n.partitionCounts[i];
      }
      return;
    }
    for (const c of physChildren(n)) visit(c, p);
  };
  visit(root, partition);
}

/** The file task `partition` of `stage` reads, when it reads one (through unions; the first scan of a join). */
export function scannedPath(stage: Stage, partition: number): string | null {
  let found: string | null = null;
  walkPartition(stage.root, partition, (n, p) => { if (found === null && n.op === 'scan') found = n.splits[p]?.path ?? null; });
  return found;
}

/** The in-memory partitions task `partition` reads: each values node at the partition it maps to, by resource key. */
export function resourcesFor<B>(stage: Stage, partition: number, resources: Record<string, B>): Record<string, B> {
  const out: Record<string, B> = {};
  walkPartition(stage.root, partition, (n, p) => {
    if (n.op !== 'values') return;
    const key = `${n.id}/${p}`;
    if (resources[key]) out[key] = resources[key];
  });
  return out;
}

/**
 * The shuffles (`shuffleRead`, and `cacheRead`: a cache stage's output is read as a shuffle) or
 * broadcasts a stage reads, each with the stage that writes it; `cacheId` marks a cache's.
 */
export function stageReads(plan: PhysicalPlan, stage: Stage, op: 'shuffleRead' | 'broadcast'): { id: number; stage: number; cacheId?: string }[] {
  const out: { id: number; stage: number; cacheId?: string }[] = [];
  walkPhys(stage.root, (n) => {
    if (n.op === 'cacheRead' && op === 'shuffleRead') {
      const from = plan.stages.find((st) => st.output.kind === 'cache' && st.output.shuffleId === n.shuffleId);
      if (!from) throw new InternalError(`invariant violated: no stage writes cache ${n.cacheId}`);
      out.push({ id: n.shuffleId, stage: from.id, cacheId: n.cacheId });
      return;
    }
    if (n.op !== op) return;
    const id = n.op === 'shuffleRead' ? n.shuffleId : n.op === 'broadcast' ? n.id : -1;
    const from = plan.stages.find((st) => (op === 'shuffleRead' ? st.output.kind === 'shuffle' && st.output.shuffleId === id : st.output.kind === 'broadcast' && st.output.id === id));
    if (!from) throw new InternalError(`invariant violated: no stage writes ${op === 'shuffleRead' ? 'shuffle' : 'broadcast'} ${id}`);
    out.push({ id, stage: from.id });
  });
  return out;
}

/**
 * The shuffles task `partition` of `stage` reads (stageReads' 'shuffleRead' ones), each with the
 * reduce partitions it reads: the partition its read runs at (walkPartition), which under a union
 * is not the task's own, or the range the scheduler coalesced into the task (`Stage.coalesced`).
 * Reads that task does not reach (other union inputs) are left out.
 */
export function taskShuffleReads(plan: PhysicalPlan, stage: Stage, partition: number): { id: number; stage: number; cacheId?: string; reduces: number[] }[] {
  const at = new Map<number, number>();
  const whole = new Set<number>();
  walkPartition(stage.root, partition, (n, p) => {
    if (n.op === 'shuffleRead' || n.op === 'cacheRead') at.set(n.shuffleId, p);
    if (n.op === 'shuffleRead' && n.whole) whole.add(n.shuffleId);
  });
  const range = stage.coalesced?.[partition];
  const span = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  const reduces = (r: { id: number; stage: number }, p: number): number[] => {
    if (whole.has(r.id)) {
      const out = plan.stages[r.stage].output;
      return span(0, out.kind === 'shuffle' ? out.partitions : 1);
    }
    return range ? span(range[0], range[1]) : [p];
  };
  return stageReads(plan, stage, 'shuffleRead').flatMap((r) => (at.has(r.id) ? [{ ...r, reduces: reduces(r, at.get(r.id)!) }] : []));
}

/** The model paths a stage's tasks load (predict): an executor runs them only if it may read each. */
export function stageModelPaths(stage: Stage): string[] {
  const out = new Set<string>();
  walkPhys(stage.root, (n) => { if (n.op === 'predict') out.add(n.spec.modelPath); });
  return [...out];
}
