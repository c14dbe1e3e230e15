// Runtime events: what happened to jobs, stages, tasks and executors, as plain JSON-able records (the event log's lines).

/** The executor name of tasks run by an embedded session's own worker threads. */
export const LOCAL_EXECUTOR = 'local';
/** Where a cluster session runs a job's last stage when it is small (see ClusterRuntimeOptions.driverStageRows). */
export const DRIVER_EXECUTOR = 'driver';

interface At { /** Milliseconds since the epoch. */ ts: number }

export type RuntimeEvent = At & (
  | { kind: 'jobStart'; jobId: number; stages: { id: number; partitions: number; parents: number[]; output: string }[] }
  | { kind: 'jobEnd'; jobId: number; ok: boolean; error?: string; durationMs: number; tasks: number; failedAttempts: number }
  /**
   * `coalescedFrom`: the planned partitions, when small ones were coalesced into fewer tasks.
   * `broadcastJoin`: the stage's shuffled join runs as a broadcast join, its build side's shuffle
   * output (`buildBytes`) being small; it runs the operators of `probeStage` (skipped) as its own.
   * `keyFilter`: the stage is the probe side of a join that stays shuffled, and drops its rows whose
   * keys the build side (`buildStage`, `buildRows` rows) lacks before they are shuffled.
   * `sortInOneTask`: the stage range-partitions a sort's input that the shuffles under it showed
   * small (`inputBytes`): every row goes to the first partition, one task sorts it all, and the
   * key sample (`sampleStage`) is skipped.
   */
  | { kind: 'stageStart'; jobId: number; stageId: number; tasks: number; coalescedFrom?: number; broadcastJoin?: { probeStage: number; buildBytes: number };
      keyFilter?: { buildStage: number; buildRows: number }; sortInOneTask?: { sampleStage: number; inputBytes: number } }
  | { kind: 'stageEnd'; jobId: number; stageId: number; durationMs: number; rows: number }
  /** A task attempt was handed to an executor. `locality` says why there (cluster mode). */
  | { kind: 'taskStart'; jobId: number; stageId: number; partition: number; attempt: number; executor: string; locality?: string; speculative?: boolean }
  /**
   * A task attempt ended. `ignored` marks a result that arrived for a task already done
   * (a speculative copy's, or a duplicate): it is never counted twice.
   */
  | { kind: 'taskEnd'; jobId: number; stageId: number; partition: number; attempt: number; executor: string; ok: boolean; error?: string; durationMs: number; rows: number; ignored?: 'duplicate' | 'late';
      /** Bytes of the task's output blocks, where the runtime knows them. */
      bytes?: number;
      /** Counters the task's operators added (predictMs, predictRows, spills, spillBytes, badRecords, ...). */
      metrics?: Record<string, number> }
  | { kind: 'executorAdded'; executor: string; name: string; host: string; workers: number; gpu: string | null; paths: string[] }
  | { kind: 'executorRemoved'; executor: string; reason: string }
  /** A sample of an executor's memory (the driver's own process for an embedded session's worker threads). */
  | { kind: 'executorMetrics'; executor: string; rssBytes: number; heapUsedBytes?: number; storeBytes?: number }
  /**
   * A job's plans as explain() prints them, and each stage's operators (`name`: the operator
   * chain, e.g. "MemoryScan > Filter > HashAggregate"); reported right after the job's jobStart.
   */
  | { kind: 'jobPlan'; jobId: number; logical: string; optimized: string; physical: string; stages: { id: number; name: string; operators: string }[] }
  /** Where an operator of a stage runs (CPU or GPU) and why: predict's placement, as explain shows it. */
  | { kind: 'placement'; jobId: number; stageId: number; operator: string; device: 'cpu' | 'gpu'; backend?: 'wasm' | 'onnxruntime' | 'webgpu'; reason: string }
  /** Shuffle or broadcast output lost with an executor: recomputed from lineage by re-running these map tasks. */
  | { kind: 'outputLost'; jobId: number; stageId: number; partitions: number[]; executor: string }
  /**
   * A cached DataFrame's partitions now (df.cache()): after a job computed some, after an
   * executor was lost with some, and once unpersisted (`removed`). `executors`: partitions kept
   * by each; `diskBytes`: those spilled, where the runtime knows (else all count as memory).
   */
  | { kind: 'cacheUpdate'; cacheId: string; name: string; partitions: number; cached: number; memoryBytes: number; diskBytes: number; executors: Record<string, number>; removed?: true }
  /** A streaming query started (a run: `id` stays the same across restarts from one checkpoint, `runId` is new each start). */
  | { kind: 'streamStart'; id: string; runId: string; name: string | null; sink: string; sources: string[]; trigger: string }
  /**
   * A streaming query's micro-batch committed: its lastProgress in brief. Rates are null where
   * unknown (the first batch's input rate, rows a source cannot count); `watermarkMs` is the
   * watermark the batch ran with, `stateRows`/`lateRowsDropped` null without a streaming aggregate.
   */
  | { kind: 'streamProgress'; id: string; runId: string; batchId: number; numInputRows: number | null; inputRowsPerSecond: number | null; processedRowsPerSecond: number | null;
      durationMs: number; watermarkMs: number | null; stateRows: number | null; lateRowsDropped: number | null; outputRows: number | null }
  /** A streaming query's run ended: stopped (`ok`), or failed with `error`. */
  | { kind: 'streamEnd'; id: string; runId: string; ok: boolean; error?: string }
  /** Parameter-server training (q.train) started: its consistency (`maxDelay` null: unbounded), epochs, workers, server shards and training rows. */
  | { kind: 'trainStart'; id: string; model: string; consistency: string; maxDelay: number | null; epochs: number; workers: number; shards: number; rows: number }
  /**
   * Training progress (every progressMs within an epoch, and at each epoch's end): rows trained
   * this epoch, mean loss and accuracy over them, rates since the start, and the staleness
   * histogram (staleness -> steps started with it, since the start).
   */
  | { kind: 'trainProgress'; id: string; epoch: number; epochs: number; rows: number; totalRows: number; loss: number; accuracy: number;
      testAccuracy: number | null; stepsPerSecond: number; samplesPerSecond: number; staleness: Record<string, number>; epochEnd: boolean }
  /** Training ended: the model trained (`ok`, with its test accuracy where test data was given), or failed with `error`. */
  | { kind: 'trainEnd'; id: string; ok: boolean; error?: string; testAccuracy?: number | null; steps?: number; trainSeconds?: number }
);

export type EventListener = (e: RuntimeEvent) => void;
