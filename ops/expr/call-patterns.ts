// Compiles LIKE, ILIKE, RLIKE and IN calls: literal patterns and constant IN lists are prepared once, at compile time.
import type * as arrow from 'apache-arrow';
import { assertNever } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { nullData } from './bits.ts';
import { isConstNull, numberOf, stringOf, utf8BytesOf, type Node } from './compiled.ts';
import type { Coerce, Compile } from './functions.ts';
import { inList, makeInSet } from './in-list.ts';
import { likeKernel, likePatternRegExp, lowerTokens, parseLike, patternCache, rlikeRegExp, testStrings } from './like.ts';
import type { ExprNode, PatternFn } from './node.ts';
import { changeCase } from './strings.ts';

const node = (type: TypeJSON, evaluate: (b: arrow.RecordBatch) => arrow.Data): Node => ({ type, constant: null, evaluate });
const nulls = (type: TypeJSON): Node => node(type, (b) => nullData(type, b.numRows));

export function compilePatternCall(e: ExprNode & { kind: 'call'; fn: PatternFn }, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  if (e.fn === 'in') return compileIn(e, compile, coerce, out);
  const a = compile(e.args[0]);
  const p = compile(e.args[1]);
  if (a.type === 'null' || p.type === 'null' || isConstNull(p)) return nulls(out);
  const fn = e.fn;
  switch (fn) {
    case 'like': case 'ilike': {
      const escape = e.args.length > 2 ? (stringOf(compile(e.args[2])) ?? '') : '\\';
      const lower = fn === 'ilike';
      const str = lower ? (b: arrow.RecordBatch) => changeCase(a.evaluate(b), false) : (b: arrow.RecordBatch) => a.evaluate(b);
      if (p.constant) {
        const tokens = parseLike(stringOf(p)!, escape);
        const k = likeKernel(lower ? lowerTokens(tokens) : tokens);
        return node(out, (b) => k(str(b)));
      }
      const reOf = patternCache((x) => likePatternRegExp(x, escape, lower), fn.toUpperCase());
      return node(out, (b) => testStrings(str(b), p.evaluate(b), reOf));
    }
    case 'rlike': {
      if (p.constant) {
        const re = rlikeRegExp(stringOf(p)!);
        return node(out, (b) => testStrings(a.evaluate(b), null, () => re));
      }
      const reOf = patternCache(rlikeRegExp, 'RLIKE');
      return node(out, (b) => testStrings(a.evaluate(b), p.evaluate(b), reOf));
    }
  }
  return assertNever(fn, 'pattern function');
}

/** x IN (...): constant values go into one hash set; any others are compared row by row. */
function compileIn(e: ExprNode & { kind: 'call' }, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  const x = compile(e.args[0]);
  if (x.type === 'null' || isConstNull(x)) return nulls(out);
  const utf8 = x.type === 'utf8' || x.type === 'binary';
  const values = e.args.slice(1).map(compile);
  const constants = values.filter((v) => v.constant !== null);
  const set = makeInSet(utf8, constants.map((v) => (isConstNull(v) ? null : utf8 ? utf8BytesOf(v) : numberOf(v))));
  // Null-typed columns carry no bytes or numbers of their own: give them x's type.
  const others = values.filter((v) => v.constant === null).map((v) => (v.type === 'null' ? coerce(v, x.type) : v));
  return node(out, (b) => inList(x.evaluate(b), set, others.map((o) => o.evaluate(b))));
}
