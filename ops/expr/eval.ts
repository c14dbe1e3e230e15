// Vectorized expression evaluation: compileExpr turns an ExprNode into a per-batch evaluator.
import * as arrow from 'apache-arrow';
import { InternalError, assertNever } from '../errors.ts';
import { makeBatch } from '../compute/batch.ts';
import { takeData } from '../compute/take.ts';
import { fromArrowSchema, toArrowType, typeEquals, type FieldJSON, type TypeJSON } from '../types.ts';
import { columnsOf, containsUdf, exprToString, type ExprNode } from './node.ts';
import { compileUdf } from './udf.ts';
import { inferField, typeOf } from './typecheck.ts';
import { arith, arithScalar, unaryMath } from './arith.ts';
import { nullData } from './bits.ts';
import { castData } from './cast.ts';
import { compareNumbers, compareNumberScalar, compareUtf8, compareUtf8Scalar, flipCmp, isNull, logic, not, type CmpOp } from './compare.ts';
import { compileCall } from './functions.ts';
import { compileCase } from './select.ts';
import { isConstNull, numberOf, utf8BytesOf, type Node } from './compiled.ts';
import { literalData } from './literal.ts';

/**
 * A compiled expression. `evaluate` MUST return Data of exactly `field.type` with length
 * batch.numRows; operators build their output batches from it without checking.
 */
export interface CompiledExpr {
  readonly field: arrow.Field;
  evaluate(batch: arrow.RecordBatch): arrow.Data;
}

/**
 * Compiles `e` against `schema` once (type check, column indices, kernel choice, constant
 * folding); evaluate then runs vectorized kernels per batch. Aggregate and sort nodes are
 * evaluated by their operators, never here (InternalError).
 */
export function compileExpr(e: ExprNode, schema: arrow.Schema): CompiledExpr {
  const fields = fromArrowSchema(schema);
  const f = inferField(e, fields);
  const node = compileNode(e, { fields, schema });
  let inner = e;
  while (inner.kind === 'alias') inner = inner.arg;
  // A column reference keeps the exact Arrow type of its input (child names, time zones).
  const type = inner.kind === 'column' ? schema.fields[schema.fields.findIndex((x) => x.name === inner.name)].type : toArrowType(f.type);
  const field = new arrow.Field(f.name, type, f.nullable);
  return { field, evaluate: (batch) => node.evaluate(batch) };
}

export interface Ctx {
  readonly fields: readonly FieldJSON[];
  readonly schema: arrow.Schema;
}

const ONE_ROW = makeBatch(new arrow.Schema([]), [], 1);

/** Compiles a sub-expression; expressions that read no column (and call no user code) are folded to constants. */
export function compileNode(e: ExprNode, ctx: Ctx): Node {
  const node = build(e, ctx);
  if (node.constant || e.kind === 'agg' || e.kind === 'sort' || columnsOf(e).size > 0 || containsUdf(e)) return node;
  return constNode(node.type, node.evaluate(ONE_ROW));
}

/** A constant: a 1-row value broadcast to each batch's length (cached per length). */
export function constNode(type: TypeJSON, unit: arrow.Data): Node {
  let cached: arrow.Data | null = null;
  return {
    type,
    constant: unit,
    evaluate(batch) {
      const n = batch.numRows;
      if (cached === null || cached.length !== n) cached = takeData(unit, new Int32Array(n));
      return cached;
    },
  };
}

