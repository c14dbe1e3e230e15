// Expressions over aggregates in agg() and groupBy().agg(): results, plan shape, output names and the errors for ungrouped columns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { PlanError, Quiver, col, fn, lit, when } from '../../core/index.ts';

let q: Quiver;

const ROWS = [
  { k: 'a', a: 1, x: 2, y: 10, v: 5 }, { k: 'a', a: 3, x: 1, y: 20, v: null }, { k: 'a', a: null, x: 4, y: 30, v: 7 },
  { k: 'b', a: -5, x: 3, y: 1, v: 1 }, { k: 'b', a: 2, x: null, y: 3, v: 2 },
  { k: 'c', a: null, x: 1, y: 1, v: null },
  { k: null, a: 8, x: 2, y: 2, v: 3 },
];
const SCHEMA = [
  { name: 'k', type: 'utf8' as const, nullable: true }, { name: 'a', type: 'int32' as const, nullable: true },
  { name: 'x', type: 'int32' as const, nullable: true }, { name: 'y', type: 'int32' as const, nullable: true },
  { name: 'v', type: 'int32' as const, nullable: true },
];

beforeAll(async () => {
  q = await Quiver.local({ workers: 2, shufflePartitions: 3 });
});

afterAll(async () => {
  await q?.close();
});

const df = (partitions = 2) => q.createDataFrame(ROWS, { schema: SCHEMA, partitions });
const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((r, s) => String(r.k).localeCompare(String(s.k)));

describe('expressions over aggregates', () => {
  it('global: ratios, comparisons, arithmetic on count and CASE over an aggregate', async () => {
    const out = df().agg(
      fn.sum('a').div(fn.count()).alias('m'),
      fn.sum(col('x').mul(col('y'))).mul(100).div(fn.sum('y')).alias('w'),
      fn.sum('a').gt(10),
      fn.count().add(1).alias('n1'),
      when(fn.sum('a').gt(0), 1).otherwise(0).alias('pos'),
    );
    expect(out.columns).toEqual(['m', 'w', '(sum(a) > 10)', 'n1', 'pos']);
    // sum(a) = 9 over 7 rows; sum(x*y) = 20+20+120+3+1+4 = 168 (x null in one row), sum(y) = 67.
    expect(await out.toArray()).toEqual([{ m: 9 / 7, w: (168 * 100) / 67, '(sum(a) > 10)': false, n1: 8, pos: 1 }]);
  });

  it('grouped: group keys inside expressions, each distinct aggregate once, names as written', async () => {
    const out = df().groupBy('k').agg(
      col('k').concat(lit('!')).alias('kk'),
      fn.max('v').add(fn.min('v')).alias('spread'),
      fn.sum('a'),
      fn.sum('a').mul(2).alias('twice'),
      fn.count('v').div(fn.count()),
    );
    expect(out.columns).toEqual(['k', 'kk', 'spread', 'sum(a)', 'twice', '(count(v) / count(*))']);
    expect(byKey(await out.toArray())).toEqual(byKey([
      { k: 'a', kk: 'a!', spread: 12, 'sum(a)': 4, twice: 8, '(count(v) / count(*))': 2 / 3 },
      { k: 'b', kk: 'b!', spread: 3, 'sum(a)': -3, twice: -6, '(count(v) / count(*))': 1 },
      { k: 'c', kk: 'c!', spread: null, 'sum(a)': null, twice: null, '(count(v) / count(*))': 0 },
      { k: null, kk: null, spread: 6, 'sum(a)': 8, twice: 16, '(count(v) / count(*))': 1 },
    ]));
    const plan = await out.explain();
    // One Aggregate over the three distinct calls (sum(a) used twice), a Project above it.
    expect(plan).toMatch(/Project.*\n.*Aggregate/);
    expect(plan).toContain('max(v), min(v), sum(a), count(v), count(*)');
  });

  it('an expression group key matches the same expression inside agg()', async () => {
    const out = df().groupBy(col('a').mod(2)).agg(col('a').mod(2).mul(10).add(fn.count()).alias('z'));
    const rows = (await out.toArray()).map((r) => r.z).sort();
    // a % 2: 1 (1, 3), -1 (-5), 0 (2, 8), null (2 rows): 10 + 2, -10 + 1, 0 + 2, null.
    expect(rows).toEqual([-9, 12, 2, null].sort());
  });

  it('plain aggregates keep one Aggregate node and their names', async () => {
    const out = df().groupBy('k').agg(fn.sum('a'), fn.count().alias('n'));
    expect(out.plan.kind).toBe('aggregate');
    expect(out.columns).toEqual(['k', 'sum(a)', 'n']);
  });

  it('a column outside an aggregate that is not grouped is a PlanError naming it', () => {
    expect(() => df().groupBy('k').agg(col('a').add(fn.sum('v')))).toThrow(PlanError);
    expect(() => df().groupBy('k').agg(col('a').add(fn.sum('v')))).toThrow(
      "agg: column 'a' in (a + sum(v)) is neither grouped nor aggregated (group keys are k): add it to groupBy(...) or aggregate it, e.g. fn.first('a')");
    expect(() => df().agg(fn.count().add(col('x')))).toThrow(/column 'x' .* is neither grouped nor aggregated \(there are no group keys\)/);
    expect(() => df().agg(fn.count().add(col('nope')))).toThrow(/unknown column 'nope'.*valid columns are k, a, x, y, v/);
  });

  it('nested aggregates are a PlanError', () => {
    expect(() => df().agg(fn.sum(fn.max('x')).add(1))).toThrow(/nested aggregate sum\(max\(x\)\)/);
    expect(() => df().agg(fn.sum(fn.max('x')))).toThrow(PlanError);
  });

  it('literals alone still give one row', async () => {
    expect(await df().agg(lit(1).alias('one')).toArray()).toEqual([{ one: 1 }]);
  });
});

