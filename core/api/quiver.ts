// Quiver: the entry point. `await Quiver.local({ workers: 2 })` starts an embedded session.
import type * as arrow from 'apache-arrow';
import { PlanError, ResourceError } from '../../ops/errors.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { EventListener } from '../runtime/events.ts';
import { LocalRuntime } from '../runtime/local-runtime.ts';
import { ClusterRuntime, type ClusterRuntimeOptions } from '../cluster/cluster-runtime.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { attachObservability, type Observability, type ObservabilityOptions } from '../obs/attach.ts';
import { DataFrame } from './dataframe.ts';
import { ModelRef } from './model.ts';
import { DataFrameReader } from './reader.ts';
import { DataStreamReader } from './stream-reader.ts';
import type { StreamingQueryManager } from '../stream/query-manager.ts';
import { Session } from './session.ts';
import { loadSqlParser, sqlToPlan } from '../sql/index.ts';
import { planCapacity, type CapacityPlan, type PlanOptions } from '../capacity/index.ts';
import { checkTrainOptions, trainAcrossExecutors, trainRows, type TrainOptions, type TrainResult } from '../ml/ps/index.ts';

/** Options of an embedded session; the observability options (eventLog, progress, quiet, ui, uiHost) are in ObservabilityOptions. */
export interface LocalOptions extends ObservabilityOptions {
  /** Worker threads (default: one per core). */
  workers?: number;
  /** GPU use for tensor stages: 'auto' (default), 'require' or 'off'. */
  gpu?: 'auto' | 'require' | 'off';
  /** Bytes a blocking operator (sort, aggregate, join build) may hold per task before spilling (default 256 MB). */
  memoryBudget?: number;
  /** Target rows per batch (default 131072). */
  batchSize?: number;
  /** Partitions after a shuffle (default: 2 per worker). */
  shufflePartitions?: number;
  /**
   * Adaptive coalescing: once a shuffle is written, adjacent small reduce partitions are read by
   * one task: as many tasks as worker slots where each then reads at least 1 MiB, fewer for less
   * data, more where a task would read past this many bytes (default 64 MiB or a quarter of
   * memoryBudget, whichever is less, as Spark's advisoryPartitionSizeInBytes; 0: off, every
   * planned partition is a task). A repartition(n) keeps its n partitions.
   */
  coalescePartitionBytes?: number;
  /** Files larger than this are split across tasks (default 128 MB, as Spark's maxPartitionBytes). */
  targetSplitBytes?: number;
  /** Joins whose build side is estimated under this are broadcast (default 10 MB). */
  broadcastThresholdBytes?: number;
  /**
   * A join the estimates would shuffle runs its build side first and, when that side's shuffle
   * output is at most broadcastThresholdBytes, broadcasts it: the other side is then never
   * shuffled (Spark AQE's join switch). Else, with few build rows, the other side's rows without a
   * partner are dropped before their shuffle where the join would never output them (a runtime
   * filter). The stages' start events and the UI say which. Full joins always shuffle as planned.
   * Default true; false runs plans as planned.
   */
  adaptiveJoins?: boolean;
  /**
   * An orderBy whose input is estimated at most this many bytes sorts in one task, without the
   * distributed sort's sample and range shuffle (default 1 MiB: the few groups of an aggregate; 0:
   * always distributed when the input has several partitions). At run time too: a sort whose
   * input is computed from shuffles (an aggregate's) that turn out to hold at most 16 MiB, or this
   * if more, skips its key sample stage and sorts in one task; its stage start event and the UI
   * say so.
   */
  singleTaskSortBytes?: number;
  /** Directory for spill files (default: the OS temp directory). */
  spillDir?: string;
  /** Attempts per task before the job fails (default 4). */
  maxTaskAttempts?: number;
  /**
   * Shuffle and broadcast output the driver keeps in memory between stages; past it, the oldest
   * map outputs spill to disk under spillDir (default 2 x memoryBudget).
   */
  shuffleMemoryBytes?: number;
  /**
   * collect() refuses a result larger than this many bytes (Arrow buffers) with an error naming
   * toLocalIterator() and write (default 1 GiB, as Spark's maxResultSize; 0: no limit).
   */
  maxResultBytes?: number;
  /** A task that reads and produces no batch for this long is stopped and fails with a ResourceError (default 10 minutes; 0: never). */
  taskStallMs?: number;
  /**
   * Pipelined predict (default true): a predict on onnxruntime or WebGPU runs in one inference
   * thread per process (one model copy, small batches coalesced, several in flight) while the
   * worker threads read and decode; false keeps a model copy in every worker thread.
   */
  inferenceThread?: boolean;
}

