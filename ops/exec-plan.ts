// The physical operator contract and the per-task context operators run with.
import type * as arrow from 'apache-arrow';
import type { MessagePort } from 'node:worker_threads';

/** Counters a task reports back (rows, bytes, spills, bad records...). */
export interface TaskMetrics {
  add(name: string, n: number): void;
}

/** A record that could not be parsed, written to the quarantine in permissive mode. */
export interface BadRecord {
  file: string;
  /** 1-based, counting a header line. */
  line: number;
  column?: string;
  reason: string;
  record: string;
}

/**
 * What a running task can reach. One per task attempt; built by the runtime (core), used by
 * operators (ops). Everything here MUST work inside a worker thread.
 */
export interface TaskContext {
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
  /** Bytes a blocking operator (sort, aggregate, join build) may hold before it spills. */
  readonly memoryBudget: number;
  /** A directory private to this task attempt for spill files; removed after the task. */
  readonly spillDir: string;
  /** Target rows per output batch. */
  readonly batchSize: number;
  readonly signal?: AbortSignal;
  readonly metrics: TaskMetrics;
  /** Reduce side of a shuffle: every block map tasks wrote for `partition`, in map order. */
  shuffleInput(shuffleId: number, partition: number): AsyncIterable<arrow.RecordBatch>;
  /** The whole of a broadcast relation (all partitions of its stage), as one table. */
  broadcast(id: number): Promise<arrow.Table>;
  /** Batches of an in-memory table partition shared by the driver (views into shared memory). */
  resource(id: string): Iterable<arrow.RecordBatch>;
  /** A port to the process's inference thread (pipelined predict), when the runtime gave one to this task. */
  readonly inference?: MessagePort;
}

/**
 * A physical operator. Operators MUST follow the stream rules: no work before the first
 * pull; pass batches through untouched when nothing changes (slice, never copy); skip empty
 * batches; stop pulling once a limit is met; release resources in `finally`.
 */
export interface ExecPlan {
  /** e.g. 'FilterExec'. */
  readonly name: string;
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  /** One line for explain(), e.g. `FilterExec: (a > 1)`. */
  display(): string;
  execute(partition: number, ctx: TaskContext): AsyncIterable<arrow.RecordBatch>;
}

/** Renders an operator tree, one operator per line, children indented. */
export function displayExecTree(plan: ExecPlan, indent = 0): string {
  const lines = [`${'  '.repeat(indent)}${plan.display()}`];
  for (const c of plan.children) lines.push(displayExecTree(c, indent + 1));
  return lines.join('\n');
}
