// PushDownLimit: moves limits below projections, copies them into union inputs and scans, merges them.
import { limit, type Limit } from '../../plan/limit.ts';
import { project } from '../../plan/project.ts';
import { scan } from '../../plan/scan.ts';
import { union } from '../../plan/union.ts';
import { unchanged, type OptimizerRule, type RewriteResult } from '../rule.ts';
import { maxRows } from '../stats.ts';

/**
 * Sort + Limit is not touched: the physical planner turns it into a top-k. Limits never pass a
 * Filter, Aggregate, Join, Distinct or MapBatches, which change which rows come first.
 */
export const PushDownLimit: OptimizerRule = {
  name: 'PushDownLimit',
  rewrite(node) {
    if (node.kind !== 'limit') return unchanged(node);
    const child = node.input;
    // Rows an input must deliver for the outer limit to see all it keeps.
    const keep = node.n + node.offset;
    switch (child.kind) {
      case 'limit': return merge(node, child);
      // A projection maps rows one to one: fewer rows in, the same first rows out.
      case 'project': return { node: project(limit(child.input, node.n, node.offset), child.exprs), changed: true };
      case 'union': {
        // The outer limit stays; each input need not produce more than `keep` rows.
        let changed = false;
        const inputs = child.inputs.map((i) => {
          const m = maxRows(i);
          if (m !== null && m <= keep) return i;
          changed = true;
          return limit(i, keep);
        });
        return changed ? { node: limit(union(inputs), node.n, node.offset), changed: true } : unchanged(node);
      }
      case 'scan': {
        // scan.limit is per partition, so the Limit stays above. With filters the scan's row
        // order of filtering and limiting would matter; leave those alone.
        if (child.filters.length > 0 || (child.limit !== null && child.limit <= keep)) return unchanged(node);
        const s = scan(child.source, child.fileSchema, child.projection, child.filters, keep);
        return { node: limit(s, node.n, node.offset), changed: true };
      }
      default: return unchanged(node);
    }
  },
};

/** Outer rows [o1, o1 + n1) of inner rows [o2, o2 + n2) are rows [o1 + o2, o2 + min(o1 + n1, n2)). */
function merge(outer: Limit, inner: Limit): RewriteResult {
  const n = Math.max(0, Math.min(outer.n, inner.n - outer.offset));
  return { node: limit(inner.input, n, outer.offset + inner.offset), changed: true };
}
