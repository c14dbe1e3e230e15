// EliminateCrossJoin: a Filter over a tree of inner joins is rebuilt so every condition sits at the lowest join covering it.
//
// SQL's `from a, b, c where a.x = c.y and b.z = c.w and ...` is a Filter over cross joins. The
// tree of inner (non-USING) joins under it, with the filters between them, is flattened into
// its relations and the conjuncts of every condition. Where statistics say which relation is the
// fact and which dimensions are filtered (join-order.ts), it is rebuilt in that order, the
// dimensions that filter first, also when the tree already has its conditions (a FROM clause whose
// filter was pushed into its joins), once: the rebuilt order is a fixed point. Otherwise it is rebuilt left-deep: each connected
// group of relations (linked by equalities between them) joined in the original order, next the
// first relation an equality links to those already joined, so no cartesian product is left
// where an equality could avoid it (the relations of one group need not be neighbours, as
// with a and c above); unlinked groups are crossed last. A conjunct over one relation becomes a
// Filter on it, one over several joins the lowest join covering them as its condition (where
// ExtractJoinKeys turns equalities into hash keys), one over no column stays on top. A Project
// restores the original column order. DataFusion's EliminateCrossJoin does the same.
import { columnsOf, transformExpr, type ExprNode } from '../../../ops/expr/node.ts';
import { filter } from '../../plan/filter.ts';
import { join, pairSourcesOf, type Join } from '../../plan/join.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project } from '../../plan/project.ts';
import { colRef, conjoin, exprKey, splitConjuncts as conjuncts } from '../expr-utils.ts';
import { impliedFilters } from '../implied-filters.ts';
import { orderJoins, type JoinEdge, type JoinTree } from '../join-order.ts';
import { filtersWithin, guessSelectivity } from '../selectivity.ts';
import { createEstimator, mayBeUnique, unfilteredRows } from '../stats.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';

/** A column of relation `rel` named `name` there, as a key no plan uses. */
type Token = string;
const token = (rel: number, name: string): Token => `${rel}\u0001${name}`;
const relOf = (t: Token): number => Number(t.slice(0, t.indexOf('\u0001')));

/** A subtree being flattened or built: its plan, and what each of its output names stands for. */
interface Part {
  readonly plan: LogicalPlan;
  /** Output name -> token. */
  readonly out: Map<string, Token>;
}

interface Flat {
  readonly rels: LogicalPlan[];
  /** Conjuncts with every column as a token. */
  readonly conds: ExprNode[];
  /** Joins in the tree with neither keys nor an equality between their sides. */
  crosses: number;
}

export const EliminateCrossJoin: OptimizerRule = {
  name: 'EliminateCrossJoin',
  rewrite(node) {
    const top = node.kind === 'filter' ? node.input : node;
    if (!flattenable(top)) return unchanged(node);
    const flat: Flat = { rels: [], conds: [], crosses: 0 };
    const root = flatten(node, flat);
    const relsOf = (c: ExprNode): Set<number> => new Set([...columnsOf(c)].map(relOf));
    // Worth it when a filter on top relates relations, or the rebuild leaves fewer cartesian products.
    const topSpans = node.kind === 'filter' && conjuncts(node.predicate).some((c) => relsOf(tokenize(c, root.out)).size >= 2);
    const built = rebuild(flat, relsOf, root.shape);
    if (!topSpans && !built.reordered && built.crosses >= flat.crosses) return unchanged(node);
    return { node: restore(built.part, root, node.schema.map((f) => f.name), built.constants), changed: true };
  },
};

/** An inner join that is not a USING join: its output is its pair fields, and it reorders freely. */
function flattenable(p: LogicalPlan): p is Join {
  return p.kind === 'join' && p.how === 'inner' && !p.using;
}

const tokenize = (e: ExprNode, out: ReadonlyMap<string, Token>): ExprNode =>
  transformExpr(e, (n) => (n.kind === 'column' && out.has(n.name) ? colRef(out.get(n.name)!) : n));

const untokenize = (e: ExprNode, names: ReadonlyMap<Token, string>): ExprNode =>
  transformExpr(e, (n) => (n.kind === 'column' && names.has(n.name) ? colRef(names.get(n.name)!) : n));

