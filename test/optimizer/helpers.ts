// Test helpers for the optimizer: plan builders, schema signatures, JSON rebuild, row batches.
import * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { makeBatch } from '../../ops/compute/batch.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import type { ExprNode, LiteralValue } from '../../ops/expr/node.ts';
import { toArrowType, typeToString, type FieldJSON, type TypeJSON } from '../../ops/types.ts';
import { planChildren, type LogicalPlan } from '../../core/plan/node.ts';
import { scan, type SourceSpec } from '../../core/plan/scan.ts';
import { values } from '../../core/plan/values.ts';
import { rebuildNode } from '../../core/optimizer/rebuild.ts';

export const f = (name: string, type: TypeJSON, nullable = true): FieldJSON => ({ name, type, nullable });

export const source = (path: string, totalBytes: number): SourceSpec => ({ format: 'csv', paths: [path], options: { totalBytes } });

/** The brief's standard big table: /x.csv with a: int32, b: utf8, c: float64, d: bool; 1 GB. */
export const X_FIELDS: readonly FieldJSON[] = [f('a', 'int32'), f('b', 'utf8'), f('c', 'float64'), f('d', 'bool')];
export const xScan = (bytes = 1e9): LogicalPlan => scan(source('/x.csv', bytes), X_FIELDS);

/** A predict spec over column `a` (the plan node does not check types; the DataFrame does). */
export const PREDICT_SPEC = {
  modelPath: '/models/m', modelName: 'm', modelSha256: 'ab'.repeat(32), modelJsonSha256: 'cd'.repeat(32), inputCol: 'a', device: 'auto', batchSize: 256, topK: 2, numClasses: 10,
} as const;

/** A small in-memory table: k: int32, v: utf8, w: int64. */
export const Y_FIELDS: readonly FieldJSON[] = [f('k', 'int32'), f('v', 'utf8'), f('w', 'int64')];
export const yValues = (bytes = 1_000, rows = 10): LogicalPlan => values('y', Y_FIELDS, 1, rows, bytes);

export const col = (name: string): ExprNode => ({ kind: 'column', name });
export const lit = (value: LiteralValue, type?: TypeJSON): ExprNode => ({
  kind: 'literal', value,
  type: type ?? (value === null ? 'null' : typeof value === 'boolean' ? 'bool' : typeof value === 'string' ? 'utf8' : Number.isInteger(value) ? 'int32' : 'float64'),
});
type BinOp = (ExprNode & { kind: 'binary' })['op'];
export const bin = (op: BinOp, left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });
export const gt = (a: ExprNode, b: ExprNode): ExprNode => bin('gt', a, b);
export const eq = (a: ExprNode, b: ExprNode): ExprNode => bin('eq', a, b);
export const and = (a: ExprNode, b: ExprNode): ExprNode => bin('and', a, b);
export const or = (a: ExprNode, b: ExprNode): ExprNode => bin('or', a, b);
export const add = (a: ExprNode, b: ExprNode): ExprNode => bin('add', a, b);
export const alias = (arg: ExprNode, name: string): ExprNode => ({ kind: 'alias', arg, name });
export const asc = (arg: ExprNode): ExprNode => ({ kind: 'sort', arg, ascending: true, nullsFirst: true });
export const agg = (fn: (ExprNode & { kind: 'agg' })['fn'], arg: ExprNode | null, name?: string): ExprNode => {
  const e: ExprNode = { kind: 'agg', fn, arg };
  return name ? alias(e, name) : e;
};

/** Output columns as `name: type`, the part of a schema the optimizer must keep exactly. */
export const sig = (p: LogicalPlan): string[] => p.schema.map((x) => `${x.name}: ${typeToString(x.type)}`);

export function expectSchemaKept(before: LogicalPlan, after: LogicalPlan): void {
  expect(sig(after)).toEqual(sig(before));
  // Nullability may narrow, never widen.
  after.schema.forEach((x, i) => { if (x.nullable) expect(before.schema[i].nullable).toBe(true); });
}

/** Rebuilds a plan received as JSON through the constructors (schemas derived again). */
export function planFromJSON(json: unknown): LogicalPlan {
  const node = json as LogicalPlan;
  return rebuildNode(node, planChildren(node).map(planFromJSON));
}

export const roundTrip = (p: LogicalPlan): LogicalPlan => planFromJSON(JSON.parse(JSON.stringify(p)));

/** Every node kind in a plan (for coverage assertions). */
export function kindsOf(p: LogicalPlan, out = new Set<string>()): Set<string> {
  out.add(p.kind);
  for (const c of planChildren(p)) kindsOf(c, out);
  return out;
}

export type Row = Record<string, LiteralValue>;

const BIG = new Set<TypeJSON>(['int64', 'uint64', 'timestamp_ms']);

/** A batch of `rows` with `fields` (int64 given as numbers). */
export function batchOfRows(fields: readonly FieldJSON[], rows: readonly Row[]): arrow.RecordBatch {
  const schema = new arrow.Schema(fields.map((x) => new arrow.Field(x.name, toArrowType(x.type), true)));
  const data = fields.map((x) => {
    const vals = rows.map((r) => {
      const v = r[x.name] ?? null;
      return v !== null && BIG.has(x.type) ? BigInt(v as number) : v;
    });
    const vec = arrow.vectorFromArray(vals as any[], toArrowType(x.type) as any);
    return vec.data.length === 1 ? vec.data[0] : arrow.makeVector(vec.data).data[0];
  });
  return makeBatch(schema, data, rows.length);
}

/** JS values of evaluated Data (bigint -> number). */
export function jsValues(d: arrow.Data): LiteralValue[] {
  const v = arrow.makeVector(d);
  const out: LiteralValue[] = [];
  for (let i = 0; i < d.length; i++) {
    const x = v.get(i);
    out.push(x === null || x === undefined ? null : typeof x === 'bigint' ? Number(x) : x as LiteralValue);
  }
  return out;
}

/** Evaluates `e` on every row with the runtime's vectorized evaluator. */
export function evalRows(e: ExprNode, fields: readonly FieldJSON[], rows: readonly Row[]): LiteralValue[] {
  const batch = batchOfRows(fields, rows);
  return jsValues(compileExpr(e, batch.schema).evaluate(batch));
}
