// ChooseJoinStrategy: decides broadcast or shuffle for 'auto' joins from size estimates.
import { join, type Join } from '../../plan/join.ts';
import { project } from '../../plan/project.ts';
import { buildMayBroadcast, probeMayFilter, shuffledBuildSide } from '../build-side.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerContext, type OptimizerRule, type RewriteResult } from '../rule.ts';

/**
 * The physical planner broadcasts the side whose unmatched rows are never emitted: the right one,
 * or the left one for right joins. Full joins always shuffle. For an inner join whose left side is
 * the small one, the sides are swapped (a Project restores the column order) so that the small
 * side is the one broadcast. The same holds for joins without keys (nested loops), where
 * 'shuffle' gathers both sides into one task: broadcasting the small side keeps the other's
 * partitions apart.
 *
 * With adaptive joins on, a join with keys that the estimates shuffle becomes 'adaptive' where a
 * broadcast of its build side, or a filter of the probe side by the build side's keys, would give
 * the same rows: the scheduler then runs the build side first, and broadcasts it if its shuffle
 * output turns out small, or drops the probe rows without a partner before their shuffle if it
 * has few rows. The estimates take every filter to keep half its rows, on purpose (a wrong guess
 * would broadcast a huge side); the shuffle's output is the size itself (TPC-H Q12: 30,000 of
 * lineitem's 6 million rows, 372 KB, met all of orders in a shuffle).
 */
export const ChooseJoinStrategy: OptimizerRule = {
  name: 'ChooseJoinStrategy',
  rewrite(node, ctx) {
    if (node.kind !== 'join' || node.strategy !== 'auto') return unchanged(node);
    return decide(node, ctx);
  },
};

function decide(j: Join, ctx: OptimizerContext): RewriteResult {
  // Unknown sizes count as too big to broadcast.
  const bytes = (side: Join['left']): number => ctx.estimate(side).bytes ?? Infinity;
  const fits = (b: number): boolean => ctx.broadcastThresholdBytes >= 0 && b <= ctx.broadcastThresholdBytes;
  const withStrategy = (s: 'broadcast' | 'shuffle' | 'adaptive'): RewriteResult =>
    ({ node: join(j.left, j.right, j.how, j.leftKeys, j.rightKeys, j.using, s, j.filter), changed: true });
  const shuffle = (): RewriteResult => {
    if (!ctx.adaptiveJoins || j.leftKeys.length === 0 || ctx.broadcastThresholdBytes <= 0) return withStrategy('shuffle');
    const side = shuffledBuildSide(j);
    return withStrategy(buildMayBroadcast(j.how, side) || probeMayFilter(j.how, side) ? 'adaptive' : 'shuffle');
  };
  switch (j.how) {
    case 'full': return withStrategy('shuffle');
    case 'right': return fits(bytes(j.left)) ? withStrategy('broadcast') : shuffle();
    case 'left': case 'semi': case 'anti': return fits(bytes(j.right)) ? withStrategy('broadcast') : shuffle();
    case 'inner': {
      const l = bytes(j.left);
      const r = bytes(j.right);
      if (fits(r) && r <= l) return withStrategy('broadcast');
      // USING joins take the key columns from the left side; swapping would change their types.
      if (fits(l) && !j.using) {
        const swapped = join(j.right, j.left, 'inner', j.rightKeys, j.leftKeys, false, 'broadcast', j.filter);
        return { node: project(swapped, j.schema.map((f) => colRef(f.name))), changed: true };
      }
      return fits(r) ? withStrategy('broadcast') : shuffle();
    }
  }
}
