// Physical plan as JSON: the operator tree of one stage, shipped to workers and rebuilt there.
import { assertNever } from '../../ops/errors.ts';
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
  | { op: 'hashJoin'; how: JoinType; leftKeys: ExprNode[]; rightKeys: ExprNode[]; using: boolean; buildSide: 'left' | 'right';
      broadcast: boolean; outputFields: FieldJSON[]; left: PhysNode; right: PhysNode }
  | { op: 'sort'; keys: ExprNode[]; fetch: number | null; child: PhysNode }
  /** Each partition's sort-key values, a weighted reservoir of at most `rows` (feeds a range shuffle's bounds). */
  | { op: 'sample'; keys: ExprNode[]; rows: number; child: PhysNode }
  /** Appends each row's range partition, by bounds drawn from `sample` (a broadcast of `sample` nodes' output). */
  | { op: 'rangePartition'; keys: ExprNode[]; partitions: number; sample: PhysNode; child: PhysNode }
  | { op: 'limit'; n: number; offset: number; child: PhysNode }
  | { op: 'union'; partitionCounts: number[]; children: PhysNode[] }
  | { op: 'mapBatches'; udf: UdfRef; fields: FieldJSON[]; options: Record<string, unknown>; child: PhysNode }
  | { op: 'predict'; spec: PredictSpec; device: 'cpu' | 'gpu'; backend: 'wasm' | 'onnxruntime' | 'webgpu'; reason: string; fields: FieldJSON[]; child: PhysNode }
  | { op: 'shuffleRead'; shuffleId: number; fields: FieldJSON[] }
  | { op: 'broadcast'; id: number; fields: FieldJSON[] };

/** Where a stage's output goes. */
export type StageOutput =
  /**
   * Hash shuffle by `keys` (none: round robin). With `range`, a range shuffle: the stage's
   * root MUST be a rangePartition node, whose last column names each row's partition; the
   * writer routes rows by it and drops it, and `keys` (the sort keys) are only shown.
   */
  | { kind: 'shuffle'; shuffleId: number; keys: ExprNode[]; partitions: number; range?: true }
  | { kind: 'broadcast'; id: number }
  | { kind: 'result' };

export interface Stage {
  id: number;
  root: PhysNode;
  /** Number of tasks (partitions of the stage's output before any shuffle). */
  partitions: number;
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
    case 'scan': case 'values': case 'shuffleRead': case 'broadcast': return [];
    case 'filter': case 'project': case 'aggregate': case 'sort': case 'sample': case 'limit': case 'mapBatches': case 'predict': return [n.child];
    case 'rangePartition': return [n.child, n.sample];
    case 'hashJoin': return [n.left, n.right];
    case 'union': return n.children;
    default: return assertNever(n, 'physical node');
  }
}

/** Calls `f` on `n` and every operator below it, parents first (through physChildren). */
export function walkPhys(n: PhysNode, f: (n: PhysNode) => void): void {
  f(n);
  for (const c of physChildren(n)) walkPhys(c, f);
}

/** The file task `partition` of `stage` reads, when it reads one (through unions; the first scan of a join). */
export function scannedPath(stage: Stage, partition: number): string | null {
  const visit = (n: PhysNode, p: number): string | null => {
    if (n.op === 'scan') return n.splits[p]?.path ?? null;
    if (n.op === 'union') {
      // Partition p of a union is partition p - (partitions of the children before it) of one child.
      let local = p;
      for (let i = 0; i < n.children.length; i++) {
        if (local < n.partitionCounts[i]) return visit(n.children[i], local);
        local -= n.partitionCounts[i];
      }
      return null;
    }
    for (const c of physChildren(n)) {
      const f = visit(c, p);
      if (f !== null) return f;
    }
    return null;
  };
  return visit(stage.root, partition);
}

/** The model paths a stage's tasks load (predict): an executor runs them only if it may read each. */
export function stageModelPaths(stage: Stage): string[] {
  const out = new Set<string>();
  walkPhys(stage.root, (n) => { if (n.op === 'predict') out.add(n.spec.modelPath); });
  return [...out];
}
