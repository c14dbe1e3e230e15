// What a session needs from a runtime: the embedded one (worker threads here) or a cluster's (executors over NATS).
import type * as arrow from 'apache-arrow';
import type { PhysicalPlan } from '../physical/phys-node.ts';
import type { EventListener } from './events.ts';
import type { Block } from './ipc.ts';
import type { TaskConfig } from './task.ts';

/** A task finished: how far its stage is. */
export interface TaskProgress {
  jobId: number;
  stageId: number;
  stages: number;
  done: number;
  total: number;
  /** Rows the finished tasks of this stage produced so far. */
  rows: number;
}

export interface JobMetrics {
  jobId: number;
  stages: number;
  tasks: number;
  failedAttempts: number;
  durationMs: number;
  /** Wall time of each stage, from its first task's start to its last task's end. */
  stageMs: number[];
  /** Sum of task run times per stage (as measured inside the workers). */
  taskMs: number[];
  /** Messages sent to workers: fewer than tasks when tiny tasks travel in groups. */
  messages: number;
  counters: Record<string, number>;
}

export interface RunHooks {
  onMetrics?: (m: JobMetrics) => void;
  onProgress?: (p: TaskProgress) => void;
  onEvent?: EventListener;
}

export interface Runtime {
  /** Worker slots (in cluster mode: those of the executors alive now). */
  readonly workers: number;
  readonly config: TaskConfig;
  /** Runs every stage of a plan and returns the result stage's output, partitions in order. */
  run(plan: PhysicalPlan, resources: Record<string, Block>, hooks?: RunHooks): Promise<arrow.Table>;
  /** Calls an exported function of installed code on a worker (embedded sessions only). */
  call<T>(ref: { module: string; export: string }, args: unknown): Promise<T>;
  close(): Promise<void>;
  /** Receives events outside jobs too (cluster executors joining and leaving). */
  attach?(sink: EventListener): void;
}
