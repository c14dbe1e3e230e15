// Joins on arbitrary conditions, crossJoin and aliased self-joins through the engine (local mode).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { PlanError, Quiver, col, lit } from '../../core/index.ts';
import { multiset } from './helpers.ts';

let q: Quiver;

const NATION = [
  { n_nationkey: 0, n_name: 'ALGERIA', n_regionkey: 0 }, { n_nationkey: 1, n_name: 'ARGENTINA', n_regionkey: 1 },
  { n_nationkey: 2, n_name: 'BRAZIL', n_regionkey: 1 }, { n_nationkey: 3, n_name: 'CANADA', n_regionkey: 1 },
];
const A = [{ k: 1, x: 10 }, { k: 1, x: 20 }, { k: 2, x: 30 }, { k: null, x: 40 }, { k: 3, x: null }];
const B = [{ j: 1, y: 15 }, { j: 1, y: 25 }, { j: 2, y: 5 }, { j: null, y: 50 }, { j: 4, y: 1 }];

beforeAll(async () => { q = await Quiver.local({ workers: 2, quiet: true, ui: false }); });
afterAll(async () => { await q?.close(); });

describe('crossJoin', () => {
  it('pairs every row with every row', async () => {
    const a = q.createDataFrame(A, { partitions: 2 });
    const b = q.createDataFrame(B, { partitions: 3 });
    const rows = await a.crossJoin(b).toArray();
    expect(rows.length).toBe(25);
    expect(multiset(rows)).toEqual(multiset(A.flatMap((r) => B.map((s) => ({ ...r, ...s })))));
  });

  it('shows a cross join in explain', async () => {
    const text = await q.createDataFrame(A).crossJoin(q.createDataFrame(B)).explain();
    expect(text).toContain('Join: inner cross');
    expect(text).toContain('NestedLoopJoinExec: how=inner, cross');
  });
});

describe('join on a condition', () => {
  it('keeps the equality as a key and evaluates the rest inside the join (left join)', async () => {
    const a = q.createDataFrame(A, { partitions: 2 });
    const b = q.createDataFrame(B, { partitions: 2 });
    const rows = await a.join(b, col('k').eq(col('j')).and(col('x').lt(col('y'))), 'left').toArray();
    expect(multiset(rows)).toEqual(multiset([
      { k: 1, x: 10, j: 1, y: 15 }, { k: 1, x: 10, j: 1, y: 25 }, { k: 1, x: 20, j: 1, y: 25 },
      { k: 2, x: 30, j: null, y: null }, { k: null, x: 40, j: null, y: null }, { k: 3, x: null, j: null, y: null },
    ]));
    const text = await a.join(b, col('k').eq(col('j')).and(col('x').lt(col('y'))), 'left').explain();
    expect(text).toMatch(/HashJoinExec: how=left, on=\[k = j\], filter=\(x < y\)/);
  });

  it('a semi join may relate sides that share a name it does not use', async () => {
    const a = q.createDataFrame(A, { partitions: 2 });
    const b = q.createDataFrame(B.map((r) => ({ ...r, x: 0 })), { partitions: 2 });
    const rows = await a.join(b, col('k').eq(col('j')).and(col('y').gt(20)), 'semi').toArray();
    expect(multiset(rows)).toEqual(multiset([{ k: 1, x: 10 }, { k: 1, x: 20 }]));
    expect(() => a.join(b, col('x').lt(col('y')), 'semi')).toThrow(/column 'x' exists on both sides/);
  });

  it('runs a condition without equalities as a nested loop', async () => {
    const a = q.createDataFrame(A, { partitions: 2 });
    const b = q.createDataFrame(B, { partitions: 2 });
    const anti = await a.join(b, col('x').lt(col('y')), 'anti').toArray();
    expect(multiset(anti)).toEqual(multiset([{ k: 3, x: null }]));
  });
});

describe('alias and qualified columns', () => {
  it('joins a table with itself, keeping both names apart', async () => {
    const nation = q.createDataFrame(NATION, { partitions: 2 });
    const j = nation.alias('n1').join(nation.alias('n2'), col('n1.n_regionkey').eq(col('n2.n_regionkey')).and(col('n1.n_nationkey').lt(col('n2.n_nationkey'))));
    expect(j.columns).toEqual(['n1.n_nationkey', 'n1.n_name', 'n1.n_regionkey', 'n2.n_nationkey', 'n2.n_name', 'n2.n_regionkey']);
    const rows = await j.select(col('n1.n_name'), col('n2.n_name').alias('other')).toArray();
    expect(multiset(rows)).toEqual(multiset([
      { 'n1.n_name': 'ARGENTINA', other: 'BRAZIL' }, { 'n1.n_name': 'ARGENTINA', other: 'CANADA' }, { 'n1.n_name': 'BRAZIL', other: 'CANADA' },
    ]));
    expect(() => j.select('n_name')).toThrow(PlanError);
    expect(() => j.select('n_name')).toThrow(/ambiguous: it could be 'n1.n_name', 'n2.n_name'/);
  });

  it('resolves a qualified name on a side without clashes to the plain column', async () => {
    const nation = q.createDataFrame(NATION);
    const df = nation.alias('n').filter(col('n.n_regionkey').eq(lit(1))).select(col('n.n_name'));
    expect(df.columns).toEqual(['n_name']);
    expect((await df.toArray()).length).toBe(3);
  });

  it('a filter over a cross join of aliases becomes a hash join', async () => {
    const nation = q.createDataFrame(NATION, { partitions: 2 });
    const df = nation.alias('n1').crossJoin(nation.alias('n2'))
      .filter(col('n1.n_nationkey').eq(col('n2.n_nationkey')).and(col('n1.n_name').neq(lit('ALGERIA'))))
      .select(col('n1.n_name').alias('a'), col('n2.n_name').alias('b'));
    const text = await df.explain();
    expect(text).toContain('HashJoinExec');
    expect(text).not.toContain('NestedLoopJoinExec');
    expect(multiset(await df.toArray())).toEqual(multiset(NATION.slice(1).map((n) => ({ a: n.n_name, b: n.n_name }))));
  });
});

describe('stages with join conditions, as executors check them', () => {
  it('a hash join with a residual and a nested-loop join decode to the same stages', async () => {
    const a = q.createDataFrame(A, { partitions: 2 }).alias('a');
    const b = q.createDataFrame(B, { partitions: 2 }).alias('b');
    for (const df of [a.join(b, col('a.k').eq(col('b.j')).and(col('a.x').lt(col('b.y'))), 'full'), a.join(b, col('a.x').lt(col('b.y')), 'left'), a.crossJoin(b)]) {
      const { physical } = await q.session.physical(df.plan);
      expect(physical.stages.some((s) => JSON.stringify(s.root).includes('Join"'))).toBe(true);
      for (const stage of physical.stages) {
        const d = decodeStage(JSON.stringify(stage));
        expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
      }
    }
  });
});
