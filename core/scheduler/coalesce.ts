// Coalescing shuffle partitions at run time: once a stage's inputs are written, adjacent small reduce partitions become one task's reads (Spark AQE's CoalesceShufflePartitions).
import { stageReads, walkPhys, type PhysicalPlan, type PhysNode, type Stage } from '../physical/phys-node.ts';
import type { MapOutput } from '../runtime/runtime.ts';

/** The least a coalesced task reads when the data would spread thinner over the slots (as Spark's minPartitionSize). */
export const MIN_COALESCED_BYTES = 1 << 20;

/**
 * Operators that a task reading several reduce partitions would change: leaves other than shuffle
 * and broadcast reads (their partition is the task's), a union (maps tasks onto its inputs), a
 * seeded sample (seeded by the task), a write (its files are the result).
 */
export const TASK_BOUND = new Set<PhysNode['op']>(['scan', 'values', 'cacheRead', 'union', 'randomSample', 'write']);

/**
 * Whether `stage` may run as fewer tasks than planned, each reading a range of adjacent reduce
 * partitions: it has several, it reads only shuffles (and broadcasts) partitioned as it is, none
 * of them a user's repartition(n), it runs no task-bound operator, and its output goes to
 * another stage (a result's partitions are the job's).
 */
export function coalescible(plan: PhysicalPlan, stage: Stage): boolean {
  if (stage.partitions <= 1 || stage.coalesced || (stage.output.kind !== 'shuffle' && stage.output.kind !== 'broadcast')) return false;
  let bound = false;
  // A whole read (an adaptive join's broadcast build side) is every task's, not a partition's.
  walkPhys(stage.root, (n) => { if (TASK_BOUND.has(n.op) || (n.op === 'shuffleRead' && n.whole)) bound = true; });
  if (bound) return false;
  const reads = stageReads(plan, stage, 'shuffleRead');
  return reads.length > 0 && reads.every((r) => {
    const out = plan.stages[r.stage].output;
    return out.kind === 'shuffle' && !out.fixed && out.partitions === stage.partitions;
  });
}

/**
 * Bytes of each reduce partition `stage` reads, summed over its shuffles' map outputs, or null
 * when one is not known (not written yet, lost, or from a launcher that does not report bytes).
 */
export function reduceBytes(plan: PhysicalPlan, stage: Stage, outputs: Map<number, (MapOutput | null)[]>): number[] | null {
  const sizes = new Array<number>(stage.partitions).fill(0);
  for (const r of stageReads(plan, stage, 'shuffleRead')) {
    for (const m of outputs.get(r.stage) ?? [null]) {
      if (!m?.bytes) return null;
      for (let p = 0; p < sizes.length; p++) sizes[p] += m.bytes[p] ?? 0;
    }
  }
  return sizes;
}

/**
 * Adjacent ranges [start, end) of reduce partitions of these sizes, one per task: as many as the
 * slots when each then reads at least MIN_COALESCED_BYTES, fewer when the data is smaller (one for
 * under a MiB), more where a task would read past `maxBytes`. Boundaries fall where the running
 * total is nearest an even share, so the tasks read about the same.
 */
export function coalesceRanges(sizes: readonly number[], slots: number, maxBytes: number): [number, number][] {
  const n = sizes.length;
  const total = sizes.reduce((s, x) => s + x, 0);
  const perSlot = total / Math.max(1, slots);
  const target = Math.min(maxBytes, Math.max(MIN_COALESCED_BYTES, perSlot));
  // At an even share per slot, one task per slot: dividing the total by that share again can round past it.
  const k = Math.min(n, Math.max(1, target === perSlot ? Math.max(1, slots) : Math.ceil(total / target)));
  const cum = [0];
  for (const x of sizes) cum.push(cum[cum.length - 1] + x);
  const ranges: [number, number][] = [];
  let start = 0;
  for (let j = 1; j < k; j++) {
    const want = (total * j) / k;
    let end = start + 1;
    // Every later range keeps at least one partition.
    while (end < n - (k - j) && Math.abs(cum[end + 1] - want) <= Math.abs(cum[end] - want)) end++;
    ranges.push([start, end]);
    start = end;
  }
  ranges.push([start, n]);
  return ranges;
}

/**
 * `stage` as this job runs it: with fewer tasks, each reading a range of reduce partitions
 * (Stage.coalesced), when it is coalescible and its inputs' sizes warrant it; else `stage` itself.
 */
export function coalesceStage(plan: PhysicalPlan, stage: Stage, outputs: Map<number, (MapOutput | null)[]>, slots: number, maxBytes: number): Stage {
  if (maxBytes <= 0 || !coalescible(plan, stage)) return stage;
  const sizes = reduceBytes(plan, stage, outputs);
  if (!sizes) return stage;
  const ranges = coalesceRanges(sizes, slots, maxBytes);
  return ranges.length < stage.partitions ? { ...stage, partitions: ranges.length, coalesced: ranges } : stage;
}
