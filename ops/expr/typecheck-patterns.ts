// Plan-time typing of LIKE, ILIKE, RLIKE and IN: argument types, literal patterns checked once.
import { PlanError } from '../errors.ts';
import { typeToString, type TypeJSON } from '../types.ts';
import { parseLike, rlikeRegExp } from './like.ts';
import { exprToString, type PatternFn } from './node.ts';
import type { CallChecks, CallOf, Typed } from './typecheck.ts';

const isStrish = (t: TypeJSON) => t === 'utf8' || t === 'null';

export function patternCallType(e: CallOf<PatternFn>, c: CallChecks): Typed {
  const a = c.args;
  switch (e.fn) {
    case 'like': case 'ilike': {
      c.arity(2, 3); c.arg(0, isStrish, 'utf8'); c.arg(1, isStrish, 'a utf8 pattern');
      let escape = '\\';
      if (a.length > 2) {
        const v = c.literalArg(2, 'the escape character').value;
        if (typeof v !== 'string' || [...v].length > 1) {
          throw new PlanError(`${exprToString(e)}: the escape must be one character (or '' for none), got ${JSON.stringify(v)}`);
        }
        escape = v;
      }
      const p = literalValue(e.args[1]);
      if (typeof p === 'string') {
        try { parseLike(p, escape); } catch (err) { throw new PlanError(`${exprToString(e)}: ${(err as Error).message}`, { cause: err }); }
      }
      return { type: 'bool', nullable: c.anyNull };
    }
    case 'rlike': {
      c.arity(2); c.arg(0, isStrish, 'utf8'); c.arg(1, isStrish, 'a utf8 regular expression');
      const p = literalValue(e.args[1]);
      if (typeof p === 'string') {
        try { rlikeRegExp(p); } catch (err) { throw new PlanError(`${exprToString(e)}: ${(err as Error).message}`, { cause: err }); }
      }
      return { type: 'bool', nullable: c.anyNull };
    }
    case 'in': {
      c.arity(2, Infinity);
      const x = a[0].type;
      if (typeof x === 'object') throw new PlanError(`${exprToString(e)}: IN needs a value of a comparable type, got ${typeToString(x)}`);
      for (let i = 1; i < a.length; i++) {
        if (c.comparable(x, a[i].type) === null) {
          throw new PlanError(`${exprToString(e)}: list value ${i} (${exprToString(e.args[i])}) has type ${typeToString(a[i].type)}, which cannot be compared with ${typeToString(x)}; cast it`);
        }
      }
      return { type: 'bool', nullable: c.anyNull };
    }
  }
}

/** The value of a (possibly aliased) literal argument; undefined when it is not a literal. */
function literalValue(x: CallOf<PatternFn>['args'][number]): unknown {
  const inner = x.kind === 'alias' ? x.arg : x;
  return inner.kind === 'literal' ? inner.value : undefined;
}
