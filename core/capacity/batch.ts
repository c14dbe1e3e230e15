// What Quiver does with a batch job: its stages one after another behind barriers, each stage's tasks list-scheduled on the worker slots.
import { mulberry32 } from '../../ops/compute/random.ts';
import type { JobShapeFit, ShapeStage } from './fit.ts';
import { gammaSampler } from './gamma.ts';
import { serveFcfs } from './fcfs.ts';

export interface BatchConfig {
  /** Worker slots (executors × workers per executor). */
  slots: number;
  /**
   * CPU cores the slots share (default: one per slot): a stage then takes at least its tasks'
   * work divided by the cores (the cores shared evenly), the contention the fit did not see.
   */
  cores?: number;
  /** Tasks of the stages that read a shuffle with Quiver's default count (default: 2 per slot, as Quiver does). */
  shufflePartitions?: number;
  /** Input records of the job (default: as in the fitted runs). */
  records?: number;
  /** Sample paths averaged per stage (default 200) and their seed. */
  replications?: number;
  seed?: number;
}

export interface BatchStagePrediction { index: number; name: string; tasks: number; taskMs: number; makespanMs: number; gapMs: number; utilization: number }
export interface BatchPrediction { slots: number; records: number; jobMs: number; recordsPerSecond: number; stages: BatchStagePrediction[]; bottleneck: number }

/**
 * Tasks a stage has on `slots` workers: the fitted count, or where the runs showed Quiver's
 * default (2 per worker) `shufflePartitions` if given, else 2 per worker. More tasks each pay the
 * fixed per-task overhead: with a large overhead, more workers can be predicted slower.
 */
export function tasksOn(st: ShapeStage, slots: number, shufflePartitions?: number): number {
  return st.tasksScaleWithWorkers ? shufflePartitions ?? 2 * slots : st.tasks;
}

/**
 * The job's predicted wall time on `slots` workers. Each stage: its tasks (the input split as in
 * the runs) all ready at its start, served greedily by the first free slot, each task's time
 * drawn from the stage's gamma around overhead + ms/row · rows; the makespan averaged over
 * sample paths, plus the stage's measured gap (scheduling, shuffle hand-off). Stages run one after
 * another (a barrier per stage, as the DAG scheduler does); the job adds its measured gap. Slots
 * sharing fewer `cores` take at least the work over the cores; not modeled: contention for
 * memory bandwidth or the network, and independent stages running side by side.
 */
export function predictBatch(shape: JobShapeFit, cfg: BatchConfig): BatchPrediction {
  const records = cfg.records ?? shape.records;
  const reps = cfg.replications ?? 200;
  const stages = shape.stages.map((st): BatchStagePrediction => {
    // One stream per stage: configurations compared draw the same task times where they have the same tasks.
    const rng = mulberry32((cfg.seed ?? 7) + 7919 * st.index);
    const tasks = tasksOn(st, cfg.slots, cfg.shufflePartitions);
    const rows = (st.rowsPerRecord * records) / tasks;
    const mean = st.overheadMs + st.msPerRow * rows;
    const draw = gammaSampler({ mean, cv: st.cv }, rng);
    const zero = new Float64Array(tasks);
    let total = 0;
    for (let r = 0; r < reps; r++) {
      const svc = Float64Array.from({ length: tasks }, draw);
      const { end } = serveFcfs(zero, svc, cfg.slots);
      // Slots sharing fewer cores: no sooner than the stage's work spread over the cores (processor sharing, load balanced).
      const work = cfg.cores === undefined ? 0 : svc.reduce((a, b) => a + b, 0) / cfg.cores;
      total += Math.max(work, end.reduce((m, t) => Math.max(m, t), 0));
    }
    const makespanMs = total / reps;
    return { index: st.index, name: st.name, tasks, taskMs: mean, makespanMs, gapMs: st.gapMs, utilization: makespanMs > 0 ? (tasks * mean) / (cfg.slots * makespanMs) : 0 };
  });
  const jobMs = stages.reduce((s, x) => s + x.makespanMs + x.gapMs, 0) + shape.jobGapMs;
  let bottleneck = 0;
  stages.forEach((s, i) => { if (s.makespanMs + s.gapMs > stages[bottleneck].makespanMs + stages[bottleneck].gapMs) bottleneck = i; });
  return { slots: cfg.slots, records, jobMs, recordsPerSecond: records / (jobMs / 1000), stages, bottleneck };
}
