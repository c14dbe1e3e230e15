import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { joinFields } from '../../core/plan/schema.ts';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import { HashJoinExec, type JoinType } from '../../ops/joins/hash-join-exec.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { batchesOf, rng, rowsOf, run, sortRows } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec } from './stream-support.ts';

type Row = Record<string, unknown>;
const KINDS: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];

function join(how: JoinType, left: ExecPlan, right: ExecPlan, lk: string[], rk: string[], opts: { using?: boolean; buildSide?: 'left' | 'right' } = {}): HashJoinExec {
  const leftKeys = lk.map(col), rightKeys = rk.map(col);
  const using = opts.using ?? false;
  const outputFields = joinFields(fromArrowSchema(left.schema), fromArrowSchema(right.schema), how, leftKeys, rightKeys, using);
  return new HashJoinExec({ how, leftKeys, rightKeys, using, buildSide: opts.buildSide ?? 'right', outputFields }, left, right);
}

const src = (t: arrow.Table, size = 7) => new SourceExec(t.schema, [batchesOf(t, size)]);

/** Nested-loop reference join over plain rows, shaped like joinFields' output. */
function nestedLoop(how: JoinType, L: Row[], R: Row[], lk: string[], rk: string[], using: boolean, leftNames: string[], rightNames: string[]): Row[] {
  const eq = (a: unknown, b: unknown) => a !== null && b !== null && Number(a) === Number(b) || (typeof a === 'string' && a === b);
  const match = (l: Row, r: Row) => lk.every((k, i) => l[k] !== null && r[rk[i]] !== null && eq(l[k], r[rk[i]]));
  const usingNames = new Map(using ? lk.map((k, i) => [k, rk[i]] as const) : []);
  const combine = (l: Row | null, r: Row | null): Row => {
    const o: Row = {};
    for (const n of leftNames) {
      const rn = usingNames.get(n);
      if (rn !== undefined && how === 'full') o[n] = l?.[n] ?? r?.[rn] ?? null;
      else if (rn !== undefined && how === 'right') o[n] = r?.[rn] ?? null;
      else o[n] = l?.[n] ?? null;
    }
    for (const n of rightNames) if (!usingNames.has(n)) o[n] = r?.[n] ?? null;
    return o;
  };
  const out: Row[] = [];
  const rightHit = new Set<number>();
  for (const l of L) {
    const hits = R.map((r, j) => (match(l, r) ? j : -1)).filter((j) => j >= 0);
    if (how === 'semi') { if (hits.length) out.push({ ...l }); continue; }
    if (how === 'anti') { if (!hits.length) out.push({ ...l }); continue; }
    for (const j of hits) { out.push(combine(l, R[j])); rightHit.add(j); }
    if (!hits.length && (how === 'left' || how === 'full')) out.push(combine(l, null));
  }
  if (how === 'right' || how === 'full') R.forEach((r, j) => { if (!rightHit.has(j)) out.push(combine(null, r)); });
  return out;
}

function randomSides(seed: number, rows: number) {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const k = () => (r() < 0.15 ? null : pick(['a', 'b', 'c', 'd', 'é', 'long-key-xxxxxxxxxxxxxxxx']));
  const n = () => (r() < 0.15 ? null : Math.floor(r() * 6));
  const left = new arrow.Table({
    k: arrow.vectorFromArray(Array.from({ length: rows }, k), new arrow.Utf8()),
    n: arrow.vectorFromArray(Array.from({ length: rows }, n), new arrow.Int32()),
    lv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => i), new arrow.Int32()),
  });
  const right = new arrow.Table({
    k: arrow.vectorFromArray(Array.from({ length: rows }, k), new arrow.Utf8()),
    n: arrow.vectorFromArray(Array.from({ length: rows }, () => { const x = n(); return x === null ? null : BigInt(x); }), new arrow.Int64()),
    rv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `r${i}`), new arrow.Utf8()),
  });
  return { left, right };
}

