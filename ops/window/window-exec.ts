// WindowExec: window functions and frame aggregates over a child sorted by partition keys, then order keys.
import * as arrow from 'apache-arrow';
import { concatBatches, makeBatch } from '../compute/batch.ts';
import { InternalError, PlanError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { compileExpr } from '../expr/eval.ts';
import { exprName, exprToString, windowExprBrief, type ExprNode } from '../expr/node.ts';
import { typeOf } from '../expr/typecheck.ts';
import { windowExprType } from '../expr/typecheck-window.ts';
import { effectiveFrame, type WindowFrame, type WindowFnName } from '../expr/window-spec.ts';
import { compareRows, compileSortKeys, keyColumn, KeyTag, keysToString, type CompiledSortKeys } from '../sort/sort-keys.ts';
import { fromArrowSchema, isInteger, toArrowType, type TypeJSON } from '../types.ts';
import { frameAggregate, type FrameAggFn } from './frame-aggregates.ts';
import { frameBounds, peersOf, segmentsOf, type RangeKey } from './frames.ts';
import { rankFunction } from './rank-functions.ts';

export interface WindowOptions {
  /** Partition keys (plain expressions). */
  readonly partitionBy: readonly ExprNode[];
  /** Order keys (`sort` nodes). */
  readonly orderBy: readonly ExprNode[];
  /** Each `over(...)`, optionally aliased, with this partitionBy and orderBy. */
  readonly exprs: readonly ExprNode[];
}

type Over = ExprNode & { kind: 'over' };

/** One window expression, compiled against the child's schema. */
interface Compiled {
  readonly run: (batch: arrow.RecordBatch, ctx: Shared) => arrow.Data;
  readonly field: arrow.Field;
}

/** What every expression of one chunk shares: its window partitions and peer groups. */
type Shared = ReturnType<typeof shared>;

function shared(batch: arrow.RecordBatch, part: CompiledSortKeys, order: CompiledSortKeys) {
  const n = batch.numRows;
  const segments = segmentsOf(part.evaluate(batch), part.orders, n);
  const peers = peersOf(segments, order.evaluate(batch), order.orders, n);
  return { n, segments, peers };
}

const ONE_ROW = makeBatch(new arrow.Schema([]), [], 1);

const typeOfExpr = (e: ExprNode, fields: ReturnType<typeof fromArrowSchema>): TypeJSON => typeOf(e, fields).type;

/**
 * Appends one column per window expression to the child's rows. The child MUST deliver each
 * partition's rows sorted by (partitionBy, orderBy), every window partition within one task
 * (the physical planner shuffles by the partition keys and sorts). Rows are buffered until
 * their window partition ends (a key change, or the end of input), so one window partition
 * MUST fit in memory; then every expression is computed over it in one pass and the rows come
 * out in their input order, in batches of ctx.batchSize. Ties in the order keep input order,
 * so row_number() is deterministic only when the order keys are unique.
 */
export class WindowExec implements ExecPlan {
  readonly name = 'WindowExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly part: CompiledSortKeys;
  private readonly order: CompiledSortKeys;
  private readonly compiled: Compiled[];

  constructor(readonly opts: WindowOptions, readonly child: ExecPlan) {
    if (opts.exprs.length === 0) throw new PlanError('WindowExec: needs at least one window expression');
    this.children = [child];
    const input = child.schema;
    this.part = compileSortKeys(opts.partitionBy.map((k): ExprNode => ({ kind: 'sort', arg: k, ascending: true, nullsFirst: true })), input);
    this.order = compileSortKeys(opts.orderBy, input);
    this.compiled = opts.exprs.map((e) => this.compile(e, input));
    this.schema = new arrow.Schema([...input.fields, ...this.compiled.map((c) => c.field)]);
  }

  display(): string {
    return `WindowExec: partitionBy=[${this.opts.partitionBy.map(exprToString).join(', ')}] orderBy=${keysToString(this.opts.orderBy)} [${this.opts.exprs.map(windowExprBrief).join(', ')}]`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const batchSize = Math.max(1, ctx.batchSize);
    const child = this.child.schema;
    let pending: arrow.RecordBatch[] = [];
    for await (const b of this.child.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      if (b.numRows === 0) continue;
      const cut = this.lastPartitionStart(pending, b);
      if (cut === null) { pending.push(b); continue; }
      const done = cut > 0 ? [...pending, b.slice(0, cut)] : pending;
      pending = [b.slice(cut, b.numRows)];
      if (done.length) yield* this.compute(concatBatches(child, done), batchSize);
    }
    if (pending.length) yield* this.compute(concatBatches(child, pending), batchSize);
  }

  /**
   * Where the last window partition of `b` starts, when rows before it (in `pending` and `b`)
   * form complete partitions; null when all of `b` continues the partition `pending` ends with.
   */
  private lastPartitionStart(pending: readonly arrow.RecordBatch[], b: arrow.RecordBatch): number | null {
    if (this.opts.partitionBy.length === 0) return null;
    const keys = this.part.evaluate(b);
    const orders = this.part.orders;
    const n = b.numRows;
    const same = (i: number) => compareRows(orders, keys, i, keys, n - 1) === 0;
    let s = n - 1;
    while (s > 0 && same(s - 1)) s--;
    if (s > 0) return s;
    if (pending.length === 0) return 0;
    const last = pending[pending.length - 1];
    const lk = this.part.evaluate(last.slice(last.numRows - 1, last.numRows));
    return compareRows(orders, lk, 0, keys, 0) === 0 ? null : 0;
  }

  private *compute(batch: arrow.RecordBatch, batchSize: number): Generator<arrow.RecordBatch> {
    const s = shared(batch, this.part, this.order);
    const cols = this.compiled.map((c) => c.run(batch, s));
    const out = makeBatch(this.schema, [...batch.data.children, ...cols], s.n);
    for (let i = 0; i < s.n; i += batchSize) yield i === 0 && s.n <= batchSize ? out : out.slice(i, Math.min(s.n, i + batchSize));
  }

  private compile(e: ExprNode, input: arrow.Schema): Compiled {
    const o: Over = (e.kind === 'alias' ? e.arg : e) as Over;
    if (o.kind !== 'over') throw new PlanError(`WindowExec: ${exprToString(e)} is not a window expression`);
    const fields = fromArrowSchema(input);
    const t = windowExprType(o, fields);
    const name = exprName(e);
    const a = o.arg;
    if (a.kind === 'windowFn') return this.compileRank(a.fn, a.args, name, t.type, input);
    if (a.kind !== 'agg') throw new InternalError(`window argument ${exprToString(a)} passed the type check`);
    const fn = a.fn as FrameAggFn;
    const frame = effectiveFrame(o.spec);
    const rangeKey = this.rangeKeyOf(frame, input);
    let arg: ReturnType<typeof compileExpr> | null = null;
    if (a.arg !== null) {
      // Sums run over exact int64 or over float64 (see frame-aggregates.ts).
      const sumAs = isInteger(typeOfExpr(a.arg, fields)) ? 'int64' : 'float64';
      arg = compileExpr(fn === 'sum' || fn === 'avg' ? { kind: 'cast', arg: a.arg, to: sumAs } : a.arg, input);
    }
    const type = fn === 'min' || fn === 'max' || fn === 'first' || fn === 'last' ? arg!.field.type : toArrowType(t.type);
    return {
      field: new arrow.Field(name, type, t.nullable),
      run: (batch, s) => {
        const bounds = frameBounds(frame, s.segments, s.peers, rangeKey ? rangeKey(batch) : null, s.n);
        return frameAggregate(fn, arg ? arg.evaluate(batch) : null, s.segments, bounds, s.n);
      },
    };
  }

  private compileRank(fn: WindowFnName, args: readonly ExprNode[], name: string, type: TypeJSON, input: arrow.Schema): Compiled {
    const literal = (x: ExprNode) => (x.kind === 'literal' && typeof x.value === 'number' ? x.value : 0);
    if (fn === 'lag' || fn === 'lead') {
      const value = compileExpr(args[0], input);
      const dflt = compileExpr({ kind: 'cast', arg: args[2], to: fromArrowSchema(new arrow.Schema([value.field]))[0].type }, new arrow.Schema([])).evaluate(ONE_ROW);
      const param = literal(args[1]);
      return {
        field: new arrow.Field(name, value.field.type, true),
        run: (batch, s) => rankFunction(fn, s.segments, s.peers, s.n, { param, value: value.evaluate(batch), dflt }),
      };
    }
    const param = fn === 'ntile' ? literal(args[0]) : 0;
    return {
      field: new arrow.Field(name, toArrowType(type), false),
      run: (_batch, s) => rankFunction(fn, s.segments, s.peers, s.n, { param, value: null, dflt: null }),
    };
  }

  /** RANGE frames with value offsets read the one order key as numbers; other frames need none. */
  private rangeKeyOf(frame: WindowFrame, input: arrow.Schema): ((b: arrow.RecordBatch) => RangeKey) | null {
    const offset = (x: WindowFrame['start']) => x !== 'unbounded' && x !== 0;
    if (frame.unit !== 'range' || !(offset(frame.start) || offset(frame.end))) return null;
    const k = this.opts.orderBy[0];
    const ascending = k.kind === 'sort' ? k.ascending : true;
    const c = compileExpr(k.kind === 'sort' ? k.arg : k, input);
    return (b) => {
      const kc = keyColumn(c.evaluate(b));
      if (kc.tag === KeyTag.F64) return { values: kc.values, valid: kc.valid, ascending };
      if (kc.tag === KeyTag.Big) return { values: Float64Array.from(kc.values, Number), valid: kc.valid, ascending };
      return { values: new Float64Array(b.numRows), valid: kc.valid, ascending };
    };
  }
}
