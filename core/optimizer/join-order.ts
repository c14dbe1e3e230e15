// The order EliminateCrossJoin joins a FROM clause's relations in: the biggest relation first, then each neighbour with the dimensions hanging off it, the most selective first.
//
// A star or snowflake query (TPC-H Q5, Q7, Q8, Q9, Q21) streams its biggest relation (the fact)
// through joins with smaller ones. Each join on a smaller relation's unique key keeps at most the
// rows it gets, and fewer when that relation is filtered, so the filtered dimensions should come
// first. A filter can sit one step further out: `nation` filtered to one name shrinks `supplier`,
// which shrinks `lineitem`. So each neighbour of the joined part comes as a branch: itself and the
// smaller relations reachable from it through their unique keys, joined among themselves first
// (a bushy plan: `lineitem ⋈ (supplier ⋈ nation)`). The branch that keeps the fewest rows (the
// product of its relations' guessed selectivities) goes first; ties go to the smaller branch
// root, then to the order written.
//
// "Unique" is what statistics can tell (stats.ts mayBeUnique: Parquet integer ranges). An edge
// whose smaller side may repeat its key (`c_nationkey = s_nationkey`) can multiply rows, so it
// never pulls a relation into a branch; such a relation joins later, as a neighbour of its own.
// Without statistics, branches are single relations ordered by their own filters.

/** A relation of the FROM clause. */
export interface JoinRel {
  /** Rows before its own filters; null when unknown (no reordering then). */
  readonly rows: number | null;
  /** Guessed fraction of rows its own filters keep (selectivity.ts). */
  readonly selectivity: number;
}

/** The equalities between two relations, as one edge. */
export interface JoinEdge {
  readonly a: number;
  readonly b: number;
  /** Whether a's columns in these equalities may be unique in a (each b row meets at most one a row). */
  readonly uniqueA: boolean;
  readonly uniqueB: boolean;
}

/** A join tree over relation indexes. */
export type JoinTree = number | { readonly left: JoinTree; readonly right: JoinTree };

/**
 * The join tree for relations linked by `edges`, or null where the written order should stay:
 * fewer than three relations, a size unknown, no relation filtered (nothing to gain), or
 * relations no equality connects.
 */
export function orderJoins(rels: readonly JoinRel[], edges: readonly JoinEdge[]): JoinTree | null {
  const n = rels.length;
  if (n < 3 || rels.some((r) => r.rows === null) || rels.every((r) => r.selectivity >= 1)) return null;
  const rows = rels.map((r) => r.rows!);
  // unique[x].get(y): whether x's columns in its equalities with y may be unique in x.
  const unique = rels.map(() => new Map<number, boolean>());
  for (const e of edges) {
    if (e.a === e.b) continue;
    unique[e.a].set(e.b, (unique[e.a].get(e.b) ?? false) || e.uniqueA);
    unique[e.b].set(e.a, (unique[e.b].get(e.a) ?? false) || e.uniqueB);
  }
  if (!connected(unique)) return null;
  let fact = 0;
  for (let i = 1; i < n; i++) if (rows[i] > rows[fact]) fact = i;
  const pool = new Set(rels.keys());
  pool.delete(fact);
  return grow(fact, pool, rels, rows, unique);
}

/** `root` joined with every relation of `pool` (removed from it), branch by branch. */
function grow(root: number, pool: Set<number>, rels: readonly JoinRel[], rows: readonly number[], unique: readonly Map<number, boolean>[]): JoinTree {
  let tree: JoinTree = root;
  const joined = new Set([root]);
  for (;;) {
    let best: { root: number; members: Set<number>; keeps: number } | null = null;
    for (const x of pool) {
      if (![...unique[x].keys()].some((y) => joined.has(y))) continue;
      const members = branch(x, pool, rows, unique);
      const keeps = [...members].reduce((s, m) => s * rels[m].selectivity, 1);
      if (best === null || keeps < best.keeps || (keeps === best.keeps && (rows[x] < rows[best.root] || (rows[x] === rows[best.root] && x < best.root)))) {
        best = { root: x, members, keeps };
      }
    }
    if (best === null) return tree;
    for (const m of best.members) { pool.delete(m); joined.add(m); }
    const rest = new Set(best.members);
    rest.delete(best.root);
    tree = { left: tree, right: grow(best.root, rest, rels, rows, unique) };
  }
}

/** `x` and the relations of `pool` reachable from it through smaller relations joined on their unique keys. */
function branch(x: number, pool: ReadonlySet<number>, rows: readonly number[], unique: readonly Map<number, boolean>[]): Set<number> {
  const members = new Set([x]);
  const stack = [x];
  while (stack.length) {
    const c = stack.pop()!;
    for (const y of unique[c].keys()) {
      if (members.has(y) || !pool.has(y) || rows[y] >= rows[c] || !unique[y].get(c)) continue;
      members.add(y);
      stack.push(y);
    }
  }
  return members;
}

function connected(adj: readonly Map<number, boolean>[]): boolean {
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) for (const y of adj[stack.pop()!].keys()) if (!seen.has(y)) { seen.add(y); stack.push(y); }
  return seen.size === adj.length;
}