describe('HashJoinExec', () => {
  const { left, right } = randomSides(42, 60);
  const L = rowsOf(left.batches), R = rowsOf(right.batches);
  // Non-USING joins need distinct column names on the two sides.
  const right2 = new arrow.Table({ k2: right.getChild('k')!, n2: right.getChild('n')!, rv: right.getChild('rv')! });
  const R2 = rowsOf(right2.batches);

  for (const how of KINDS) {
    for (const buildSide of ['left', 'right'] as const) {
      it(`${how} join, build ${buildSide}: duplicates, null keys, utf8 + int32/int64 keys = nested loop`, async () => {
        const j = join(how, src(left), src(right2, 5), ['k', 'n'], ['k2', 'n2'], { buildSide });
        const { rows, batches } = await run(j, { batchSize: 8 });
        expect(batches.every((b) => b.numRows > 0 && b.numRows <= 8)).toBe(true);
        const want = nestedLoop(how, L, R2, ['k', 'n'], ['k2', 'n2'], false, ['k', 'n', 'lv'], ['k2', 'n2', 'rv']);
        expect(sortRows(rows)).toEqual(sortRows(want));
        if (how === 'inner') expect(rows.length).toBeGreaterThan(20);
      });

      it(`${how} USING join, build ${buildSide} = nested loop`, async () => {
        const j = join(how, src(left), src(right, 9), ['k', 'n'], ['k', 'n'], { using: true, buildSide });
        const { rows } = await run(j, { batchSize: 16 });
        const want = nestedLoop(how, L, R, ['k', 'n'], ['k', 'n'], true, ['k', 'n', 'lv'], ['k', 'n', 'rv']);
        expect(j.schema.fields.map((f) => f.name)).toEqual(how === 'semi' || how === 'anti' ? ['k', 'n', 'lv'] : ['k', 'n', 'lv', 'rv']);
        expect(sortRows(rows)).toEqual(sortRows(want));
      });
    }
  }

  it('single utf8 key with nulls on both sides (the one-bytes-key table path)', async () => {
    for (const how of KINDS) {
      const j = join(how, src(left), src(right2), ['k'], ['k2']);
      const want = nestedLoop(how, L, R2, ['k'], ['k2'], false, ['k', 'n', 'lv'], ['k2', 'n2', 'rv']);
      expect(sortRows((await run(j)).rows)).toEqual(sortRows(want));
    }
  });

  it('compares int32 with float64 keys by value', async () => {
    const a = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3, null], new arrow.Int32()) });
    const b = new arrow.Table({ y: arrow.vectorFromArray([2, 2.5, 3, null, 1], new arrow.Float64()), t: arrow.vectorFromArray(['two', 'x', 'three', 'n', 'one'], new arrow.Utf8()) });
    const { rows } = await run(join('inner', src(a), src(b), ['x'], ['y']));
    expect(sortRows(rows)).toEqual(sortRows([{ x: 1, y: 1, t: 'one' }, { x: 2, y: 2, t: 'two' }, { x: 3, y: 3, t: 'three' }]));
  });

  it('full USING join coalesces the key and keeps both unmatched sides', async () => {
    const a = new arrow.Table({ id: arrow.vectorFromArray([1, 2, null], new arrow.Int32()), a: arrow.vectorFromArray(['a1', 'a2', 'an'], new arrow.Utf8()) });
    const b = new arrow.Table({ id: arrow.vectorFromArray([2n, 3n, null], new arrow.Int64()), b: arrow.vectorFromArray(['b2', 'b3', 'bn'], new arrow.Utf8()) });
    const j = join('full', src(a), src(b), ['id'], ['id'], { using: true });
    expect(sortRows((await run(j)).rows)).toEqual(sortRows([
      { id: 1, a: 'a1', b: null }, { id: 2, a: 'a2', b: 'b2' }, { id: null, a: 'an', b: null },
      { id: 3, a: null, b: 'b3' }, { id: null, a: null, b: 'bn' },
    ]));
    const rj = join('right', src(a), src(b), ['id'], ['id'], { using: true, buildSide: 'left' });
    expect(sortRows((await run(rj)).rows)).toEqual(sortRows([{ id: 2, a: 'a2', b: 'b2' }, { id: 3, a: null, b: 'b3' }, { id: null, a: null, b: 'bn' }]));
  });

  it('many-to-many fan-out is emitted in batches of ctx.batchSize', async () => {
    const a = new arrow.Table({ k: arrow.vectorFromArray(new Array(300).fill(1), new arrow.Int32()) });
    const b = new arrow.Table({ k2: arrow.vectorFromArray(new Array(200).fill(1), new arrow.Int32()) });
    const { batches } = await run(join('inner', src(a, 100), src(b, 50), ['k'], ['k2']), { batchSize: 1000 });
    expect(batches.reduce((s, x) => s + x.numRows, 0)).toBe(60_000);
    expect(Math.max(...batches.map((x) => x.numRows))).toBe(1000);
  });

  it('passes semi-join probe batches through untouched when every row matches', async () => {
    const a = new arrow.Table({ k: arrow.vectorFromArray([1, 2, 1], new arrow.Int32()) });
    const b = new arrow.Table({ k2: arrow.vectorFromArray([1, 2], new arrow.Int32()) });
    const s = src(a, 3);
    const out = await collect(join('semi', s, src(b), ['k'], ['k2']).execute(0, await makeContext()));
    expect(out).toHaveLength(1);
    expect(out[0].data.children[0]).toBe(s.partitions[0][0].data.children[0]);
  });

  it('does not pull the probe side of an inner join when the build side is empty', async () => {
    const a = new arrow.Table({ k: arrow.vectorFromArray([1, 2], new arrow.Int32()) });
    const empty = new SourceExec(new arrow.Schema([new arrow.Field('k2', new arrow.Int32())]), [[]]);
    const probe = src(a);
    expect((await run(join('inner', probe, empty, ['k'], ['k2']))).rows).toEqual([]);
    expect(probe.pulls).toBe(0);
    expect((await run(join('anti', src(a), empty, ['k'], ['k2']))).rows).toEqual([{ k: 1 }, { k: 2 }]);
  });

  it('spills instead of failing when the build side does not fit the budget', async () => {
    const big = new arrow.Table({ k2: arrow.vectorFromArray(Array.from({ length: 5000 }, (_, i) => i), new arrow.Int32()) });
    const a = new arrow.Table({ k: arrow.vectorFromArray([1, 4999, 7000], new arrow.Int32()) });
    const j = join('left', src(a), src(big, 1000), ['k'], ['k2']);
    const { rows, ctx } = await run(j, { memoryBudget: 16 * 1024 });
    expect(sortRows(rows)).toEqual(sortRows([{ k: 1, k2: 1 }, { k: 4999, k2: 4999 }, { k: 7000, k2: null }]));
    expect(ctx.counters.get('spills')).toBeGreaterThan(0);
  });

  // Builds of few keys over a wide range: a dense index (40 keys over 200,000 values: 800 KB of
  // group starts) or a key bitmap (30 keys over 5M values: 625 KB) is over the 64 KB budget, a
  // plain hashed table is not, so the join runs without spilling.
  it.each([
    ['a dense index', 40, 5000],
    ['a key bitmap', 30, 170_000],
  ])('drops %s that would not fit the budget rather than spilling', async (_what, count, step) => {
    const keys = Array.from({ length: count }, (_, i) => i * step);
    const wide = new arrow.Table({ k2: arrow.vectorFromArray(keys, new arrow.Int32()) });
    const last = (count - 1) * step;
    const a = new arrow.Table({ k: arrow.vectorFromArray([0, step, last, 7], new arrow.Int32()) });
    const j = join('left', src(a), src(wide, 16), ['k'], ['k2']);
    const { rows, ctx } = await run(j, { memoryBudget: 64 * 1024 });
    expect(sortRows(rows)).toEqual(sortRows([{ k: 0, k2: 0 }, { k: step, k2: step }, { k: last, k2: last }, { k: 7, k2: null }]));
    expect(ctx.counters.get('spills') ?? 0).toBe(0);
  });

  it('displays one line', () => {
    const j = join('left', src(left), src(right2), ['k'], ['k2']);
    expect(j.display()).toBe('HashJoinExec: how=left, on=[k = k2], build=right');
  });
});
