// A guess of the fraction of rows a predicate keeps, from its shape alone, for ordering joins (not for sizing them).
//
// The classic defaults (System R; DuckDB and DataFusion use the same kind): an equality keeps a
// tenth, a range a third, a pattern a quarter, an unknown test half. Two range bounds on one
// column (a BETWEEN) keep a quarter together. Only comparisons between guesses mean anything.
import { columnsOf, type ExprNode } from '../../ops/expr/node.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { splitConjuncts } from './expr-utils.ts';
import { estimateStats, unfilteredRows } from './stats.ts';

const EQUALITY = 0.1;
const RANGE = 1 / 3;
/** The second bound of a range on the same column: a BETWEEN keeps a quarter in all. */
const SECOND_BOUND = 0.75;
const PATTERN = 0.25;
const UNKNOWN = 0.5;

const RANGE_OPS = new Set(['lt', 'lte', 'gt', 'gte']);

/** The guessed fraction of rows passing every conjunct of `conjuncts`. */
export function guessSelectivity(conjuncts: readonly ExprNode[]): number {
  let sel = 1;
  const ranged = new Set<string>();
  for (const c of conjuncts.flatMap(splitConjuncts)) {
    if (c.kind === 'binary' && RANGE_OPS.has(c.op)) {
      const key = [...columnsOf(c)].sort().join('\u0000');
      sel *= ranged.has(key) ? SECOND_BOUND : RANGE;
      ranged.add(key);
    } else {
      sel *= one(c);
    }
  }
  return sel;
}

function one(e: ExprNode): number {
  switch (e.kind) {
    case 'binary':
      switch (e.op) {
        case 'eq': return EQUALITY;
        case 'neq': return 1 - EQUALITY;
        case 'lt': case 'lte': case 'gt': case 'gte': return RANGE;
        case 'and': return one(e.left) * one(e.right);
        case 'or': return Math.min(1, one(e.left) + one(e.right));
        default: return UNKNOWN;
      }
    case 'unary':
      if (e.op === 'not') return 1 - one(e.arg);
      if (e.op === 'isNull') return EQUALITY;
      if (e.op === 'isNotNull') return 1 - EQUALITY;
      return UNKNOWN;
    case 'call':
      if (e.fn === 'in') return Math.min(1, Math.max(1, e.args.length - 1) * EQUALITY);
      if (e.fn === 'like' || e.fn === 'ilike' || e.fn === 'rlike' || e.fn === 'contains' || e.fn === 'startsWith' || e.fn === 'endsWith') return PATTERN;
      return UNKNOWN;
    case 'literal':
      return e.value === true ? 1 : e.value === false || e.value === null ? 0 : UNKNOWN;
    default:
      return UNKNOWN;
  }
}

/** The filters of a relation's own chain of filters, projections and aliases down to its scan (and the scan's pushed filters). */
export function filtersWithin(plan: LogicalPlan): ExprNode[] {
  switch (plan.kind) {
    case 'filter': return [plan.predicate, ...filtersWithin(plan.input)];
    case 'project': case 'subqueryAlias': return filtersWithin(plan.input);
    case 'scan': return [...plan.filters];
    default: return [];
  }
}

/**
 * The guessed fraction of its rows a relation's filters keep, counting those of the relations an
 * inner join tree joins to it (a dimension filtered one join away filters it too): 1 where nothing
 * filters it.
 */
export function treeSelectivity(plan: LogicalPlan): number {
  switch (plan.kind) {
    case 'filter': return guessSelectivity([plan.predicate]) * treeSelectivity(plan.input);
    case 'project': case 'subqueryAlias': return treeSelectivity(plan.input);
    case 'scan': return guessSelectivity(plan.filters);
    case 'join': return plan.how === 'inner' ? treeSelectivity(plan.left) * treeSelectivity(plan.right) : plan.how === 'semi' || plan.how === 'anti' || plan.how === 'left' ? treeSelectivity(plan.left) : 1;
    default: return 1;
  }
}

/**
 * A guess of the rows of `plan` for choosing which side of a shuffled join to build on: the rows
 * of its biggest relation (a join tree's fact) times the selectivity of every filter in the tree,
 * as if each join were on a dimension's unique key. The size estimates (stats.ts) assume no join
 * drops rows, which is safe for sizing broadcasts but hides that lineitem joined with the
 * suppliers of one nation keeps a few percent of its rows. Null when unknown.
 */
export function guessRows(plan: LogicalPlan): number | null {
  const fact = factRows(plan);
  return fact === null ? null : fact * treeSelectivity(plan);
}

function factRows(plan: LogicalPlan): number | null {
  switch (plan.kind) {
    case 'filter': case 'project': case 'subqueryAlias': return factRows(plan.input);
    case 'join': {
      if (plan.how === 'semi' || plan.how === 'anti' || plan.how === 'left') return factRows(plan.left);
      if (plan.how !== 'inner') return null;
      const l = factRows(plan.left), r = factRows(plan.right);
      return l === null || r === null ? null : Math.max(l, r);
    }
    default: return unfilteredRows(plan, estimateStats);
  }
}
