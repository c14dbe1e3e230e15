// SQL access into structs, maps and lists: `s.a.b` (after table.column), `m['k']`, `arr[1]`, `(expr).field`, and struct/map literals.
//
// Name order for a dotted reference `x.y.z`: `x.y` as table.column when the FROM clause has
// such a column (a qualifier wins), else `x` as a column and `y.z` as its struct fields. Field
// names match case-insensitively, as DuckDB's. Subscripts are DuckDB's: a map's value by key,
// a list's element from 1 (negative from the end), a struct's field by a string constant.
import type { ExprNode } from '../../ops/expr/node.ts';
import { typeOf } from '../../ops/expr/typecheck.ts';
import { isStruct, type TypeJSON } from '../../ops/types.ts';
import { notSupported, sqlError } from './errors.ts';
import type { Ast } from './parse.ts';
import type { Scope } from './scope.ts';

/** Translates a sub-expression (expr.ts's translateExpr, bound to the clause's context). */
export type Translate = (ast: Ast) => ExprNode;

const utf8 = (value: string): ExprNode => ({ kind: 'literal', value, type: 'utf8' });
const call = (fn: 'getField' | 'elementAt', args: ExprNode[]): ExprNode => ({ kind: 'call', fn, args });

/** The type of `e` over the scope's columns, or null when it cannot be typed here (typecheck reports it later). */
function typeIn(e: ExprNode, scope: Scope): TypeJSON | null {
  try {
    return typeOf(e, scope.columns.map((c) => ({ name: c.planName, type: c.type, nullable: c.nullable }))).type;
  } catch {
    return null;
  }
}

/** getField of `name`, spelled as the struct spells it when it has the field in another case. */
function field(e: ExprNode, name: string, scope: Scope): ExprNode {
  const t = typeIn(e, scope);
  const exact = t !== null && isStruct(t) ? t.struct.find((f) => f.name.toLowerCase() === name.toLowerCase()) : undefined;
  return call('getField', [e, utf8(exact?.name ?? name)]);
}

/** `a.b`, `t.a.b.c`: a column (qualified or not) and then struct fields. */
export function compoundIdentifier(parts: readonly string[], scope: Scope, node: Ast): ExprNode {
  const path = (base: ExprNode, fields: readonly string[]) => fields.reduce((e, f) => field(e, f, scope), base);
  if (scope.has(parts[0], parts[1])) return path(scope.resolve(parts[0], parts[1], node), parts.slice(2));
  if (scope.has(null, parts[0])) {
    const base = scope.resolve(null, parts[0], node);
    const t = typeIn(base, scope);
    if (t !== null && !isStruct(t)) throw sqlError(node, `${parts.join('.')}: column '${parts[0]}' has no fields (it is not a struct) and there is no table '${parts[0]}'`);
    return path(base, parts.slice(1));
  }
  // Neither: the scope's error names the tables and columns there are.
  return scope.resolve(parts[0], parts[1], node);
}

/** `root[...]...` and `(root).field` chains; `t.m['k']` parses as root t then .m: leading names form one dotted reference. */
export function fieldAccess(v: Ast, translate: Translate, scope: Scope, node: Ast): ExprNode {
  const chain = v.access_chain as Ast[];
  const root = v.root.Identifier ? [v.root.Identifier.value] : v.root.CompoundIdentifier ? v.root.CompoundIdentifier.map((p: Ast) => p.value) : null;
  let lead = 0;
  if (root) while (lead < chain.length && chain[lead].Dot?.Identifier) lead++;
  const names = root ? [...root, ...chain.slice(0, lead).map((s) => s.Dot.Identifier.value)] : [];
  let e = names.length > 1 ? compoundIdentifier(names, scope, node) : translate(v.root);
  for (const step of chain.slice(lead)) {
    if (step.Dot) {
      const id = step.Dot.Identifier;
      if (!id) throw notSupported(node, 'a field access other than .name');
      e = field(e, id.value, scope);
      continue;
    }
    const index = step.Subscript?.Index?.index;
    if (!index) throw notSupported(node, 'slices (list[a:b])');
    const key = translate(index);
    const t = typeIn(e, scope);
    e = t !== null && isStruct(t) && key.kind === 'literal' && typeof key.value === 'string' ? field(e, key.value, scope) : call('elementAt', [e, key]);
  }
  return e;
}

/**
 * `s.*` (or `t.s.*`, `s.a.*`) where the name before `.*` is a struct and not a table: one item per
 * field, named as the field. Null when it names a table (or nothing): `t.*` as before.
 */
export function structStar(name: string, scope: Scope, node: Ast): { expr: ExprNode; name: string }[] | null {
  const parts = name.split('.');
  if (parts.length === 1 && scope.columns.some((c) => c.qualifier !== null && c.qualifier.toLowerCase() === name.toLowerCase())) return null;
  if (!scope.has(null, parts[0]) && !(parts.length > 1 && scope.has(parts[0], parts[1]))) return null;
  const e = parts.length === 1 ? scope.resolve(null, parts[0], node) : compoundIdentifier(parts, scope, node);
  const t = typeIn(e, scope);
  if (t === null || !isStruct(t)) return null;
  return t.struct.map((f) => ({ expr: call('getField', [e, utf8(f.name)]), name: f.name }));
}

/** DuckDB's `MAP {k: v, ...}`. */
export function mapLiteral(v: Ast, translate: Translate): ExprNode {
  const args = (v.entries as Ast[]).flatMap((en) => [translate(en.key), translate(en.value)]);
  return { kind: 'call', fn: 'createMap', args };
}

/** DuckDB's struct literal `{'a': 1, 'b': x}`. */
export function structLiteral(v: Ast, translate: Translate): ExprNode {
  const args = (v as Ast[]).map((en): ExprNode => ({ kind: 'alias', arg: translate(en.value), name: en.key.value }));
  return { kind: 'call', fn: 'struct', args };
}
