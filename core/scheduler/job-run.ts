// One job's state in the scheduler: its tasks, where its map outputs lie, its results and counters.
import type { PhysicalPlan, Stage } from '../physical/phys-node.ts';
import type { RuntimeEvent } from '../runtime/events.ts';
import type { Block } from '../runtime/ipc.ts';
import type { JobHandle, MapOutput, RunHooks } from '../runtime/runtime.ts';
import type { TaskState } from './task-state.ts';

/** Where a job's result partitions go: gathered into a table (collect) or handed on in order (toLocalIterator). */
export interface ResultSink {
  /** Resolves when result partition `partition` may start; bounded iteration holds later ones back. */
  admit?(partition: number): Promise<void>;
  /** A result partition's blocks, once per partition, in any order. Throwing fails the job. */
  accept(partition: number, blocks: Block[]): void;
}

export class JobRun<Out extends MapOutput = MapOutput> implements JobHandle<Out> {
  readonly outputs = new Map<number, (Out | null)[]>();
  /** Tasks by `stage/partition`: one TaskState per partition run (a recomputed one gets a new state). */
  readonly tasks = new Map<string, TaskState<Out>>();
  /** Runs of partitions in progress, by `stage/partition`: a second ask waits for the same run. */
  readonly inflight = new Map<string, Promise<void>>();
  /** Driver-measured run times of finished tasks, per stage (speculation's and timeouts' yardstick). */
  readonly durations = new Map<number, number[]>();
  readonly finished = new Map<number, number>();
  /** Rows of each stage's finished tasks so far (progress). */
  readonly stageRows = new Map<number, number>();
  failure: { error: unknown } | null = null;
  tasksLaunched = 0;
  failedAttempts = 0;
  readonly counters: Record<string, number> = {};
  readonly taskMs: number[];
  readonly stageMs: number[];
  readonly emit: (e: RuntimeEvent) => void;

  /** The plan as this job runs it: its own copy of the stage list, where a coalesced stage replaces the planned one (see coalesce.ts). */
  readonly plan: PhysicalPlan;

  constructor(readonly jobId: number, planned: PhysicalPlan, readonly resources: Record<string, Block>, readonly hooks: RunHooks, readonly sink: ResultSink) {
    const plan = { ...planned, stages: [...planned.stages] };
    this.plan = plan;
    this.taskMs = plan.stages.map(() => 0);
    this.stageMs = plan.stages.map(() => 0);
    for (const s of plan.stages) this.outputs.set(s.id, new Array(s.partitions).fill(null));
    this.emit = (e) => { hooks.onEvent?.(e); };
  }

  private failed!: () => void;
  /** Resolves when the job fails: whatever waits (a held-back result partition) stops waiting. */
  readonly whenFailed = new Promise<void>((r) => { this.failed = r; });

  /** Runs `stage` in place of the planned stage of its id (coalesced): before any of its tasks starts. */
  replaceStage(stage: Stage): void {
    this.plan.stages[stage.id] = stage;
    this.outputs.set(stage.id, new Array(stage.partitions).fill(null));
  }

  /** Fails the job (the first error wins): no attempt starts from now on. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.failed();
  }
}

/** Whether every output `stage` reads (its parents') is known now: tasks launch only then. */
export function parentsReady(stage: Stage, outputs: Map<number, (MapOutput | null)[]>): boolean {
  return stage.parents.every((p) => (outputs.get(p) ?? []).every((m) => m !== null));
}

/** A stage as the jobStart event shows it. */
export function describeStage(s: Stage): { id: number; partitions: number; parents: number[]; output: string } {
  const o = s.output;
  const output = o.kind === 'shuffle' ? `shuffle ${o.shuffleId} into ${o.partitions}` : o.kind === 'broadcast' ? `broadcast ${o.id}` : o.kind === 'cache' ? `cache ${o.cacheId}` : 'result';
  return { id: s.id, partitions: s.partitions, parents: s.parents, output };
}
