// df.writeStream[.format(f)][.option(k, v)][.trigger(t)][.queryName(n)][.foreachBatch(fn)].start(path?): starts a streaming query.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PlanError } from '../../ops/errors.ts';
import type { WriteOptions } from '../../ops/sinks/index.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { Checkpoint } from '../stream/checkpoint.ts';
import type { Sink } from '../stream/sink.ts';
import { ConsoleSink } from '../stream/sinks/console-sink.ts';
import { FileSink } from '../stream/sinks/file-sink.ts';
import { ForeachBatchSink } from '../stream/sinks/foreach-batch-sink.ts';
import { MemorySink } from '../stream/sinks/memory-sink.ts';
import { JetStreamSink, type JetStreamSinkOptions } from '../stream/sinks/jetstream-sink.ts';
import { KvSink, type KvSinkOptions } from '../stream/sinks/kv-sink.ts';
import { progressLine } from '../stream/progress-line.ts';
import { sourceText, streamEndEvent, streamProgressEvent, streamStartEvent } from '../stream/stream-events.ts';
import { streamScansOf } from '../stream/substitute.ts';
import { log } from '../../gpu-kernels/log.ts';
import { StreamExecution } from '../stream/stream-execution.ts';
import { StreamingQuery } from '../stream/streaming-query.ts';
import { DEFAULT_TRIGGER, parseTrigger, type Trigger, type TriggerSpec } from '../stream/trigger.ts';
import { checkStreamingPlan } from '../stream/unsupported-operations.ts';
import { OUTPUT_MODES, planStatefulAggregate, type OutputMode } from '../stream/stateful-aggregate.ts';
import { DataFrame } from './dataframe.ts';

export type StreamSinkFormat = 'parquet' | 'json' | 'csv' | 'arrow' | 'memory' | 'console' | 'jetstream' | 'kv';
const FORMATS: readonly StreamSinkFormat[] = ['parquet', 'json', 'csv', 'arrow', 'memory', 'console', 'jetstream', 'kv'];
/** Sinks that are not a directory of files. */
const NOT_FILES: readonly (StreamSinkFormat | null)[] = ['memory', 'console', 'jetstream', 'kv'];

export type BatchFunction = (batch: DataFrame, batchId: number) => unknown;

interface StreamWriterState {
  format: StreamSinkFormat | null;
  options: Readonly<Record<string, unknown>>;
  trigger: Trigger;
  name: string | null;
  foreachBatch: BatchFunction | null;
  mode: OutputMode;
}

/** Immutable, as DataFrameWriter: each method returns a new writer. */
export class DataStreamWriter {
  private readonly state: StreamWriterState;

  constructor(private readonly df: DataFrame, state?: StreamWriterState) {
    this.state = Object.freeze(state ?? { format: null, options: {}, trigger: DEFAULT_TRIGGER, name: null, foreachBatch: null, mode: 'append' });
    Object.freeze(this);
  }

  private with(s: Partial<StreamWriterState>): DataStreamWriter { return new DataStreamWriter(this.df, { ...this.state, ...s }); }

  /** 'parquet', 'json', 'csv', 'arrow' (a directory of part files, exactly once per batch), 'memory' (the table queryName), 'console', 'jetstream' (options servers, subject: a JSON message per row, de-duplicated by id), 'kv' (options servers, bucket, keys: each row as JSON under its key in a JetStream KV bucket). */
  format(format: StreamSinkFormat): DataStreamWriter {
    if (!FORMATS.includes(format)) throw new PlanError(`writeStream.format: unknown format ${JSON.stringify(format)}; use ${FORMATS.join(', ')}`);
    return this.with({ format });
  }

  /** checkpointLocation (required by the file sinks), path, numRows (console), or a format's write option. */
  option(key: string, value: unknown): DataStreamWriter { return this.with({ options: { ...this.state.options, [key]: value } }); }
  options(options: Record<string, unknown>): DataStreamWriter { return this.with({ options: { ...this.state.options, ...options } }); }

  /**
   * What a streaming groupBy outputs each batch: 'append' (default: a group once, when the
   * watermark passes its window's end), 'update' (the groups the batch changed), 'complete'
   * (every group). Without an aggregate only 'append' (and 'update', the same) apply.
   */
  outputMode(mode: OutputMode): DataStreamWriter {
    if (!OUTPUT_MODES.includes(mode)) throw new PlanError(`writeStream.outputMode: unknown mode ${JSON.stringify(mode)}; use ${OUTPUT_MODES.map((m) => `'${m}'`).join(', ')}`);
    return this.with({ mode });
  }

  /** { processingTime: '1 second' } (default: the next batch as soon as the last ends), { availableNow: true }, { once: true }. */
  trigger(spec: TriggerSpec): DataStreamWriter { return this.with({ trigger: parseTrigger(spec) }); }