/** Relations and conjuncts of the tree of inner joins (and filters over them) rooted at `p`, and the tree's shape. */
function flatten(p: LogicalPlan, flat: Flat): Part & { shape: JoinTree } {
  if (p.kind === 'filter' && flattenable(p.input)) {
    const part = flatten(p.input, flat);
    for (const c of conjuncts(p.predicate)) flat.conds.push(tokenize(c, part.out));
    return part;
  }
  if (!flattenable(p)) {
    const rel = flat.rels.push(p) - 1;
    return { plan: p, out: new Map(p.schema.map((f) => [f.name, token(rel, f.name)])), shape: rel };
  }
  const left = flatten(p.left, flat);
  const right = flatten(p.right, flat);
  const out = pairNames(left, right, p.left.schema, p.right.schema);
  const keyConds = p.leftKeys.map((k, i): ExprNode => ({ kind: 'binary', op: 'eq', left: tokenize(k, left.out), right: tokenize(p.rightKeys[i], right.out) }));
  const own = [...keyConds, ...(p.filter ? conjuncts(p.filter).map((c) => tokenize(c, out)) : [])];
  if (!own.some((c) => linksSides(c, left, right))) flat.crosses++;
  flat.conds.push(...own);
  return { plan: p, out, shape: { left: left.shape, right: right.shape } };
}

const sameTree = (a: JoinTree, b: JoinTree): boolean =>
  typeof a === 'number' || typeof b === 'number' ? a === b : sameTree(a.left, b.left) && sameTree(a.right, b.right);

/** The output names of a join of `left` and `right` (its pair fields), with their tokens. */
function pairNames(left: Part, right: Part, leftSchema: LogicalPlan['schema'], rightSchema: LogicalPlan['schema']): Map<string, Token> {
  const out = new Map<string, Token>();
  for (const s of pairSourcesOf(leftSchema, rightSchema)) out.set(s.name, (s.side === 'left' ? left : right).out.get(s.input)!);
  return out;
}

/** An equality between an expression over `left`'s relations only and one over `right`'s only. */
function linksSides(c: ExprNode, left: Part, right: Part): boolean {
  if (c.kind !== 'binary' || c.op !== 'eq') return false;
  const lt = new Set(left.out.values()), rt = new Set(right.out.values());
  const within = (e: ExprNode, ts: Set<Token>): boolean => { const cols = [...columnsOf(e)]; return cols.length > 0 && cols.every((t) => ts.has(t)); };
  return (within(c.left, lt) && within(c.right, rt)) || (within(c.left, rt) && within(c.right, lt));
}