function build(e: ExprNode, ctx: Ctx): Node {
  switch (e.kind) {
    case 'column': {
      const idx = ctx.schema.fields.findIndex((f) => f.name === e.name);
      const type = typeOf(e, ctx.fields).type;
      return { type, constant: null, evaluate: (batch) => batch.data.children[idx] };
    }
    case 'literal': return constNode(e.type, literalData(e.value, e.type));
    case 'alias': return compileNode(e.arg, ctx);
    case 'binary': return buildBinary(e, ctx);
    case 'unary': {
      const a = compileNode(e.arg, ctx);
      const op = e.op;
      switch (op) {
        case 'isNull': return map('bool', a, (d) => isNull(d, false));
        case 'isNotNull': return map('bool', a, (d) => isNull(d, true));
        case 'not': return map('bool', coerce(a, 'bool'), not);
        case 'negate': {
          const t = typeOf(e, ctx.fields).type;
          return map(t, a, (d) => unaryMath('negate', t, d));
        }
        default: return assertNever(op, 'unary op');
      }
    }
    case 'cast': {
      const a = compileNode(e.arg, ctx);
      return coerce(a, e.to);
    }
    case 'call': return compileCall(e, (x) => compileNode(x, ctx), coerce, typeOf(e, ctx.fields).type);
    case 'udf': return compileUdf(e, e.args.map((x) => compileNode(x, ctx)));
    case 'case': return compileCase(e, (x) => compileNode(x, ctx), coerce, typeOf(e, ctx.fields).type);
    case 'agg': case 'sort':
      throw new InternalError(`${e.kind} expression ${exprToString(e)} reached the scalar evaluator; the ${e.kind === 'agg' ? 'aggregate' : 'sort'} operator evaluates it`);
    case 'windowFn': case 'over':
      throw new InternalError(`window expression ${exprToString(e)} reached the scalar evaluator; WindowExec evaluates it`);
    case 'subquery': case 'outerRef':
      throw new InternalError(`invariant violated: ${exprToString(e)} reached the evaluator; the optimizer's decorrelation rules turn every subquery into a join (this is a bug)`);
  }
  return assertNever(e, 'expression');
}

/** A node applying `f` to one input's Data. */
export function map(type: TypeJSON, a: Node, f: (d: arrow.Data) => arrow.Data): Node {
  return { type, constant: null, evaluate: (batch) => f(a.evaluate(batch)) };
}

/** `a` cast to `to` (unchanged when already of that type). */
export function coerce(a: Node, to: TypeJSON): Node {
  if (typeEquals(a.type, to)) return a;
  const from = a.type;
  if (a.constant) return constNode(to, castData(a.constant, from, to));
  return map(to, a, (d) => castData(d, from, to));
}

function allNull(type: TypeJSON): Node {
  return constNode(type, nullData(type, 1));
}

function buildBinary(e: ExprNode & { kind: 'binary' }, ctx: Ctx): Node {
  const l = compileNode(e.left, ctx), r = compileNode(e.right, ctx);
  const out = typeOf(e, ctx.fields).type;
  switch (e.op) {
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
      if (isConstNull(l) || isConstNull(r)) return allNull(out);
      const op = e.op;
      // A constant operand stays a number: no column of copies of it.
      if (r.constant && !l.constant) { const s = numberOf(r); return { type: out, constant: null, evaluate: (b) => arithScalar(op, out, l.evaluate(b), s, false) }; }
      if (l.constant && !r.constant) { const s = numberOf(l); return { type: out, constant: null, evaluate: (b) => arithScalar(op, out, r.evaluate(b), s, true) }; }
      return { type: out, constant: null, evaluate: (b) => arith(op, out, l.evaluate(b), r.evaluate(b)) };
    }
    case 'eq': case 'neq': case 'lt': case 'lte': case 'gt': case 'gte':
      return buildCompare(e.op, l, r);
    case 'and': case 'or': {
      const op = e.op;
      const lb = coerce(l, 'bool'), rb = coerce(r, 'bool');
      return { type: 'bool', constant: null, evaluate: (b) => logic(op, lb.evaluate(b), rb.evaluate(b)) };
    }
  }
  return assertNever(e.op, 'binary op');
}

function buildCompare(op: CmpOp, l: Node, r: Node): Node {
  if (l.type === 'null' || r.type === 'null' || isConstNull(l) || isConstNull(r)) return allNull('bool');
  const node = (f: (b: arrow.RecordBatch) => arrow.Data): Node => ({ type: 'bool', constant: null, evaluate: f });
  if (l.type === 'utf8' || l.type === 'binary') {
    if (r.constant) { const lit = utf8BytesOf(r); return node((b) => compareUtf8Scalar(op, l.evaluate(b), lit)); }
    if (l.constant) { const lit = utf8BytesOf(l); const f = flipCmp(op); return node((b) => compareUtf8Scalar(f, r.evaluate(b), lit)); }
    return node((b) => compareUtf8(op, l.evaluate(b), r.evaluate(b)));
  }
  if (r.constant) { const s = numberOf(r); return node((b) => compareNumberScalar(op, l.evaluate(b), s)); }
  if (l.constant) { const s = numberOf(l); const f = flipCmp(op); return node((b) => compareNumberScalar(f, r.evaluate(b), s)); }
  return node((b) => compareNumbers(op, l.evaluate(b), r.evaluate(b)));
}
