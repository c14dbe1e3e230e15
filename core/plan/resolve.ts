// Column resolution: qualified (`n1.n_name`) and plain column references mapped to the one field they name.
//
// How qualified names work (the schema representation):
// - A field may carry a `qualifier` (FieldJSON.qualifier): the name its relation was given with
//   df.alias('n1') (a SubqueryAlias node). Field names stay unique within every schema; the
//   qualifier only helps find them.
// - A join whose two sides both have a field of the same base name (and that is not a USING key)
//   names each qualified one `qualifier.base` in its output (`n1.n_name`, `n2.n_name`); an
//   unqualified one keeps its name. Names that still clash are a PlanError (core/plan/schema.ts).
//   Every join in a tree of joins names a field alike, whatever the join order: the name depends
//   only on whether some other relation of the tree shares the base name.
// - The plan constructors resolve every column reference of their expressions against their
//   input (resolveExpr): `col('n1.n_name')` becomes a reference to the field's unique name. So
//   the optimizer, the physical planner and the operators only ever see exact names.
// - A dotted reference is read in this order (the first that applies wins): a column whose exact
//   name or qualified name it is (a column really named 'a.b', or `q.b` after df.alias('q')); the
//   one column with that base name; then a struct field path: the longest prefix naming a struct
//   column (by the same two rules), then one getField per remaining part (`col('s.a.b')`, or
//   `col('q.s.a')`). So a real column or a qualifier always wins over a struct field.
import { PlanError } from '../../ops/errors.ts';
import { columnsOf, transformExpr, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { isStruct, typeToString, type FieldJSON } from '../../ops/types.ts';

/** The name of `f` without its qualifier prefix (`n1.n_name` -> `n_name`). */
export function baseName(f: FieldJSON): string {
  const q = f.qualifier;
  return q !== undefined && f.name.startsWith(`${q}.`) ? f.name.slice(q.length + 1) : f.name;
}

/** `qualifier.base` for a qualified field, else its name. */
export function qualifiedName(f: FieldJSON): string {
  return f.qualifier === undefined ? f.name : `${f.qualifier}.${baseName(f)}`;
}

/**
 * The field `ref` names: a field of that exact name or qualified name, else the one field of that
 * base name. Null when none; a PlanError listing the candidates when several match.
 */
export function resolveField(ref: string, fields: readonly FieldJSON[]): FieldJSON | null {
  let found = fields.filter((f) => f.name === ref || qualifiedName(f) === ref);
  if (found.length === 0) found = fields.filter((f) => baseName(f) === ref);
  if (found.length > 1) {
    const names = found.map((f) => `'${qualifiedName(f)}'`).join(', ');
    throw new PlanError(`column '${ref}' is ambiguous: it could be ${names}; qualify it, e.g. col(${JSON.stringify(qualifiedName(found[0]))})`);
  }
  return found[0] ?? null;
}

/**
 * `e` with every column reference replaced by the exact name of the field it resolves to in
 * `fields`. Unknown columns are left as they are (type checking reports them, listing the valid
 * ones). Returns `e` itself when nothing changes.
 */
export function resolveExpr(e: ExprNode, fields: readonly FieldJSON[]): ExprNode {
  // Fast path: every reference already exact (the optimizer's rebuilds).
  if ([...columnsOf(e)].every((n) => isExact(n, fields))) return e;
  return transformExpr(e, (n) => {
    if (n.kind !== 'column') return n;
    const f = resolveField(n.name, fields);
    if (f === null) return resolveFieldPath(n.name, fields) ?? n;
    return f.name === n.name ? n : { kind: 'column', name: f.name };
  });
}

/**
 * `s.a.b` as getField(getField(s, 'a'), 'b') when a prefix of the dotted `ref` (the longest) names
 * a struct column; null when none does. Missing fields are left to type checking, which lists the
 * struct's fields.
 */
function resolveFieldPath(ref: string, fields: readonly FieldJSON[]): ExprNode | null {
  const parts = ref.split('.');
  for (let k = parts.length - 1; k >= 1; k--) {
    const f = resolveField(parts.slice(0, k).join('.'), fields);
    if (f === null) continue;
    if (!isStruct(f.type)) return null;
    return parts.slice(k).reduce<ExprNode>((arg, name) => ({ kind: 'call', fn: 'getField', args: [arg, { kind: 'literal', value: name, type: 'utf8' }] }), { kind: 'column', name: f.name });
  }
  return null;
}

/**
 * What `select('x.*')` stands for: the columns of relation x (df.alias('x')) when there is one,
 * else the fields of struct x, each a column named as the field. PlanError when x is neither.
 */
export function expandStar(prefix: string, fields: readonly FieldJSON[]): ExprNode[] {
  const own = fields.filter((f) => f.qualifier === prefix);
  if (own.length > 0) return own.map((f) => ({ kind: 'column', name: f.name }));
  const arg = resolveExpr({ kind: 'column', name: prefix }, fields);
  const known = arg.kind !== 'column' || fields.some((f) => f.name === arg.name);
  if (!known) throw new PlanError(`select('${prefix}.*'): '${prefix}' is neither a relation (df.alias) nor a column; columns are ${fields.map((f) => f.name).join(', ')}`);
  const t = inferField(arg, fields).type;
  if (!isStruct(t)) throw new PlanError(`select('${prefix}.*'): column '${prefix}' has type ${typeToString(t)}; only a struct's fields expand with .*`);
  return t.struct.map((f) => ({ kind: 'call', fn: 'getField', args: [arg, { kind: 'literal', value: f.name, type: 'utf8' }] }));
}

export function resolveExprs(es: readonly ExprNode[], fields: readonly FieldJSON[]): readonly ExprNode[] {
  const out = es.map((e) => resolveExpr(e, fields));
  return out.every((e, i) => e === es[i]) ? es : out;
}

/** A reference that is a field's exact name and no other field's qualified name. */
function isExact(ref: string, fields: readonly FieldJSON[]): boolean {
  let hits = 0;
  for (const f of fields) if (f.name === ref || (f.qualifier !== undefined && qualifiedName(f) === ref)) hits++;
  return hits === 1 && fields.some((f) => f.name === ref);
}

/**
 * Output fields of expressions over `input`: a bare column reference keeps its field's
 * qualifier (so `select('n_name')` over `n1` still answers to `n1.n_name`); computed and
 * aliased columns have none.
 */
export function carryQualifiers(exprs: readonly ExprNode[], input: readonly FieldJSON[], out: FieldJSON[]): FieldJSON[] {
  exprs.forEach((e, i) => {
    if (e.kind !== 'column') return;
    const q = input.find((f) => f.name === e.name)?.qualifier;
    if (q !== undefined) out[i] = { ...out[i], qualifier: q };
  });
  return out;
}
