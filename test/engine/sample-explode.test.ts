// df.sample and fn.explode/posexplode through the engine: determinism, statistical bounds, list semantics, explain and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, col, fn } from '../../core/index.ts';

let q: Quiver;

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
});

afterAll(async () => {
  await q?.close();
});

describe('df.sample', () => {
  // n = 200k rows; a 6-sigma band around the mean holds except with probability ~2e-9.
  const N = 200_000;
  const rows = () => q.createDataFrame(Array.from({ length: N }, (_, i) => ({ i })), { partitions: 4 });
  const band = (mean: number, variance: number) => [mean - 6 * Math.sqrt(variance), mean + 6 * Math.sqrt(variance)];

  it('without replacement: about fraction x rows, distinct, the same rows for the same seed', async () => {
    const df = rows();
    const a = (await df.sample(0.3, { seed: 7 }).toArray()).map((r) => r.i as number);
    const [lo, hi] = band(N * 0.3, N * 0.3 * 0.7);
    expect(a.length).toBeGreaterThan(lo);
    expect(a.length).toBeLessThan(hi);
    expect(new Set(a).size).toBe(a.length);
    const b = (await df.sample(0.3, { seed: 7 }).toArray()).map((r) => r.i as number);
    expect(b).toEqual(a);
    const c = (await df.sample(0.3, { seed: 8 }).toArray()).map((r) => r.i as number);
    expect(c).not.toEqual(a);
    expect(await df.sample(0, { seed: 1 }).count()).toBe(0);
    expect(await df.sample(1, { seed: 1 }).count()).toBe(N);
  });

  it('with replacement: Poisson copies, mean fraction x rows (fraction may exceed 1)', async () => {
    const df = rows();
    const a = (await df.sample(1.5, { withReplacement: true, seed: 3 }).toArray()).map((r) => r.i as number);
    const [lo, hi] = band(N * 1.5, N * 1.5);
    expect(a.length).toBeGreaterThan(lo);
    expect(a.length).toBeLessThan(hi);
    expect(new Set(a).size).toBeLessThan(a.length); // some rows repeat
    expect((await df.sample(1.5, { withReplacement: true, seed: 3 }).toArray()).map((r) => r.i)).toEqual(a);
  });

  it('a seed fixed at build time when none is given; explain shows it; bad fractions are PlanErrors', async () => {
    const s = rows().sample(0.1);
    expect((await s.toArray()).map((r) => r.i)).toEqual((await s.toArray()).map((r) => r.i));
    const plan = await rows().sample(0.25, { seed: 42 }).explain();
    expect(plan).toContain('Sample: fraction=0.25 withReplacement=false seed=42');
    expect(plan).toContain('RandomSampleExec: fraction=0.25 withReplacement=false seed=42');
    expect(() => rows().sample(1.5)).toThrow(PlanError);
    expect(() => rows().sample(-0.1, { withReplacement: true })).toThrow(/fraction must be/);
  });
});

describe('fn.explode / fn.posexplode', () => {
  const ROWS = [
    { id: 1, s: 'a b c' }, { id: 2, s: null }, { id: 3, s: 'd' }, { id: 4, s: 'e f' },
  ];
  const df = () => q.createDataFrame(ROWS, { partitions: 2 }).withColumn('tags', col('s').split(' '));

  it('explode: one row per element, other columns repeated, null list gives no row', async () => {
    const rows = await df().select('id', fn.explode('tags')).toArray();
    expect(rows).toEqual([
      { id: 1, col: 'a' }, { id: 1, col: 'b' }, { id: 1, col: 'c' }, { id: 3, col: 'd' }, { id: 4, col: 'e' }, { id: 4, col: 'f' },
    ]);
  });

  it('posexplode with an alias, and items computed per generated row', async () => {
    const rows = await df().select(fn.posexplode('tags').alias('tag'), col('id').mul(10).alias('x')).toArray();
    expect(rows.slice(0, 4)).toEqual([{ pos: 0, tag: 'a', x: 10 }, { pos: 1, tag: 'b', x: 10 }, { pos: 2, tag: 'c', x: 10 }, { pos: 0, tag: 'd', x: 30 }]);
  });

  it('explodeOuter / posexplodeOuter keep null and empty lists as a row of nulls', async () => {
    const data = q.createDataFrame([{ id: 1, s: 'x,y' }, { id: 2, s: null }], { partitions: 1 }).withColumn('l', col('s').split(','));
    expect(await data.select('id', fn.explodeOuter('l').alias('v')).toArray()).toEqual([{ id: 1, v: 'x' }, { id: 1, v: 'y' }, { id: 2, v: null }]);
    expect(await data.select('id', fn.posexplodeOuter('l')).toArray()).toEqual([
      { id: 1, pos: 0, col: 'x' }, { id: 1, pos: 1, col: 'y' }, { id: 2, pos: null, col: null },
    ]);
  });

  it('a generated name may repeat an input column; explain shows the Generate node', async () => {
    const d = df();
    const rows = await d.select(fn.explode('tags').alias('id')).toArray();
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const plan = await d.select('id', fn.posexplode('tags')).explain();
    expect(plan).toContain('Generate: posexplode(tags) -> [pos, col]');
    expect(plan).toContain('GenerateExec: posexplode(tags)');
  });

  it('groups after an explode (word count), and counts follow the lists', async () => {
    const rows = await q.createDataFrame([{ t: 'a b a' }, { t: 'b a' }, { t: null }], { partitions: 2 })
      .select(fn.explode(col('t').split(' ')).alias('w')).groupBy('w').agg(fn.count().alias('n')).orderBy('w').toArray();
    expect(rows).toEqual([{ w: 'a', n: 3 }, { w: 'b', n: 2 }]);
  });

  it('PlanErrors: not a list, two generators, a generator outside select', async () => {
    expect(() => df().select(fn.explode('id'))).toThrow(/the argument has type int\d+, expected a list/);
    expect(() => df().select(fn.explode('tags'), fn.posexplode('tags'))).toThrow(/only one generator per select/);
    expect(() => df().filter(fn.explode('tags').isNotNull())).toThrow(/is a generator: use it as a whole item of select/);
    expect(() => df().groupBy('id').agg(fn.count(fn.explode('tags')))).toThrow(/is a generator/);
  });

  it('withColumn with a generator replaces the list by its elements, in place', async () => {
    const rows = await df().withColumn('tags', fn.explode('tags')).select('id', 'tags').toArray();
    expect(rows.map((r) => `${r.id}:${r.tags}`)).toEqual(['1:a', '1:b', '1:c', '3:d', '4:e', '4:f']);
  });
});
