// Join conditions in the operators: HashJoinExec with a residual (in memory and spilling) and NestedLoopJoinExec, both build sides, every join kind.
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { joinFields, joinPairFields } from '../../core/plan/schema.ts';
import { ResourceError } from '../../ops/errors.ts';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { HashJoinExec, type JoinType } from '../../ops/joins/hash-join-exec.ts';
import { NestedLoopJoinExec } from '../../ops/joins/nested-loop-join-exec.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { batchesOf, rng, run, sortRows } from './aggregate-support.ts';
import { col, SourceExec } from './stream-support.ts';

type Row = Record<string, unknown>;
const KINDS: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
const bin = (op: 'lt' | 'neq' | 'and' | 'gt', left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });

/** Left (k, a) and right (j, b) with duplicate and null keys and null values. */
function sides(seed: number, rows: number, keys = 5): { left: arrow.Table; right: arrow.Table; L: Row[]; R: Row[] } {
  const r = rng(seed);
  const maybe = (v: number) => (r() < 0.15 ? null : v);
  const L = Array.from({ length: rows }, (_, i) => ({ k: maybe(Math.floor(r() * keys)), a: maybe(Math.floor(r() * 20)), i }));
  const R = Array.from({ length: Math.ceil(rows * 0.7) }, (_, i) => ({ j: maybe(Math.floor(r() * keys)), b: maybe(Math.floor(r() * 20)), m: i }));
  const table = (rs: Row[]) => new arrow.Table(Object.fromEntries(Object.keys(rs[0]).map((n) => [n, arrow.vectorFromArray(rs.map((x) => x[n]), new arrow.Int32())])));
  return { left: table(L), right: table(R), L, R };
}

/** The reference: pairs where the keys are equal (no nulls) and `cond` is true, shaped by join kind. */
function reference(how: JoinType, L: Row[], R: Row[], keyed: boolean, cond: (l: Row, r: Row) => boolean): Row[] {
  const match = (l: Row, r: Row) => (!keyed || (l.k !== null && r.j !== null && l.k === r.j)) && cond(l, r);
  const nullR = { j: null, b: null, m: null }, nullL = { k: null, a: null, i: null };
  const out: Row[] = [];
  const hitR = new Set<number>();
  for (const l of L) {
    const hits = R.map((r, x) => (match(l, r) ? x : -1)).filter((x) => x >= 0);
    if (how === 'semi') { if (hits.length) out.push(l); continue; }
    if (how === 'anti') { if (!hits.length) out.push(l); continue; }
    for (const x of hits) { out.push({ ...l, ...R[x] }); hitR.add(x); }
    if (!hits.length && (how === 'left' || how === 'full')) out.push({ ...l, ...nullR });
  }
  if (how === 'right' || how === 'full') R.forEach((r, x) => { if (!hitR.has(x)) out.push({ ...nullL, ...r }); });
  return out;
}

// a < b AND i != m: null a or b never passes.
const FILTER = bin('and', bin('lt', col('a'), col('b')), bin('neq', col('i'), col('m')));
const cond = (l: Row, r: Row) => l.a !== null && r.b !== null && (l.a as number) < (r.b as number) && l.i !== r.m;

function plan(kind: 'hash' | 'loop', how: JoinType, left: arrow.Table, right: arrow.Table, buildSide: 'left' | 'right', size: number): ExecPlan {
  const l = new SourceExec(left.schema, [batchesOf(left, size)]);
  const r = new SourceExec(right.schema, [batchesOf(right, size)]);
  const lf = fromArrowSchema(left.schema), rf = fromArrowSchema(right.schema);
  const [lk, rk] = kind === 'hash' ? [[col('k')], [col('j')]] : [[], []];
  const outputFields = joinFields(lf, rf, how, lk, rk, false);
  const filterFields = joinPairFields(lf, rf);
  return kind === 'hash'
    ? new HashJoinExec({ how, leftKeys: lk, rightKeys: rk, using: false, buildSide, outputFields, filter: FILTER, filterFields }, l, r)
    : new NestedLoopJoinExec({ how, filter: FILTER, filterFields, buildSide, outputFields }, l, r);
}

describe('join conditions in the operators', () => {
  const { left, right, L, R } = sides(3, 120);
  for (const kind of ['hash', 'loop'] as const) {
    for (const how of KINDS) {
      it(`${kind === 'hash' ? 'HashJoinExec with a residual' : 'NestedLoopJoinExec'}: ${how}, both build sides, small batches`, async () => {
        const want = sortRows(reference(how, L, R, kind === 'hash', cond));
        for (const buildSide of ['left', 'right'] as const) {
          const { rows } = await run(plan(kind, how, left, right, buildSide, 13), { batchSize: 17 });
          expect(sortRows(rows), `build=${buildSide}`).toEqual(want);
        }
      });
    }
  }

  it('HashJoinExec with a residual gives the same rows when it spills (grace partitions)', async () => {
    const big = sides(5, 3000, 600);
    for (const how of KINDS) {
      const want = sortRows(reference(how, big.L, big.R, true, cond));
      const { rows, ctx } = await run(plan('hash', how, big.left, big.right, 'right', 200), { batchSize: 256, memoryBudget: 16 * 1024 });
      expect(sortRows(rows), how).toEqual(want);
      expect(ctx.counters.get('spills') ?? 0, how).toBeGreaterThan(0);
    }
  });

  it('NestedLoopJoinExec without a condition is the cartesian product, and nothing with an empty side', async () => {
    const { left: l2, right: r2, L: L2, R: R2 } = sides(7, 9);
    const lf = fromArrowSchema(l2.schema), rf = fromArrowSchema(r2.schema);
    const exec = (t: arrow.Table, rows: number) => new SourceExec(t.schema, [batchesOf(t, rows)]);
    const cross = new NestedLoopJoinExec({ how: 'inner', filter: null, filterFields: joinPairFields(lf, rf), buildSide: 'right', outputFields: joinFields(lf, rf, 'inner', [], [], false) }, exec(l2, 4), exec(r2, 3));
    const { rows } = await run(cross, { batchSize: 5 });
    expect(sortRows(rows)).toEqual(sortRows(L2.flatMap((l) => R2.map((r) => ({ ...l, ...r })))));
    const empty = new SourceExec(r2.schema, [[]]);
    const none = new NestedLoopJoinExec({ how: 'inner', filter: null, filterFields: joinPairFields(lf, rf), buildSide: 'right', outputFields: joinFields(lf, rf, 'inner', [], [], false) }, exec(l2, 4), empty);
    expect((await run(none)).rows).toEqual([]);
  });

  it('NestedLoopJoinExec fails with a ResourceError, not retried, when its build side passes memoryBudget', async () => {
    const big = sides(9, 5000);
    const p = plan('loop', 'left', big.left, big.right, 'right', 500);
    const err = await run(p, { memoryBudget: 4096 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect((err as ResourceError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/right input of the left join on .* passed memoryBudget \(4096 bytes\).*Add an equality/);
  });
});