  /** Names the query (and the memory sink's table). */
  queryName(name: string): DataStreamWriter {
    if (typeof name !== 'string' || name === '') throw new PlanError('writeStream.queryName: give a non-empty name');
    return this.with({ name });
  }

  /** Runs `fn(batch, batchId)` for each micro-batch instead of a sink: batch actions (write, collect) on each; keep it idempotent by batchId. */
  foreachBatch(fn: BatchFunction): DataStreamWriter {
    if (typeof fn !== 'function') throw new PlanError('writeStream.foreachBatch: give a function (batch: DataFrame, batchId: number) => ...');
    return this.with({ foreachBatch: fn });
  }

  /** Starts the query; for a file format `path` (or option 'path') is the output directory. */
  async start(path?: string): Promise<StreamingQuery> {
    const { df } = this;
    const { mode } = this.state;
    if (!checkStreamingPlan(df.plan, mode)) throw new PlanError('writeStream: this DataFrame is not streaming (it reads no q.readStream source); write it with df.write');
    const stateful = planStatefulAggregate(df.plan, mode);
    const { checkpointLocation, path: optionPath, numRows, ...formatOptions } = this.state.options;
    const target = path ?? (optionPath as string | undefined);
    const format = this.state.format;
    const isFile = format !== null && !NOT_FILES.includes(format) && this.state.foreachBatch === null;
    if (isFile && typeof target !== 'string') throw new PlanError(`writeStream.format('${format}'): give the output directory, start('/out/dir') or option('path', ...)`);
    if (isFile && typeof checkpointLocation !== 'string') {
      throw new PlanError(`writeStream.format('${format}'): option('checkpointLocation', dir) is required: the file sink is exactly-once only with the offsets and commits it keeps there`);
    }
    if (format === null && this.state.foreachBatch === null) throw new PlanError("writeStream: give a sink: .format('parquet' | 'json' | 'memory' | 'console' | 'jetstream' | 'kv') or .foreachBatch(fn)");
    if (isFile && mode !== 'append') throw new PlanError(`writeStream.format('${format}'): files are only appended to, so outputMode('${mode}') cannot rewrite the groups it output before; use 'append' (with a watermark), or a memory, console or foreachBatch sink`);
    if (format === 'memory' && this.state.name === null) throw new PlanError("writeStream.format('memory'): give .queryName(name): the rows are the table of that name");
    const temporary = typeof checkpointLocation === 'string' ? null : await mkdtemp(join(tmpdir(), 'quiver-stream-checkpoint-'));
    const location = resolve((checkpointLocation as string | undefined) ?? temporary!);
    const session = df.session;
    session.streams.checkFree(location, this.state.name);
    let queryId = '';
    const sink = this.sink(target, numRows, formatOptions, () => queryId, location);
    const checkpoint = await Checkpoint.open(location);
    queryId = checkpoint.queryId;
    const runId = randomUUID();
    const exec = new StreamExecution(session, df.plan, sink, checkpoint, { id: checkpoint.queryId, runId, name: this.state.name }, stateful);
    const quiet = session.options.quiet;
    const query = new StreamingQuery(this.state.name, runId, exec, sink, checkpoint, this.state.trigger, (q) => {
      session.streams.remove(q);
      session.emit(streamEndEvent(q, q.exception));
      if (temporary) void rm(temporary, { recursive: true, force: true });
    }, (p) => {
      // The event log, the web UI's streaming page and /metrics see each batch; the console too unless quiet.
      session.emit(streamProgressEvent(p));
      if (!quiet) log.info(progressLine(p));
    });
    // Before any batch: the query's run ends only after an await in its loop.
    session.emit(streamStartEvent(query, sink.description, streamScansOf(df.plan).map((s) => sourceText(s.source)), this.state.trigger));
    session.streams.add(query, location);
    return query;
  }

  private sink(path: string | undefined, numRows: unknown, options: Record<string, unknown>, queryId: () => string, checkpoint: string): Sink {
    const { df } = this;
    const fn = this.state.foreachBatch;
    if (fn !== null) return new ForeachBatchSink((plan: LogicalPlan, batchId) => fn(new DataFrame(df.session, plan), batchId));
    switch (this.state.format) {
      case 'memory': return new MemorySink(df.session, this.state.name!, df.schema, this.state.mode === 'complete');
      case 'console': {
        const n = numRows ?? 20;
        if (!Number.isInteger(n) || (n as number) < 1) throw new PlanError(`writeStream console: numRows must be a positive integer, got ${JSON.stringify(numRows)}`);
        return new ConsoleSink(df.session, n as number);
      }
      case 'jetstream': return new JetStreamSink(df.session, options as unknown as JetStreamSinkOptions, queryId);
      case 'kv': return new KvSink(df.session, options as unknown as KvSinkOptions, df.schema, Checkpoint.sinkDir(checkpoint));
      default: return new FileSink(df.session, this.state.format!, path!, options as WriteOptions, df.schema);
    }
  }
}
