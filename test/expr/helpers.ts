// Test helpers: build batches from JS columns and read evaluated Data back as JS values.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../../ops/compute/batch.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import type { ExprNode, LiteralValue } from '../../ops/expr/node.ts';
import { toArrowType, type TypeJSON } from '../../ops/types.ts';

export type Cols = Record<string, { type: TypeJSON; values: unknown[] }>;

/** A batch with one column per entry; int64/timestamp values may be numbers. */
export function batchOf(cols: Cols): arrow.RecordBatch {
  const fields: arrow.Field[] = [];
  const data: arrow.Data[] = [];
  for (const [name, c] of Object.entries(cols)) {
    const type = toArrowType(c.type);
    const vals = c.values.map((v) => (v !== null && typeof v === 'number' && (c.type === 'int64' || c.type === 'uint64' || c.type === 'timestamp_ms') ? BigInt(v) : v));
    const vec = arrow.vectorFromArray(vals as any[], type as any);
    fields.push(new arrow.Field(name, type, true));
    data.push(vec.data.length === 1 ? vec.data[0] : arrow.makeVector(vec.data).data[0]);
  }
  return makeBatch(new arrow.Schema(fields), data, c0(cols));
}

function c0(cols: Cols): number {
  const v = Object.values(cols);
  return v.length ? v[0].values.length : 0;
}

/** JS values of a Data (bigint -> number, dates as day numbers, lists as arrays, structs as objects, maps as Maps). */
export function valuesOf(d: arrow.Data): unknown[] {
  const v = arrow.makeVector(d);
  const out: unknown[] = [];
  for (let i = 0; i < d.length; i++) out.push(norm(v.get(i), d.type));
  return out;
}

function norm(x: unknown, t: arrow.DataType): unknown {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint') return Number(x);
  if (t.typeId === arrow.Type.Date) return Math.round(Number(x) / 86_400_000);
  if (t.typeId === arrow.Type.List || t.typeId === arrow.Type.FixedSizeList) {
    const child = (t as arrow.List).children[0].type;
    return Array.from(x as Iterable<unknown>, (y) => norm(y, child));
  }
  if (t.typeId === arrow.Type.Struct) {
    return Object.fromEntries((t as arrow.Struct).children.map((f) => [f.name, norm((x as Record<string, unknown>)[f.name], f.type)]));
  }
  if (t.typeId === arrow.Type.Map) {
    const [k, v] = (t as arrow.Map_).children[0].type.children as arrow.Field[];
    return new Map(Array.from(x as Iterable<[unknown, unknown]>, ([a, b]) => [norm(a, k.type), norm(b, v.type)]));
  }
  return x;
}

/** Evaluates `e` over `batch` and returns the JS values, checking the output contract. */
export function run(e: ExprNode, batch: arrow.RecordBatch): unknown[] {
  const c = compileExpr(e, batch.schema);
  const d = c.evaluate(batch);
  if (d.length !== batch.numRows) throw new Error(`length ${d.length} != ${batch.numRows}`);
  if (String(d.type) !== String(c.field.type)) throw new Error(`type ${String(d.type)} != field ${String(c.field.type)}`);
  return valuesOf(d);
}

export const col = (name: string): ExprNode => ({ kind: 'column', name });
export const lit = (value: LiteralValue, type: TypeJSON): ExprNode => ({ kind: 'literal', value, type });
export const bin = (op: (ExprNode & { kind: 'binary' })['op'], left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });
export const un = (op: (ExprNode & { kind: 'unary' })['op'], arg: ExprNode): ExprNode => ({ kind: 'unary', op, arg });
export const call = (fn: (ExprNode & { kind: 'call' })['fn'], ...args: ExprNode[]): ExprNode => ({ kind: 'call', fn, args });
export const cast = (arg: ExprNode, to: TypeJSON): ExprNode => ({ kind: 'cast', arg, to });
export const alias = (arg: ExprNode, name: string): ExprNode => ({ kind: 'alias', arg, name });
