// Scalar function dispatch (call nodes): picks string, list and math kernels at compile time.
import type * as arrow from 'apache-arrow';
import { assertNever, InternalError } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { round, unaryMath } from './arith.ts';
import { nullData } from './bits.ts';
import { isConstNull, numberOf, stringOf, utf8BytesOf, type Node } from './compiled.ts';
import { isDateFn, isNestedFn, isPatternFn, type ExprNode } from './node.ts';
import { compileDateCall } from './call-dates.ts';
import { compilePatternCall } from './call-patterns.ts';
import { compileNestedCall } from './call-nested.ts';
import { compileCoalesce } from './select.ts';
import { sequenceList } from './sequence.ts';
import { listAt, splitAt, splitList, splitPerRow } from './split.ts';
import { changeCase, charLength, concatUtf8, matchBytes, regexpExtract, substr, trimSpaces } from './strings.ts';

/** Compiles a sub-expression (eval.ts's compileNode, passed in to keep imports one-way). */
export type Compile = (e: ExprNode) => Node;

/** Converts a node to another type (eval.ts's coerce). */
export type Coerce = (n: Node, to: TypeJSON) => Node;

const unwrap = (e: ExprNode): ExprNode => (e.kind === 'alias' ? unwrap(e.arg) : e);

/** A node that is all null of `type`. */
function nulls(type: TypeJSON): Node {
  return { type, constant: null, evaluate: (b) => nullData(type, b.numRows) };
}

function node(type: TypeJSON, evaluate: (b: arrow.RecordBatch) => arrow.Data): Node {
  return { type, constant: null, evaluate };
}

export function compileCall(e: ExprNode & { kind: 'call' }, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  const fn = e.fn;
  if (fn === 'at') return compileAt(e, compile, out);
  if (fn === 'coalesce') return compileCoalesce(e.args.map(compile), coerce, out);
  if (isPatternFn(fn)) return compilePatternCall({ ...e, fn }, compile, coerce, out);
  if (isDateFn(fn)) return compileDateCall({ ...e, fn }, compile, coerce, out);
  if (isNestedFn(fn)) return compileNestedCall({ ...e, fn }, compile, coerce, out);
  const args = e.args.map(compile);
  // Every other function is null when an argument has the null type (or a null literal).
  if (fn !== 'concat' && args.some((a) => a.type === 'null')) return nulls(out);
  const [a, b, c] = args;
  switch (fn) {
    case 'split': {
      if (b.constant) {
        if (isConstNull(b)) return nulls(out);
        const sep = utf8BytesOf(b);
        return node(out, (batch) => splitList(a.evaluate(batch), sep));
      }
      return node(out, (batch) => splitPerRow(a.evaluate(batch), b.evaluate(batch)));
    }
    case 'lower': case 'upper': {
      const up = fn === 'upper';
      return node(out, (batch) => changeCase(a.evaluate(batch), up));
    }
    case 'length': return node(out, (batch) => charLength(a.evaluate(batch)));
    case 'trim': return node(out, (batch) => trimSpaces(a.evaluate(batch)));
    case 'startsWith': case 'endsWith': case 'contains': {
      if (b.constant) {
        if (isConstNull(b)) return nulls(out);
        const lit = utf8BytesOf(b);
        return node(out, (batch) => matchBytes(fn, a.evaluate(batch), null, lit));
      }
      return node(out, (batch) => matchBytes(fn, a.evaluate(batch), b.evaluate(batch), new Uint8Array(0)));
    }
    case 'substr':
      return node(out, (batch) => substr(a.evaluate(batch), b.evaluate(batch), c ? c.evaluate(batch) : null));
    case 'regexpExtract': {
      const pattern = stringOf(b);
      if (pattern === null) return nulls(out);
      const group = c ? numberOf(c) : 1;
      if (group !== group) return nulls(out);
      const re = new RegExp(pattern);
      return node(out, (batch) => regexpExtract(a.evaluate(batch), re, group));
    }
    case 'concat': {
      const parts = args.map((x) => coerce(x, 'utf8'));
      return node(out, (batch) => concatUtf8(parts.map((p) => p.evaluate(batch)), batch.numRows));
    }
    case 'sequence': {
      const from = coerce(a, 'int32'), to = coerce(b, 'int32');
      return node(out, (batch) => sequenceList(from.evaluate(batch), to.evaluate(batch)));
    }
    case 'abs': case 'floor': case 'ceil': case 'sqrt': case 'exp': case 'ln':
      return node(out, (batch) => unaryMath(fn, out, a.evaluate(batch)));
    case 'round': {
      const digits = b ? numberOf(b) : 0;
      if (digits !== digits) return nulls(out);
      return node(out, (batch) => round(out, a.evaluate(batch), digits));
    }
    case 'explode': case 'posexplode': case 'explodeOuter': case 'posexplodeOuter':
      throw new InternalError(`${fn} reached the scalar evaluator; a Generate node evaluates it`);
  }
  return assertNever(fn, 'function');
}

/** at(list, i), with the fused byte-level path for at(split(str, 'literal'), literal). */
function compileAt(e: ExprNode & { kind: 'call' }, compile: Compile, out: TypeJSON): Node {
  const inner = unwrap(e.args[0]);
  const index = compile(e.args[1]);
  if (inner.kind === 'call' && inner.fn === 'split' && index.constant && !isConstNull(index)) {
    const str = compile(inner.args[0]);
    const sep = compile(inner.args[1]);
    if (sep.constant && str.type === 'utf8') {
      if (isConstNull(sep)) return nulls(out);
      const bytes = utf8BytesOf(sep);
      const k = numberOf(index);
      return node(out, (batch) => splitAt(str.evaluate(batch), bytes, k));
    }
  }
  const list = compile(e.args[0]);
  if (list.type === 'null' || index.type === 'null' || isConstNull(index)) return nulls(out);
  return node(out, (batch) => listAt(list.evaluate(batch), index.evaluate(batch)));
}