/** Options of a driver connected to a cluster (`Quiver.connect`): NATS, auth, scheduling, and the session options of Quiver.local. */
export interface ConnectOptions extends ClusterRuntimeOptions, Omit<LocalOptions, 'workers' | 'spillDir' | 'gpu' | 'taskStallMs' | 'inferenceThread' | 'shuffleMemoryBytes'> {}

/** collect()'s default limit on a result's size. */
const DEFAULT_MAX_RESULT_BYTES = 1 << 30;

export class Quiver {
  private constructor(readonly session: Session, readonly options: Readonly<LocalOptions | ConnectOptions>, private readonly obs: Observability) {}

  /** Wraps a runtime in a session with what the options ask to observe. */
  private static async open(runtime: Runtime, options: LocalOptions | ConnectOptions): Promise<Quiver> {
    if (options.adaptiveJoins !== undefined && typeof options.adaptiveJoins !== 'boolean') {
      throw new PlanError(`Quiver: option adaptiveJoins must be true or false, got ${JSON.stringify(options.adaptiveJoins)}`);
    }
    // Loaded here (about 0.1 s, once per process) so that q.sql can stay synchronous like Spark's.
    await loadSqlParser();
    const session = new Session(runtime, {
      shufflePartitions: options.shufflePartitions ?? runtime.workers * 2,
      targetSplitBytes: options.targetSplitBytes ?? 128 * 1024 * 1024,
      broadcastThresholdBytes: options.broadcastThresholdBytes ?? 10 * 1024 * 1024,
      adaptiveJoins: options.adaptiveJoins ?? true,
      singleTaskSortBytes: options.singleTaskSortBytes ?? 1024 * 1024,
      coalescePartitionBytes: options.coalescePartitionBytes ?? Math.min(64 * 1024 * 1024, runtime.config.memoryBudget / 4),
      quiet: options.quiet,
      maxResultBytes: options.maxResultBytes === 0 ? Infinity : options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
    });
    let obs: Observability;
    try {
      obs = await attachObservability(session, options);
    } catch (e) {
      await session.close();
      throw e;
    }
    // Once the event log listens: it then sees the cluster's executors that joined already.
    runtime.attach?.((e) => session.emit(e));
    return new Quiver(session, Object.freeze({ ...options }), obs);
  }

