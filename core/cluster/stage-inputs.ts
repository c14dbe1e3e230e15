// What one task of a stage needs from the cluster: its map-output locations, in-memory tables, and the file it reads (for locality).
import { InternalError } from '../../ops/errors.ts';
import { resourcesFor, stageReads, taskShuffleReads, type PhysicalPlan, type Stage } from '../physical/phys-node.ts';
import type { Block } from '../runtime/ipc.ts';
import type { MapOutput } from '../runtime/runtime.ts';

/** Where a finished map (or broadcast) task's output lies, and its rows per reduce partition. */
export type MapStatus = MapOutput;

type Locations = Record<string, [number, number][]>;

/**
 * Locations of reduce partition `reduce` in `outputs`, grouped by executor; empty outputs are
 * left out. Every map output must be known: a task launched without one would read too little.
 */
function locate(outputs: (MapStatus | null)[], stage: number, reduce: number): Locations {
  const from: Locations = {};
  outputs.forEach((m, map) => {
    if (!m) throw new InternalError(`the output of stage ${stage} task ${map} is not known (lost, not yet recomputed); a task reading it must wait for it`);
    if ((m.rows[reduce] ?? 0) > 0) (from[m.executor] ??= []).push([map, m.attempt]);
  });
  return from;
}

/** One reduce partition a task reads of a shuffle: the map outputs holding rows of it, by executor. */
export interface ReducePart { reduce: number; from: Locations }

export interface TaskInputs {
  /**
   * Each read's map outputs at the reduce partitions it reads, in order: the task's own (except
   * under a union), or the range the scheduler coalesced into it.
   */
  shuffle: Record<string, { stage: number; parts: ReducePart[]; cache?: string }>;
  broadcast: Record<string, { stage: number; from: Locations }>;
  resources: string[];
}

/** The inputs task `partition` of `stage` reads, from the map outputs known now. */
export function taskInputs(plan: PhysicalPlan, stage: Stage, partition: number, outputs: Map<number, (MapStatus | null)[]>, resources: Record<string, Block>): TaskInputs {
  const out: TaskInputs = { shuffle: {}, broadcast: {}, resources: Object.keys(resourcesFor(stage, partition, resources)) };
  for (const { id, stage: from, cacheId, reduces } of taskShuffleReads(plan, stage, partition)) {
    const parts = reduces.map((reduce) => ({ reduce, from: locate(outputs.get(from) ?? [], from, reduce) }));
    out.shuffle[id] = { stage: from, parts, ...(cacheId !== undefined ? { cache: cacheId } : {}) };
  }
  for (const { id, stage: from } of stageReads(plan, stage, 'broadcast')) out.broadcast[id] = { stage: from, from: locate(outputs.get(from) ?? [], from, 0) };
  return out;
}


