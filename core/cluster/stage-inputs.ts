// What one task of a stage needs from the cluster: its map-output locations, in-memory tables, and the file it reads (for locality).
import { InternalError } from '../../ops/errors.ts';
import { physChildren, type PhysNode, type PhysicalPlan, type Stage } from '../physical/phys-node.ts';
import type { Block } from '../runtime/ipc.ts';
import { resourcesFor } from '../runtime/local-runtime.ts';

/** Where a finished map (or broadcast) task's output lies, and its rows per reduce partition. */
export interface MapStatus {
  executor: string;
  attempt: number;
  rows: number[];
}

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

/** Whether every output `stage` reads (its parents') is known now: tasks launch only then. */
export function parentsReady(stage: Stage, outputs: Map<number, (MapStatus | null)[]>): boolean {
  return stage.parents.every((p) => (outputs.get(p) ?? []).every((m) => m !== null));
}

/** The stage that writes shuffle `id` / broadcast `id`. */
function producer(plan: PhysicalPlan, kind: 'shuffle' | 'broadcast', id: number): Stage {
  const s = plan.stages.find((st) => (kind === 'shuffle' ? st.output.kind === 'shuffle' && st.output.shuffleId === id : st.output.kind === 'broadcast' && st.output.id === id));
  if (!s) throw new Error(`no stage writes ${kind} ${id}`);
  return s;
}

export interface TaskInputs {
  shuffle: Record<string, { stage: number; from: Locations }>;
  broadcast: Record<string, { stage: number; from: Locations }>;
  resources: string[];
}

/** The inputs task `partition` of `stage` reads, from the map outputs known now. */
export function taskInputs(plan: PhysicalPlan, stage: Stage, partition: number, outputs: Map<number, (MapStatus | null)[]>, resources: Record<string, Block>): TaskInputs {
  const out: TaskInputs = { shuffle: {}, broadcast: {}, resources: Object.keys(resourcesFor(stage, partition, resources)) };
  const visit = (n: PhysNode): void => {
    if (n.op === 'shuffleRead') {
      const p = producer(plan, 'shuffle', n.shuffleId);
      out.shuffle[n.shuffleId] = { stage: p.id, from: locate(outputs.get(p.id) ?? [], p.id, partition) };
    } else if (n.op === 'broadcast') {
      const p = producer(plan, 'broadcast', n.id);
      out.broadcast[n.id] = { stage: p.id, from: locate(outputs.get(p.id) ?? [], p.id, 0) };
    }
    for (const c of physChildren(n)) visit(c);
  };
  visit(stage.root);
  return out;
}