  /** An embedded session: driver and a worker-thread pool in this process. */
  static async local(options: LocalOptions = {}): Promise<Quiver> {
    for (const [k, v] of Object.entries(options)) {
      if (['workers', 'memoryBudget', 'batchSize', 'shufflePartitions', 'coalescePartitionBytes', 'targetSplitBytes', 'broadcastThresholdBytes', 'singleTaskSortBytes', 'maxTaskAttempts', 'taskStallMs', 'maxResultBytes', 'shuffleMemoryBytes'].includes(k)
        && v !== undefined && (!Number.isFinite(v) || (v as number) < 0)) {
        throw new PlanError(`Quiver.local: option ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
      }
    }
    if (options.gpu && !['auto', 'require', 'off'].includes(options.gpu)) {
      throw new PlanError(`Quiver.local: gpu must be 'auto', 'require' or 'off', got ${JSON.stringify(options.gpu)}`);
    }
    return Quiver.open(new LocalRuntime(options), options);
  }

  /**
   * A driver of a cluster: executors (`quiver executor --servers ...`) run the tasks, and NATS
   * at `servers` carries everything. Waits until `minExecutors` (default 1) have joined.
   */
  static async connect(options: ConnectOptions): Promise<Quiver> {
    if (!options || !options.servers || (Array.isArray(options.servers) && options.servers.length === 0)) {
      throw new PlanError("Quiver.connect: give the NATS server(s), e.g. Quiver.connect({ servers: 'nats://127.0.0.1:4222' })");
    }
    for (const [k, v] of Object.entries(options)) {
      if (['memoryBudget', 'batchSize', 'shufflePartitions', 'coalescePartitionBytes', 'targetSplitBytes', 'broadcastThresholdBytes', 'singleTaskSortBytes', 'maxTaskAttempts', 'maxResultBytes', 'minExecutors', 'executorWaitMs', 'heartbeatTimeoutMs', 'maxExecutorWorkers', 'driverStageRows'].includes(k)
        && v !== undefined && (!Number.isFinite(v) || (v as number) < 0)) {
        throw new PlanError(`Quiver.connect: option ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
      }
    }
    return Quiver.open(await ClusterRuntime.connect(options), options);
  }

  get workers(): number { return this.session.runtime.workers; }

  /** Streaming readers: q.readStream.rate|files|jetstream(options); run with df.writeStream...start(). */
  get readStream(): DataStreamReader { return new DataStreamReader(this.session); }

  /** The session's active streaming queries. */
  get streams(): StreamingQueryManager { return this.session.streams; }

  /** Readers: q.read.text|csv|json|arrow|parquet(path | glob | paths[], options). */
  get read(): DataFrameReader { return new DataFrameReader(this.session); }

  /** A DataFrame over an Arrow table or plain row objects (schema inferred unless given). */
  createDataFrame(data: arrow.Table | readonly Record<string, unknown>[], opts: { schema?: FieldJSON[]; partitions?: number } = {}): DataFrame {
    return new DataFrame(this.session, this.session.registerTable(data, opts.schema, opts.partitions));
  }

  /**
   * Runs nothing: the DataFrame of one SQL query (SELECT, WITH, UNION) over the tables registered
   * with df.createOrReplaceTempView(name) or q.registerTable(name, pathOrDf). A mistake in the
   * text is a SqlError naming its line and column.
   */
  sql(text: string): DataFrame {
    return new DataFrame(this.session, sqlToPlan(text, this.session.catalog, () => this.session.oneRow()));
  }

  /**
   * Registers a table for q.sql and q.table: a DataFrame, or a path (or glob) read by its
   * extension (.parquet, .csv, .json/.jsonl/.ndjson, .arrow/.feather/.ipc). Replaces a table of that name.
   */
  registerTable(name: string, source: string | DataFrame): DataFrame {
    const df = typeof source === 'string' ? this.readByExtension(source) : source;
    if (!(df instanceof DataFrame) || df.session !== this.session) throw new PlanError(`registerTable('${name}'): give a path or a DataFrame of this session`);
    this.session.catalog.register(name, df.plan);
    return df;
  }

  /** The DataFrame of a registered table; an unknown name is a PlanError listing the known ones. */
  table(name: string): DataFrame {
    return new DataFrame(this.session, this.session.catalog.get(name));
  }

  private readByExtension(path: string): DataFrame {
    const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
    switch (ext) {
      case 'parquet': return this.read.parquet(path);
      case 'csv': return this.read.csv(path);
      case 'json': case 'jsonl': case 'ndjson': return this.read.json(path);
      case 'arrow': case 'feather': case 'ipc': return this.read.arrow(path);
      default: throw new PlanError(`registerTable: cannot tell the format of '${path}' from its extension; use .parquet, .csv, .json, .jsonl, .ndjson, .arrow, .feather or .ipc, or pass a DataFrame (q.read.<format>(path))`);
    }
  }

  /** A model directory (model.json + safetensors weights + card), loaded and verified now; see df.predict. */
  model(path: string): ModelRef {
    return ModelRef.load(path);
  }

  /**
   * Calls `listener` with every job, stage, task and executor event (JSON-able records, see
   * core/runtime/events.ts) until the returned function is called.
   */
  onEvent(listener: EventListener): () => void {
    this.session.listeners.add(listener);
    return () => { this.session.listeners.delete(listener); };
  }

  /**
   * The capacity planner over event logs of real runs (`events`: the eventLog directories; this
   * session's own by default): per job, the workers/executors/GPUs each stage needs for `target`
   * records/s, or what executors × workers (+ gpus) achieve. Runs nothing; see core/capacity.
   */
  plan(options: Omit<PlanOptions, 'events'> & { events?: PlanOptions['events'] } = {}): CapacityPlan {
    const events = options.events ?? this.options.eventLog;
    if (events === undefined) throw new PlanError('plan: give events (an event log directory), or open this session with the eventLog option so that its own runs can be planned from');
    return planCapacity({ ...options, events });
  }

  /** The event log file this session appends to (null without the eventLog option). */
  get eventLogFile(): string | null { return this.obs.eventLogFile; }

  /** The web UI's address, e.g. http://127.0.0.1:4040 (null when the ui option turned it off). */
  get uiUrl(): string | null { return this.obs.uiUrl; }

  /**
   * Trains an MLP on `df`'s rows across the cluster's executors with parameter servers (Li et al.,
   * OSDI 2014): workers on executors push gradients to and pull weights from `servers` shards,
   * under sequential, bounded-delay or eventual consistency; a lost worker's rows go to the
   * others, a lost shard restarts from its checkpoint. `saveTo` writes the model and its card.
   */
  async train(df: DataFrame, options: TrainOptions<DataFrame>): Promise<TrainResult> {
    if (!(df instanceof DataFrame) || df.session !== this.session) throw new PlanError('train: give a DataFrame of this session as the training data');
    const cfg = checkTrainOptions(options);
    const rt = this.session.runtime;
    if (!(rt instanceof ClusterRuntime)) {
      throw new PlanError('train: parameter-server training runs across executors; open the session with Quiver.connect({ servers }) and start executors (an embedded session trains on its worker pool with trainMlp in core/ml/train-mlp.ts)');
    }
    // Before collecting the data, which would wait for executors too.
    const alive = rt.alive();
    if (alive.length === 0) throw new ResourceError('train: no executor is alive to run workers and server shards; start executors with `quiver executor --servers ...` (Quiver.connect waits for minExecutors of them)');
    if (cfg.executors !== null && cfg.executors > alive.length) throw new ResourceError(`train: executors: ${cfg.executors} asked for, ${alive.length} alive (${alive.map((e) => e.id).join(', ')}); start more or ask for fewer`);
    const test = options.test;
    if (test !== undefined && (!(test instanceof DataFrame) || test.session !== this.session)) throw new PlanError('train: test must be a DataFrame of this session');
    const cols = [cfg.features, cfg.label];
    const pick = async (d: DataFrame, what: string) => {
      const names = d.schema.map((f) => f.name);
      for (const c of cols) if (!names.includes(c)) throw new PlanError(`train: ${what} has no column '${c}'; its columns are ${names.join(', ')} (pick them with the features and label options)`);
      return trainRows(await d.select(...cols).collect(), cfg.features, cfg.label, what);
    };
    const rows = await pick(df, 'the training DataFrame');
    const testRows = test ? await pick(test, 'the test DataFrame') : null;
    return trainAcrossExecutors(rt, rows, testRows, cfg, options, this.options.quiet ?? false, (e) => this.session.emit(e));
  }

  /** Stops the streaming queries, the worker pool, and frees the driver's GPU device. The process can exit once this resolves. */
  async close(): Promise<void> {
    await this.obs.close();
    await this.session.close();
  }
}
