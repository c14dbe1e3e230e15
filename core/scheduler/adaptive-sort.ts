// Adaptive sorts at run time: a distributed sort whose input turns out small once the shuffles under it are written sorts in one task, its key sample never taken.
import type { ExprNode } from '../../ops/expr/node.ts';
import { RANGE_PARTITION_COLUMN } from '../../ops/sort/range-partition-exec.ts';
import { walkPhys, type PhysicalPlan, type PhysNode, type Stage } from '../physical/phys-node.ts';
import type { MapOutput } from '../runtime/runtime.ts';
import { outputBytes } from './adaptive-join.ts';

/** A distributed sort's two stages before its sort stage. */
export interface AdaptiveSort {
  /** The stage sampling the sort keys (root `sample`, output a broadcast). */
  sample: number;
  /** The stage range-partitioning by bounds drawn from that sample (root `rangePartition`). */
  range: number;
}

/**
 * Operators that never output more rows than they read, so that a sort's input is at most what
 * the shuffles under it hold (a join, an explode or a broadcast read may give more).
 */
const NO_MORE_ROWS: ReadonlySet<PhysNode['op']> = new Set(['shuffleRead', 'project', 'filter', 'aggregate', 'limit', 'sort', 'window', 'union']);

/**
 * The distributed sorts of a plan whose input comes from shuffles alone through operators that
 * never add rows: the sample stage's broadcast is read by the range stage alone, and both stages
 * compute the same input (the sample's is its sort keys only).
 */
export function adaptiveSorts(plan: PhysicalPlan): AdaptiveSort[] {
  const out: AdaptiveSort[] = [];
  for (const range of plan.stages) {
    const root = range.root;
    if (root.op !== 'rangePartition' || root.sample.op !== 'broadcast' || range.output.kind !== 'shuffle' || !range.output.range) continue;
    const broadcastId = root.sample.id;
    const sample = plan.stages.find((s) => s.output.kind === 'broadcast' && s.output.id === broadcastId);
    if (!sample || sample.root.op !== 'sample') continue;
    let readers = 0;
    for (const s of plan.stages) walkPhys(s.root, (n) => { if (n.op === 'broadcast' && n.id === broadcastId) readers++; });
    let fromShuffles = true;
    walkPhys(root.child, (n) => { fromShuffles &&= NO_MORE_ROWS.has(n.op); });
    if (readers === 1 && fromShuffles && new Set(range.fields.map((f) => f.name)).size === range.fields.length) out.push({ sample: sample.id, range: range.id });
  }
  return out;
}

/**
 * The range stage sending every row to partition 0 (no bounds, no sample read), when the
 * shuffles its input is computed from hold at most `maxBytes` (their map outputs, written by its
 * parents): that partition's sort task then sorts it all, and the other partitions are empty, so
 * the result's partitions in order are still the total order. Null when bigger or not known.
 */
export function singlePartitionRangeStage(plan: PhysicalPlan, a: AdaptiveSort, parentOutputs: (stage: number) => readonly (MapOutput | null)[] | undefined, maxBytes: number): { stage: Stage; inputBytes: number } | null {
  const range = plan.stages[a.range];
  let inputBytes = 0;
  for (const p of range.parents) {
    if (p === a.sample) continue;
    const outs = parentOutputs(p);
    const bytes = outs ? outputBytes(outs) : null;
    if (bytes === null) return null;
    inputBytes += bytes;
  }
  if (inputBytes > maxBytes) return null;
  const root = range.root as Extract<PhysNode, { op: 'rangePartition' }>;
  const zero: ExprNode = { kind: 'alias', name: RANGE_PARTITION_COLUMN, arg: { kind: 'literal', value: 0, type: 'int32' } };
  const project: PhysNode = { op: 'project', exprs: [...range.fields.map((f): ExprNode => ({ kind: 'column', name: f.name })), zero], child: root.child };
  return { stage: { ...range, root: project, parents: range.parents.filter((p) => p !== a.sample) }, inputBytes };
}