describe('new aggregates in cluster stages', () => {
  it("stages with every new aggregate under expressions pass the executors' stage schema unchanged; a bad percentage is refused", async () => {
    const out = df(3).groupBy('k').agg(
      fn.stddev('a').add(fn.stddevPop('a')).alias('s'), fn.variance('x'), fn.varPop('y'), fn.collectList('v'), fn.collectSet('a'),
      fn.percentileApprox('y', [0.5, 0.9], 100).alias('p'), fn.percentileApprox('v', 0.5), fn.sumDistinct('a'), fn.avgDistinct('x'));
    const { physical } = await q.session.physical(out.plan);
    expect(physical.stages.map((s) => s.root.op)).toEqual(['aggregate', 'project']);
    for (const stage of physical.stages) {
      const d = decodeStage(JSON.stringify(stage));
      expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    }
    const bad = JSON.stringify(physical.stages[0]).replace('"percentage":[0.5,0.9]', '"percentage":"half"');
    expect(decodeStage(bad)).toMatchObject({ ok: false, reason: expect.stringMatching(/percentage/) });
    const a = (await out.toArray()).find((r) => r.k === 'a')!;
    // a: 1, 3, null; x: 2, 1, 4; y: 10, 20, 30; v: 5, null, 7.
    expect({ ...a, 'collectList(v)': (a['collectList(v)'] as number[]).sort(), 'collectSet(a)': (a['collectSet(a)'] as number[]).sort() }).toEqual({
      k: 'a', s: expect.closeTo(Math.SQRT2 + 1, 12), 'varSamp(x)': expect.closeTo(7 / 3, 12), 'varPop(y)': expect.closeTo(200 / 3, 12), 'collectList(v)': [5, 7], 'collectSet(a)': [1, 3], p: [20, 30],
      'percentileApprox(v, 0.5, 10000)': 5, 'sumDistinct(a)': 4, 'avgDistinct(x)': expect.closeTo(7 / 3, 12),
    });
  });
});
