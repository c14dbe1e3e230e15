// The (probe row, build row) pairs of a probe batch, written a chunk at a time by a plain loop that the join's generator resumes.
//
// The loop ran inside HashJoinExec's async generator, where a yield in its body kept it from
// being optimized like a plain function: 30 ns a pair in a join of 1M rows on unique keys.

/** Where filling stopped: probe row `i`, and the next index `t` into its group's build rows (-1: from the group's start). */
export interface PairCursor {
  i: number;
  t: number;
}

/**
 * Writes up to pi.length pairs from the cursor on: for probe row i with group gid[i] >= 0, one
 * pair per build row rows[starts[g] .. starts[g + 1]) (in that order), marking each in `matched`
 * (when given); `emitPairs` false marks without writing pairs (semi/anti joins that keep the
 * build side). A row without a group (gid[i] < 0) gives the pair (i, -1) when `preserved`.
 * Returns the pairs written and moves the cursor; cursor.i === n once the batch is done.
 */
export function fillPairs(gid: Int32Array, n: number, starts: Int32Array, rows: Int32Array, matched: Uint8Array | null, emitPairs: boolean, preserved: boolean,
  pi: Int32Array, bi: Int32Array, c: PairCursor): number {
  const size = pi.length;
  let m = 0, i = c.i, t = c.t;
  while (i < n) {
    const g = gid[i];
    if (g >= 0) {
      if (t < 0) t = starts[g];
      const end = starts[g + 1];
      if (!emitPairs) {
        if (matched !== null) for (; t < end; t++) matched[rows[t]] = 1;
      } else {
        for (; t < end; t++) {
          if (m === size) { c.i = i; c.t = t; return m; }
          const r = rows[t];
          if (matched !== null) matched[r] = 1;
          pi[m] = i; bi[m] = r; m++;
        }
      }
    } else if (preserved) {
      if (m === size) { c.i = i; c.t = -1; return m; }
      pi[m] = i; bi[m] = -1; m++;
    }
    t = -1;
    i++;
  }
  c.i = n; c.t = -1;
  return m;
}
