// The side a shuffled hash join builds its table on, whether a broadcast of that side may replace the shuffle, and whether its keys may filter the other side.
import type { Join } from '../plan/join.ts';
import { guessRows } from './selectivity.ts';

/**
 * The side a shuffled hash join builds its table on: the right, except for a right join (which
 * keeps the right's unmatched rows) and for an inner, semi or anti join whose left side looks at
 * least twice smaller (guessRows). A semi or anti join then builds on the rows it tests and marks
 * those a right row matches (TPC-H Q21: a few thousand lineitems of one nation's suppliers against
 * all of lineitem); an inner join builds on the few orders Q18's IN keeps, not on lineitem.
 */
export function shuffledBuildSide(plan: Join): 'left' | 'right' {
  if (plan.how === 'right') return 'left';
  if (plan.how !== 'inner' && plan.how !== 'semi' && plan.how !== 'anti') return 'right';
  const l = guessRows(plan.left), r = guessRows(plan.right);
  return l !== null && r !== null && 2 * l < r ? 'left' : 'right';
}

/**
 * Whether dropping the probe rows whose keys the build side lacks (before they are shuffled)
 * leaves the join's rows as they are: wherever a probe row without a partner is never output
 * (inner and semi joins; an anti join building on the rows it tests).
 */
export function probeMayFilter(how: Join['how'], buildSide: 'left' | 'right'): boolean {
  switch (how) {
    case 'inner': case 'semi': return true;
    case 'anti': return buildSide === 'left';
    case 'left': case 'right': case 'full': return false;
  }
}

/**
 * Whether joining every probe partition with the whole build side gives the shuffled join's
 * rows: never where the build side's unmatched rows are output (full joins, a left join's left
 * or a right join's right side), nor where a semi or anti join builds on the rows it tests
 * (each probe task would then decide them on part of the other side).
 */
export function buildMayBroadcast(how: Join['how'], buildSide: 'left' | 'right'): boolean {
  switch (how) {
    case 'inner': return true;
    case 'left': case 'semi': case 'anti': return buildSide === 'right';
    case 'right': return buildSide === 'left';
    case 'full': return false;
  }
}
