// The optimizer's ordered rule list.
import type { OptimizerRule } from '../rule.ts';
import { ChooseJoinStrategy } from './choose-join-strategy.ts';
import { CorrelatedScalarSubqueryToJoin } from './correlated-scalar-subquery-to-join.ts';
import { ExistsToSemiJoin } from './exists-to-semi-join.ts';
import { InSubqueryToSemiJoin } from './in-subquery-to-semi-join.ts';
import { ScalarSubqueryToJoin } from './scalar-subquery-to-join.ts';
import { CombineFilters } from './combine-filters.ts';
import { EliminateCrossJoin } from './eliminate-cross-join.ts';
import { ExtractJoinKeys } from './extract-join-keys.ts';
import { FactorOrConjuncts } from './factor-or-conjuncts.ts';
import { FoldConstants } from './fold-constants.ts';
import { JoinKeysIntoAggregate } from './join-keys-into-aggregate.ts';
import { PruneColumns } from './prune-columns.ts';
import { PushDownFilter } from './push-down-filter.ts';
import { PushDownLimit } from './push-down-limit.ts';
import { PushDownSemiJoin } from './push-down-semi-join.ts';

export {
  ChooseJoinStrategy, CombineFilters, CorrelatedScalarSubqueryToJoin, EliminateCrossJoin, ExistsToSemiJoin, ExtractJoinKeys, FactorOrConjuncts, FoldConstants,
  InSubqueryToSemiJoin, JoinKeysIntoAggregate, PruneColumns, PushDownFilter, PushDownLimit, PushDownSemiJoin, ScalarSubqueryToJoin,
};

/** Applied in this order, the whole list repeated until a pass changes nothing. */
export const OPTIMIZER_RULES: readonly OptimizerRule[] = Object.freeze([
  // First, before any rule moves a filter: subqueries (q.sql) become joins. Each reads the
  // Filter its subquery sits in; the driver then visits the joined subquery plan, so nested
  // subqueries decorrelate in the same pass. InSubqueryToSemiJoin before ScalarSubqueryToJoin:
  // a NOT IN over nullable columns leaves scalar subqueries for it.
  ExistsToSemiJoin,
  InSubqueryToSemiJoin,
  ScalarSubqueryToJoin,
  CorrelatedScalarSubqueryToJoin,
  // Then: drops `true` conjuncts and Filter(true), so the rules below see the simplest predicates.
  FoldConstants,
  // Before PushDownFilter, so a stack of filters moves down as one.
  CombineFilters,
  // Before EliminateCrossJoin: a join key written in every branch of an OR becomes a conjunct it can use.
  FactorOrConjuncts,
  // Before PushDownFilter: takes a whole Filter over a tree of inner joins (SQL's `from a, b
  // where ...`), so conditions relating relations reach the joins, not only one-side ones.
  EliminateCrossJoin,
  // After EliminateCrossJoin, which leaves equalities in join conditions for it to make keys.
  ExtractJoinKeys,
  PushDownFilter,
  // After EliminateCrossJoin and ExtractJoinKeys: the semi joins that subqueries became sit
  // above the FROM clause's joins, which now have their keys; each moves to the input it tests.
  PushDownSemiJoin,
  // After the push-downs and the decorrelation: an aggregate a subquery became, joined on its
  // group keys, reads only the keys the other side has (TPC-H Q17, Q20).
  JoinKeysIntoAggregate,
  PushDownLimit,
  // After the push-downs, so in the same pass it prunes for filters where they ended up (in
  // scans, below joins) instead of carrying their columns up to where they started.
  PruneColumns,
  // Last: its size estimates count the filters and projections pushed into each join input.
  // It turns 'auto' into a decision once, so later passes leave the join alone.
  ChooseJoinStrategy,
]);