/** The left-deep rebuild: connected groups first, each in the original order as far as equalities allow. */
function rebuild(flat: Flat, relsOf: (c: ExprNode) => Set<number>, shape: JoinTree): { part: Part; crosses: number; constants: ExprNode[]; reordered: boolean } {
  const estimate = createEstimator();
  const constants = flat.conds.filter((c) => relsOf(c).size === 0);
  const pending = flat.conds.filter((c) => relsOf(c).size >= 2);
  const own = flat.rels.map((_, i) => flat.conds.filter((c) => { const s = relsOf(c); return s.size === 1 && s.has(i); }));
  // What the conditions over several relations imply for one of them (implied-filters.ts), once.
  for (const c of pending) {
    for (const { rel, filter: x } of impliedFilters(c, relsOf)) {
      const names = new Map(flat.rels[rel].schema.map((f) => [token(rel, f.name), f.name]));
      const have = new Set([...own[rel].map((o) => exprKey(untokenize(o, names))), ...filtersWithin(flat.rels[rel]).flatMap(conjuncts).map(exprKey)]);
      if (!have.has(exprKey(untokenize(x, names)))) own[rel].push(x);
    }
  }
  const leaves: Part[] = flat.rels.map((r, i) => {
    const names = new Map(r.schema.map((f) => [token(i, f.name), f.name]));
    const plan = own[i].length ? filter(r, untokenize(conjoin(own[i])!, names)) : r;
    return { plan, out: new Map(r.schema.map((f) => [f.name, token(i, f.name)])) };
  });
  const relSet = (p: Part): Set<number> => new Set([...p.out.values()].map(relOf));
  const links = (a: Set<number>, x: number): boolean => pending.some((c) => {
    if (c.kind !== 'binary' || c.op !== 'eq') return false;
    const l = relsOf(c.left), r = relsOf(c.right);
    const inA = (s: Set<number>) => s.size > 0 && [...s].every((i) => a.has(i));
    const isX = (s: Set<number>) => s.size === 1 && s.has(x);
    return (inA(l) && isX(r)) || (isX(l) && inA(r));
  });
  let crosses = 0;
  const joinParts = (a: Part, b: Part): Part => {
    const covered = new Set([...relSet(a), ...relSet(b)]);
    const here = pending.filter((c) => [...relsOf(c)].every((i) => covered.has(i)));
    for (const c of here) pending.splice(pending.indexOf(c), 1);
    const out = pairNames(a, b, a.plan.schema, b.plan.schema);
    const names = new Map([...out].map(([n, t]) => [t, n]));
    const cond = conjoin(here.map((c) => untokenize(c, names)));
    return { plan: join(a.plan, b.plan, 'inner', [], [], false, 'auto', cond), out };
  };
  // A star or snowflake: the fact first, then the branches that keep the fewest rows (join-order.ts).
  const rels = flat.rels.map((r, i) => ({ rows: unfilteredRows(r, estimate), selectivity: guessSelectivity([...own[i], ...filtersWithin(r)]) }));
  const order = orderJoins(rels, edgesOf(flat.rels, pending, relsOf));
  if (order !== null) {
    const build = (t: JoinTree): Part => (typeof t === 'number' ? leaves[t] : joinParts(build(t.left), build(t.right)));
    return { part: build(order), crosses: 0, constants, reordered: !sameTree(order, shape) };
  }
  const unused = leaves.map((_, i) => i);
  const groups: Part[] = [];
  while (unused.length) {
    let part = leaves[unused.shift()!];
    for (;;) {
      const set = relSet(part);
      const k = unused.findIndex((x) => links(set, x));
      if (k < 0) break;
      part = joinParts(part, leaves[unused.splice(k, 1)[0]]);
    }
    groups.push(part);
  }
  // Groups share no equality: each join between them is a cartesian product (perhaps with a condition).
  let part = groups[0];
  for (const g of groups.slice(1)) {
    part = joinParts(part, g);
    crosses++;
  }
  return { part, crosses, constants, reordered: false };
}

/** One edge per pair of relations some equality between a column of each links, with whether those columns may be unique. */
function edgesOf(rels: readonly LogicalPlan[], conds: readonly ExprNode[], relsOf: (c: ExprNode) => Set<number>): JoinEdge[] {
  const pairs = new Map<string, { a: number; b: number; colsA: (string | null)[]; colsB: (string | null)[] }>();
  const nameOf = (e: ExprNode): string | null => (e.kind === 'column' ? e.name.slice(e.name.indexOf('\u0001') + 1) : null);
  for (const c of conds) {
    if (c.kind !== 'binary' || c.op !== 'eq') continue;
    const l = relsOf(c.left), r = relsOf(c.right);
    if (l.size !== 1 || r.size !== 1) continue;
    let [a] = l, [b] = r;
    let [ea, eb] = [c.left, c.right];
    if (a === b) continue;
    if (a > b) { [a, b] = [b, a]; [ea, eb] = [eb, ea]; }
    const key = `${a} ${b}`;
    const p = pairs.get(key) ?? { a, b, colsA: [], colsB: [] };
    p.colsA.push(nameOf(ea));
    p.colsB.push(nameOf(eb));
    pairs.set(key, p);
  }
  const unique = (rel: LogicalPlan, cols: (string | null)[]): boolean => cols.every((c) => c !== null) && mayBeUnique(rel, cols as string[]);
  return [...pairs.values()].map((p) => ({ a: p.a, b: p.b, uniqueA: unique(rels[p.a], p.colsA), uniqueB: unique(rels[p.b], p.colsB) }));
}

/** The rebuilt tree under the constant conjuncts, projected to the original names and order. */
function restore(built: Part, root: Part, names: readonly string[], constants: readonly ExprNode[]): LogicalPlan {
  const nameOfToken = new Map([...built.out].map(([n, t]) => [t, n]));
  const c = conjoin(constants);
  const plan = c === null ? built.plan : filter(built.plan, c);
  const exprs = names.map((n): ExprNode => {
    const now = nameOfToken.get(root.out.get(n)!)!;
    return now === n ? colRef(n) : { kind: 'alias', arg: colRef(now), name: n };
  });
  const same = plan.schema.length === names.length && plan.schema.every((f, i) => f.name === names[i]);
  return same ? plan : project(plan, exprs);
}

