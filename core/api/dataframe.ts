// DataFrame: the immutable, fluent dataflow builder; actions run it through the session.
import { checkModelInput, checkModelOutputs, modelImage, modelInput } from '../../ops/model/any-model.ts';
import { imageCodec } from '../../ops/sources/index.ts';
import { predict, type PredictDecode, type PredictDevice } from '../plan/predict.ts';
import { ModelRef } from './model.ts';
import type * as arrow from 'apache-arrow';
import { PlanError } from '../../ops/errors.ts';
import { containsWindow, exprName, type ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { projectWithWindows } from '../plan/window-exprs.ts';
import { filter } from '../plan/filter.ts';
import { aggregate } from '../plan/aggregate.ts';
import { aggregateExprs } from '../plan/aggregate-exprs.ts';
import { join, type JoinType } from '../plan/join.ts';
import { splitJoinCondition } from '../plan/join-condition.ts';
import { subqueryAlias } from '../plan/subquery-alias.ts';
import { expandStar } from '../plan/resolve.ts';
import { sort } from '../plan/sort.ts';
import { limit } from '../plan/limit.ts';
import { distinct } from '../plan/distinct.ts';
import { union } from '../plan/union.ts';
import { setOperation, type SetOperation } from '../plan/set-operations.ts';
import { repartition } from '../plan/repartition.ts';
import { mapBatches, type UdfRef } from '../plan/map-batches.ts';
import { cache } from '../plan/cache.ts';
import { sample } from '../plan/sample.ts';
import { planSelect } from './generators.ts';
import { eventTimeWatermark } from '../plan/watermark.ts';
import { parseDuration } from '../stream/trigger.ts';
import { planTimeWindow, TimeWindow } from './time-window.ts';
import { nodeToString } from '../optimizer/display.ts';
import { col, Expr, toColumn, type ColumnLike } from './column.ts';
import { fn } from './functions.ts';
import { DataFrameWriter } from './writer.ts';
import { DataStreamWriter } from './stream-writer.ts';
import { streamScansOf } from '../stream/substitute.ts';
import type { IterateOptions, Session } from './session.ts';
import { formatTable, rowsOf, type ToArrayOptions } from './show.ts';

export type JoinOn = string | readonly string[] | Expr | { readonly left: readonly ColumnLike[]; readonly right: readonly ColumnLike[] };

const JOIN_TYPES: readonly JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
const JOIN_ALIASES: Record<string, JoinType> = {
  left_outer: 'left', leftouter: 'left', right_outer: 'right', rightouter: 'right', outer: 'full', full_outer: 'full',
  fullouter: 'full', left_semi: 'semi', leftsemi: 'semi', left_anti: 'anti', leftanti: 'anti',
};

export interface PredictOptions {
  /** 'auto' (default): the faster device for this model, by calibration; 'cpu'; 'gpu' (an error when there is none). */
  device?: PredictDevice;
  /** Images per kernel call (default 4096 for an MLP; for an ONNX model 16..1024 by image size, e.g. 334 at 28x28, 16 at 224x224x3). */
  batchSize?: number;
  /**
   * Force a backend: 'wasm' (Quiver's WebAssembly SIMD CPU kernels), 'onnxruntime'
   * (onnxruntime-node on the CPU, ONNX models only; an optional peer dependency) or 'webgpu'
   * (Quiver's WGSL kernels). Default: chosen by `device` and a short calibration.
   */
  backend?: 'wasm' | 'onnxruntime' | 'webgpu';
  /**
   * A row whose image is null or whose scores are not finite: 'fail' (default: the job fails
   * naming it), 'skip' (the row is dropped, counted as predictSkippedRows) or 'null' (its tags
   * are null, counted as predictNullRows).
   */
  onError?: 'fail' | 'skip' | 'null';
  /**
   * Column of fixed_size_list<uint8> images (default 'image'), or a binary column of encoded
   * image files (JPEG, PNG, WebP, ...: a stream's message bodies, say), which each task decodes
   * to the model's input size with sharp, as q.read.images does. A row that does not decode
   * follows onError, like a null image.
   */
  inputCol?: string;
  /** How a binary column's images are fitted to the model's size: 'cover' (default), 'contain' or 'fill' (as q.read.images' fit). */
  fit?: 'cover' | 'contain' | 'fill';
  /** Also return the k best classes per row (topIds, topScores). */
  topK?: number;
  /**
   * Names of the ONNX model's graph outputs to return besides the ranked one, e.g.
   * `['embedding']`: each becomes a column of that name, fixed_size_list<float32>[d] with d the
   * output's values per image (its dims after the batch multiplied), row-aligned with the images,
   * the same on every backend. Null (onError 'null') or dropped (onError 'skip') with the row's
   * tags. A name that is not a graph output, or that is already a column (labelId, label, score,
   * topIds, topScores or an input column), is a PlanError here. Default: none (the model runs
   * only what the ranked output needs).
   */
  outputs?: readonly string[];
}

/** Images per kernel call when predict is not told: activations of a CNN grow with the image, an MLP's do not. */
function defaultBatchSize(model: ModelRef): number {
  if (model.format === 'mlp') return 4096;
  const { size } = modelInput(model.model);
  return Math.max(16, Math.min(1024, Math.floor(2 ** 18 / size)));
}

export class DataFrame {
  constructor(readonly session: Session, readonly plan: LogicalPlan) {
    Object.freeze(this);
  }

  /** Column names and types. */
  get schema(): readonly FieldJSON[] { return this.plan.schema; }
  get columns(): string[] { return this.plan.schema.map((f) => f.name); }

  private next(plan: LogicalPlan): DataFrame { return new DataFrame(this.session, plan); }

  // ---- transformations -------------------------------------------------------------

  /**
   * Marks `column` (timestamp_ms) as the event time, with events up to `delay` late ('10
   * seconds'): a streaming aggregate drops rows older than the watermark (the latest event time
   * seen minus the delay), counting them, and in append mode outputs a window once the
   * watermark passes its end. On a batch DataFrame it changes nothing, as in Spark.
   */
  withWatermark(column: string, delay: string | number): DataFrame {
    return this.next(eventTimeWatermark(this.plan, column, parseDuration(delay, `withWatermark('${column}') delay`)));
  }

  /** Columns, expressions, '*', or one fn.window(...) (giving window_start and window_end). */
  select(...cols: (ColumnLike | TimeWindow | readonly (ColumnLike | TimeWindow)[])[]): DataFrame {
    const flat = cols.flat() as (ColumnLike | TimeWindow)[];
    if (flat.length === 0) throw new PlanError('select: give at least one column');
    const items = flat.flatMap((c): (ExprNode | TimeWindow)[] => {
      if (c === '*') return this.columns.map((n) => col(n).node);
      if (c instanceof TimeWindow) return [c];
      return typeof c === 'string' && c.endsWith('.*') ? expandStar(c.slice(0, -2), this.plan.schema) : [toColumn(c).node];
    });
    const { plan, exprs } = planTimeWindow(this.plan, items, 'select');
    return this.next(exprs.some(containsWindow) ? projectWithWindows(plan, exprs) : planSelect(plan, exprs));
  }

  filter(condition: Expr): DataFrame {
    if (!(condition instanceof Expr)) throw new PlanError(`filter: expected an expression such as col('x').gt(1), got ${JSON.stringify(condition)}`);
    return this.next(filter(this.plan, condition.node));
  }
  where(condition: Expr): DataFrame { return this.filter(condition); }

  /** Adds a column, or replaces the one of the same name in place (a generator such as fn.explode multiplies the rows). */
  withColumn(name: string, value: Expr): DataFrame {
    const exprs: ExprNode[] = this.columns.map((n) => (n === name ? value.alias(name).node : col(n).node));
    if (!this.columns.includes(name)) exprs.push(value.alias(name).node);
    return this.next(exprs.some(containsWindow) ? projectWithWindows(this.plan, exprs) : planSelect(this.plan, exprs));
  }

  /**
   * Model inference: adds `labelId` (int32), `label` (utf8), `score` (float32) and, with topK,
   * `topIds` and `topScores` (fixed-size lists of k), best first; with `outputs`, a column per
   * named graph output (an embedding, say). `device: 'auto'` (default)
   * picks the faster of CPU and GPU by a short calibration of this model (explain() says why).
   */
  predict(model: ModelRef, opts: PredictOptions = {}): DataFrame {
    if (!(model instanceof ModelRef)) throw new PlanError("predict: pass a model loaded with q.model('path/to/model')");
    const inputCol = opts.inputCol ?? 'image';
    const field = this.plan.schema.find((f) => f.name === inputCol);
    checkModelInput(model.model, field, inputCol, this.columns);
    const outputs = checkModelOutputs(model.model, opts.outputs);
    let decode: PredictDecode | undefined;
    if (field!.type === 'binary') {
      const fit = opts.fit ?? 'cover';
      if (!['cover', 'contain', 'fill'].includes(fit)) throw new PlanError(`predict: fit must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
      decode = { ...modelImage(model.model), fit };
      // Workers will run libvips: this (their parent) thread keeps it loaded (see imageCodec).
      imageCodec();
    } else if (opts.fit !== undefined) {
      throw new PlanError(`predict: fit applies to a binary column of encoded images; '${inputCol}' is ${JSON.stringify(field!.type)} (already decoded)`);
    }
    return this.next(predict(this.plan, {
      modelPath: model.path, modelName: model.name, modelSha256: model.sha256, modelJsonSha256: model.modelJsonSha256, inputCol,
      device: opts.device ?? 'auto', batchSize: opts.batchSize ?? defaultBatchSize(model), topK: opts.topK ?? 0, numClasses: model.numClasses,
      modelFormat: model.format, hasLabels: model.labels.length > 0, labels: model.labels, inputSize: modelInput(model.model).size, ...(opts.backend !== undefined ? { backend: opts.backend } : {}), ...(opts.onError !== undefined ? { onError: opts.onError } : {}),
      ...(outputs.length ? { outputs } : {}), ...(decode ? { decode } : {}),
    }));
  }

  withColumnRenamed(from: string, to: string): DataFrame {
    if (!this.columns.includes(from)) throw new PlanError(`withColumnRenamed: unknown column '${from}': valid columns are ${this.columns.join(', ')}`);
    return this.next(project(this.plan, this.columns.map((n) => (n === from ? col(n).alias(to).node : col(n).node))));
  }

  drop(...names: string[]): DataFrame {
    for (const n of names) if (!this.columns.includes(n)) throw new PlanError(`drop: unknown column '${n}': valid columns are ${this.columns.join(', ')}`);
    const keep = this.columns.filter((n) => !names.includes(n));
    if (keep.length === 0) throw new PlanError('drop: cannot drop every column');
    return this.next(project(this.plan, keep.map((n) => col(n).node)));
  }

  /** Group keys: columns, expressions, or one fn.window(...) (grouping by window_start and window_end, which lead the output). */
  groupBy(...keys: (ColumnLike | TimeWindow | readonly (ColumnLike | TimeWindow)[])[]): GroupedData {
    const items = (keys.flat() as (ColumnLike | TimeWindow)[]).map((k) => (k instanceof TimeWindow ? k : toColumn(k).node));
    const { plan, exprs } = planTimeWindow(this.plan, items, 'groupBy');
    return new GroupedData(plan === this.plan ? this : this.next(plan), exprs);
  }

  /**
   * Aggregates over the whole frame (no grouping). Outputs may be expressions over aggregates,
   * e.g. `fn.sum('a').div(fn.count()).alias('m')` (see GroupedData.agg).
   */
  agg(...aggs: Expr[]): DataFrame { return this.groupBy().agg(...aggs); }

  /**
   * Joins on column names present on both sides (`'id'` or `['a', 'b']`: each key appears
   * once in the output), on `{ left: [...], right: [...] }` key lists, or on any boolean
   * condition over both sides' columns, e.g. `col('a').eq(col('b')).and(col('x').lt(col('y')))`.
   *
   * A condition's equalities between a left and a right expression (`l.eq(r)`, ANDed at the
   * top) become hash-join keys; the rest is evaluated inside the join on each candidate pair,
   * so for left/right/full/semi/anti joins it decides which rows match (SQL's ON, not a WHERE
   * after the join). A condition with no such equality runs as a nested-loop join. Columns may
   * be qualified by a side's alias (`df.alias('n1')`: `col('n1.n_name')`). Output: the left
   * columns, then the right ones (left only for semi/anti); a name on both sides is a PlanError
   * unless the sides are aliased, when each becomes `alias.name` (`n1.n_name`, `n2.n_name`).
   */
  join(other: DataFrame, on: JoinOn, how: JoinType | string = 'inner'): DataFrame {
    if (other.session !== this.session) throw new PlanError('join: both DataFrames must come from the same Quiver session');
    const kind = (JOIN_TYPES as readonly string[]).includes(how) ? how as JoinType : JOIN_ALIASES[how.toLowerCase()];
    if (!kind) throw new PlanError(`join: unknown join type '${how}': use one of ${JOIN_TYPES.join(', ')}`);
    let leftKeys: ExprNode[], rightKeys: ExprNode[], using = false;
    if (typeof on === 'string' || Array.isArray(on)) {
      const names = (typeof on === 'string' ? [on] : on) as string[];
      for (const n of names) {
        if (!this.columns.includes(n)) throw new PlanError(`join: key '${n}' is not a column of the left side: valid columns are ${this.columns.join(', ')}`);
        if (!other.columns.includes(n)) throw new PlanError(`join: key '${n}' is not a column of the right side: valid columns are ${other.columns.join(', ')}`);
      }
      leftKeys = names.map((n) => col(n).node);
      rightKeys = leftKeys;
      using = true;
    } else if (on instanceof Expr) {
      const split = splitJoinCondition(on.node, this.plan.schema, other.plan.schema);
      return this.next(join(this.plan, other.plan, kind, split.leftKeys, split.rightKeys, false, 'auto', conjoinAll(split.nonKeys)));
    } else {
      const keys = on as { readonly left: readonly ColumnLike[]; readonly right: readonly ColumnLike[] };
      leftKeys = keys.left.map((c) => toColumn(c).node);
      rightKeys = keys.right.map((c) => toColumn(c).node);
    }
    return this.next(join(this.plan, other.plan, kind, leftKeys, rightKeys, using));
  }

  /**
   * The cartesian product: every row of this DataFrame with every row of `other` (SQL's CROSS
   * JOIN). Runs as a nested-loop join that holds the smaller side whole (broadcast when it is
   * under broadcastThresholdBytes); a side over the task's memoryBudget fails with a
   * ResourceError. A filter on top that relates the two sides turns it into a hash join.
   */
  crossJoin(other: DataFrame): DataFrame {
    if (!(other instanceof DataFrame)) throw new PlanError('crossJoin: expected a DataFrame');
    if (other.session !== this.session) throw new PlanError('crossJoin: both DataFrames must come from the same Quiver session');
    return this.next(join(this.plan, other.plan, 'inner', [], [], false));
  }

  /**
   * Names this relation (SQL's `FROM nation n1`): its columns then also answer to
   * `col('n1.<name>')`, and in a join with a column of the same name on the other side each
   * becomes `n1.<name>` in the output. Column names and rows are unchanged.
   */
  alias(name: string): DataFrame {
    return this.next(subqueryAlias(this.plan, name));
  }

  /** Sorts by columns or sort expressions (`col('x').desc()`); plain columns sort ascending, nulls first. */
  orderBy(...keys: (ColumnLike | readonly ColumnLike[])[]): DataFrame {
    const flat = keys.flat() as ColumnLike[];
    if (flat.length === 0) throw new PlanError('orderBy: give at least one key');
    const nodes = flat.map((k) => { const e = toColumn(k); return e.node.kind === 'sort' ? e.node : e.asc().node; });
    return this.next(sort(this.plan, nodes));
  }
  sort(...keys: (ColumnLike | readonly ColumnLike[])[]): DataFrame { return this.orderBy(...keys); }

  limit(n: number, offset = 0): DataFrame {
    if (!Number.isInteger(n) || n < 0) throw new PlanError(`limit: n must be a non-negative integer, got ${n}`);
    if (!Number.isInteger(offset) || offset < 0) throw new PlanError(`limit: offset must be a non-negative integer, got ${offset}`);
    return this.next(limit(this.plan, n, offset));
  }

  distinct(): DataFrame { return this.next(distinct(this.plan)); }

  /** UNION ALL by position (Spark's union); add .distinct() for SQL UNION. */
  union(...others: DataFrame[]): DataFrame {
    return this.next(union([this.plan, ...others.map((o) => o.plan)]));
  }
  unionAll(...others: DataFrame[]): DataFrame { return this.union(...others); }

  /** Rows in both, once each (SQL INTERSECT); columns by position, nulls equal. */
  intersect(other: DataFrame): DataFrame { return this.setOp('intersect', false, other); }
  /** Rows in both, each as often as in the side that has it fewer times (SQL INTERSECT ALL). */
  intersectAll(other: DataFrame): DataFrame { return this.setOp('intersect', true, other); }
  /** Rows of this one not in `other`, once each (SQL EXCEPT, Spark's subtract); nulls equal. */
  subtract(other: DataFrame): DataFrame { return this.setOp('except', false, other); }
  /** Rows of this one not in `other`, each as often as it is here more than there (SQL EXCEPT ALL). */
  exceptAll(other: DataFrame): DataFrame { return this.setOp('except', true, other); }

  private setOp(op: SetOperation, all: boolean, other: DataFrame): DataFrame {
    const name = op === 'intersect' ? (all ? 'intersectAll' : 'intersect') : all ? 'exceptAll' : 'subtract';
    if (!(other instanceof DataFrame)) throw new PlanError(`${name}: expected a DataFrame`);
    if (other.session !== this.session) throw new PlanError(`${name}: both DataFrames must come from the same Quiver session`);
    return this.next(setOperation(op, all, this.plan, other.plan));
  }

  /** Hash-partitions into n partitions by keys, or round-robin without keys. */
  repartition(n: number, ...keys: ColumnLike[]): DataFrame {
    if (!Number.isInteger(n) || n < 1) throw new PlanError(`repartition: n must be a positive integer, got ${n}`);
    return this.next(repartition(this.plan, n, keys.map((k) => toColumn(k).node)));
  }

  /**
   * Applies a user function to every batch on the workers. The function is referenced by
   * module and export name so that every worker loads the same code:
   * `df.mapBatches({ module: '/abs/path/udf.ts', export: 'addOne' }, { schema })`.
   * `schema` is the output schema (default: the input schema).
   */
  mapBatches(udf: UdfRef, opts: { schema?: readonly FieldJSON[]; options?: Record<string, unknown> } = {}): DataFrame {
    if (!udf || typeof udf.module !== 'string' || typeof udf.export !== 'string') {
      throw new PlanError("mapBatches: the UDF must be referenced as { module: '/path/to/module', export: 'name' }, not passed as a function");
    }
    return this.next(mapBatches(this.plan, udf, opts.schema ?? this.plan.schema, opts.options ?? {}));
  }

  /** Registers this DataFrame as a table named `name` for q.sql (replacing one of that name). */
  createOrReplaceTempView(name: string): void {
    this.session.catalog.register(name, this.plan);
  }

  /**
   * A random subset of the rows (Spark's sample): without replacement each row is kept with
   * probability `fraction` (Bernoulli); with replacement each row appears a Poisson(fraction)
   * number of times. The count is about fraction x rows, not exact. With a `seed` the same input
   * partitions give the same rows on every run; without one a random seed is fixed now, so
   * every action on this DataFrame (and every task retry) draws the same rows.
   */
  sample(fraction: number, opts: { withReplacement?: boolean; seed?: number } = {}): DataFrame {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
    return this.next(sample(this.plan, fraction, opts.withReplacement ?? false, seed));
  }

  // ---- caching ---------------------------------------------------------------------

  /**
   * Keeps this DataFrame's partitions once computed (Spark's cache()): the first job that
   * computes them stores them in the block stores (memory, spilling to disk), later jobs over
   * any DataFrame built on the returned one read them instead of computing again; a partition
   * lost with an executor is recomputed from lineage. Lazy, and the DataFrame MUST be the
   * returned one (DataFrames are immutable): `const c = df.cache()`.
   */
  cache(): DataFrame { return this.persist(); }

  /** cache(), naming it for the web UI's storage page (default: its top plan node). */
  persist(opts: { name?: string } = {}): DataFrame {
    if (this.plan.kind === 'cache' && this.session.isCached(this.plan.id)) return this;
    const input = this.plan.kind === 'cache' ? this.plan.input : this.plan;
    const name = opts.name ?? nodeToString(input).slice(0, 120);
    return this.next(cache(input, this.session.persist(name), name));
  }

  /** Whether this DataFrame is cached (persist() returned it and it was not unpersisted). */
  get isCached(): boolean { return this.plan.kind === 'cache' && this.session.isCached(this.plan.id); }

  /**
   * Drops the kept partitions (everywhere) and resolves to the DataFrame uncached: jobs over
   * this one compute it again, and keep nothing.
   */
  async unpersist(): Promise<DataFrame> {
    if (this.plan.kind !== 'cache') return this;
    await this.session.unpersist(this.plan.id);
    return this.next(this.plan.input);
  }

  // ---- actions ---------------------------------------------------------------------

  /**
   * Runs the dataflow and returns its result as an Arrow Table. A result over the session's
   * maxResultBytes (default 1 GiB) fails the job: stream it with toLocalIterator() or write it.
   */
  collect(): Promise<arrow.Table> { return this.session.execute(this.plan); }

  /**
   * Runs the dataflow and yields the result's record batches in order, fetched partition by
   * partition with `prefetch` partitions (default: the worker slots) computed ahead, so memory
   * stays bounded: `for await (const batch of df.toLocalIterator()) ...`. Breaking out of the
   * loop cancels the partitions not yet started.
   */
  toLocalIterator(options?: IterateOptions): AsyncGenerator<arrow.RecordBatch> { return this.session.iterate(this.plan, options); }

  /**
   * Runs the dataflow and returns plain row objects, one JS type per column type: numbers for
   * ints and floats (int64/uint64 too: a value beyond ±(2^53-1) is a DataError unless
   * `{ int64: 'bigint' }` asks for bigints), Date for date32 and timestamp_ms, Uint8Array for
   * binary, arrays for lists, null for null (see ToArrayOptions in show.ts).
   */
  async toArray(options?: ToArrayOptions): Promise<Record<string, unknown>[]> { return rowsOf(await this.collect(), options); }

  async count(): Promise<number> {
    const t = await this.session.execute(aggregate(this.plan, [], [fn.count().alias('count').node]));
    return Number(t.getChildAt(0)?.get(0) ?? 0);
  }

  async take(n: number): Promise<Record<string, unknown>[]> { return this.limit(n).toArray(); }
  async head(n = 1): Promise<Record<string, unknown>[]> { return this.take(n); }

  /** Prints the first n rows as a table. */
  async show(n = 20): Promise<void> {
    const t = await this.limit(n).collect();
    console.log(formatTable(t));
  }

  /** The logical, optimized and physical plans, as text. */
  explain(): Promise<string> { return this.session.explain(this.plan); }

  get write(): DataFrameWriter { return new DataFrameWriter(this); }

  /** Whether this DataFrame reads a stream (q.readStream): it then runs only through writeStream...start(). */
  get isStreaming(): boolean { return streamScansOf(this.plan).length > 0; }

  /** Starts a streaming query over this (streaming) DataFrame: df.writeStream.format('parquet').option('checkpointLocation', dir).start(out). */
  get writeStream(): DataStreamWriter { return new DataStreamWriter(this); }
}

/** `a AND b AND ...`; null for none. */
function conjoinAll(es: readonly ExprNode[]): ExprNode | null {
  return es.length === 0 ? null : es.reduce((a, b) => ({ kind: 'binary', op: 'and', left: a, right: b }));
}

export class GroupedData {
  constructor(readonly df: DataFrame, readonly keys: readonly ExprNode[]) {}

  /**
   * The group keys, then one column per expression. An expression is an aggregate
   * (`fn.sum('x')`) or any expression over aggregates, group keys and literals
   * (`fn.sum('a').div(fn.count())`, `col('k').add(fn.max('v'))`, `when(fn.sum('a').gt(0), 1).otherwise(0)`);
   * each distinct aggregate is computed once. A column outside an aggregate that is not a group
   * key is a PlanError.
   */
  agg(...aggs: (Expr | readonly Expr[])[]): DataFrame {
    const flat = aggs.flat() as Expr[];
    if (flat.length === 0 && this.keys.length === 0) throw new PlanError('agg: give at least one aggregate, e.g. fn.count()');
    for (const a of flat) if (!(a instanceof Expr)) throw new PlanError(`agg: expected an expression such as fn.sum('x'), got ${JSON.stringify(a)}`);
    return new DataFrame(this.df.session, aggregateExprs(this.df.plan, this.keys, flat.map((a) => a.node)));
  }
  count(): DataFrame { return this.agg(fn.count().alias('count')); }
  sum(c: string): DataFrame { return this.agg(fn.sum(c).alias(`sum(${c})`)); }
  avg(c: string): DataFrame { return this.agg(fn.avg(c).alias(`avg(${c})`)); }
  min(c: string): DataFrame { return this.agg(fn.min(c).alias(`min(${c})`)); }
  max(c: string): DataFrame { return this.agg(fn.max(c).alias(`max(${c})`)); }
}

export { exprName };
