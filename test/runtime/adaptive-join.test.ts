// Adaptive joins: a join the estimates shuffle runs as a broadcast join when its build side's shuffle output is small, with the same rows; which plans may switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type DataFrame } from '../../core/index.ts';
import type { PhysicalPlan, PhysNode, Stage } from '../../core/physical/phys-node.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import type { MapOutput } from '../../core/runtime/runtime.ts';
import { adaptiveJoins, broadcastJoinStage, keyFilteredProbeStage } from '../../core/scheduler/adaptive-join.ts';

const sorted = <T>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
type StageStart = Extract<RuntimeEvent, { kind: 'stageStart' }>;

// Sides of 20,000 rows, estimated at tens of KB: over an 8 KB threshold, so planned as a
// shuffle; a filter keeping 50 keys leaves the build side a few hundred bytes.
const THRESHOLD = 8192;
const facts = Array.from({ length: 20_000 }, (_, i) => ({ k: i % 4000, v: i, tag: `t${i % 7}` }));
const dims = Array.from({ length: 20_000 }, (_, i) => ({ k: i, name: `name-${i}`, w: i % 100 }));

describe('adaptive joins in jobs', () => {
  let q: Quiver;
  let plain: Quiver;
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 4, broadcastThresholdBytes: THRESHOLD });
    plain = await Quiver.local({ workers: 2, shufflePartitions: 4, broadcastThresholdBytes: THRESHOLD, adaptiveJoins: false });
    q.session.listeners.add((e) => { events.push(e); });
  });
  afterAll(async () => { await q.close(); await plain.close(); });

  const starts = () => events.filter((e): e is StageStart => e.kind === 'stageStart');
  const planned = () => events.find((e): e is Extract<RuntimeEvent, { kind: 'jobStart' }> => e.kind === 'jobStart')!.stages;
  const run = async (job: (s: Quiver) => DataFrame) => {
    events.length = 0;
    const got = await job(q).toArray();
    expect(sorted(got)).toEqual(sorted(await job(plain).toArray()));
    return got;
  };
  const sides = (s: Quiver, keep: (k: ReturnType<typeof col>) => ReturnType<typeof col>) => ({
    left: s.createDataFrame(facts, { partitions: 3 }),
    right: s.createDataFrame(dims, { partitions: 2 }).filter(keep(col('k'))).select('k', 'w'),
  });

  it('broadcasts a build side that turns out small: the probe side is never shuffled, the rows are the same', async () => {
    const job = (s: Quiver) => { const { left, right } = sides(s, (k) => k.lt(50)); return left.join(right, 'k').groupBy('tag').agg(fn.count().alias('n'), fn.sum('w').alias('w')); };
    expect(await plain.session.explain(job(plain).plan)).not.toContain('adaptive');
    expect(await q.session.explain(job(q).plan)).toContain('adaptive');
    const got = await run(job);
    expect(got).toHaveLength(7);
    const switched = starts().filter((e) => e.broadcastJoin);
    expect(switched).toHaveLength(1);
    const { probeStage, buildBytes } = switched[0].broadcastJoin!;
    expect(buildBytes).toBeGreaterThan(0);
    expect(buildBytes).toBeLessThanOrEqual(THRESHOLD);
    // The join stage runs the probe side's tasks (its 3 partitions, not the 4 of the shuffle), and the probe stage never starts.
    expect(switched[0].tasks).toBe(3);
    expect(planned().find((st) => st.id === switched[0].stageId)!.partitions).toBe(4);
    expect(starts().some((e) => e.stageId === probeStage)).toBe(false);
    expect(q.session.lastJob!.tasks).toBeLessThan(plain.session.lastJob!.tasks);
  });

  it('keeps the shuffle when the build side is big, after running it first, and filters the probe side by its keys', async () => {
    const job = (s: Quiver) => { const { left, right } = sides(s, (k) => k.gte(3000)); return left.join(right, 'k').groupBy('tag').agg(fn.count().alias('n')); };
    const got = await run(job);
    expect(got).toHaveLength(7);
    expect(starts().some((e) => e.broadcastJoin)).toBe(false);
    // 17,000 build rows: the facts without a partner (keys under 3,000) are dropped before their shuffle.
    const filtered = starts().filter((e) => e.keyFilter);
    expect(filtered.map((e) => e.keyFilter!.buildRows)).toEqual([17_000]);
    const probeEnd = events.filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.stageId === filtered[0].stageId);
    expect(probeEnd.reduce((s, e) => s + e.rows, 0)).toBe(facts.filter((f) => f.k >= 3000).length);
    // Both sides ran (every planned stage started), the probe side's after the build side's ended.
    expect(starts()).toHaveLength(planned().length);
    const join = planned().find((st) => st.parents.length === 2)!;
    const ends = events.filter((e): e is Extract<RuntimeEvent, { kind: 'stageEnd' }> => e.kind === 'stageEnd');
    const startOf = (id: number) => events.indexOf(starts().find((e) => e.stageId === id)!);
    const endOf = (id: number) => events.indexOf(ends.find((e) => e.stageId === id)!);
    const [a, b] = join.parents;
    expect(startOf(a) > endOf(b) || startOf(b) > endOf(a)).toBe(true);
  });

  it('switches outer, semi and anti joins only where the build side\'s unmatched rows never show', async () => {
    const keep = (k: ReturnType<typeof col>) => k.lt(50).or(k.gte(19_990));
    for (const how of ['left', 'semi', 'anti'] as const) {
      const got = await run((s) => { const { left, right } = sides(s, keep); return left.join(right, 'k', how); });
      expect(got.length).toBeGreaterThan(0);
      expect(starts().filter((e) => e.broadcastJoin)).toHaveLength(1);
    }
    // A right join builds on its left side (here the small one), whose unmatched rows never show.
    const right = await run((s) => { const { left, right } = sides(s, keep); return right.join(left, 'k', 'right'); });
    expect(right).toHaveLength(facts.length);
    expect(starts().filter((e) => e.broadcastJoin)).toHaveLength(1);
    // Unmatched build rows: a full join never adapts.
    const full = (s: Quiver) => { const { left, right } = sides(s, keep); return left.join(right, 'k', 'full'); };
    expect(await q.session.explain(full(q).plan)).not.toContain('adaptive');
    const got = await run(full);
    // Every fact, and the 10 kept dimensions no fact names (keys 19,990 and up).
    expect(got.length).toBe(facts.length + 10);
  });

  it('keeps the planned partitions of a result read in order (toLocalIterator)', async () => {
    const job = (s: Quiver) => { const { left, right } = sides(s, (k) => k.lt(50)); return left.join(right, 'k'); };
    events.length = 0;
    let rows = 0;
    for await (const b of job(q).toLocalIterator()) rows += b.numRows;
    expect(rows).toBe(await job(plain).count());
    expect(rows).toBe(250);
    expect(starts().some((e) => e.broadcastJoin)).toBe(false);
    // collect() may change them: the same join switches.
    expect(await run(job)).toHaveLength(250);
    expect(starts().filter((e) => e.broadcastJoin)).toHaveLength(1);
  });

  it('filters the probe side of a semi or anti join that builds on a small left side, and never that of an outer join', async () => {
    // The left side (guessed a third of 20,000 rows) is built on: its 2,000 rows cannot be broadcast to decide them, but its keys filter the right side.
    const small = (s: Quiver) => s.createDataFrame(dims, { partitions: 2 }).filter(col('k').lt(2000)).select('k', 'w');
    const big = (s: Quiver) => s.createDataFrame(facts, { partitions: 3 });
    for (const how of ['semi', 'anti'] as const) {
      const got = await run((s) => small(s).join(big(s), 'k', how));
      expect(got).toHaveLength(how === 'semi' ? 2000 : 0);
      expect(starts().some((e) => e.broadcastJoin)).toBe(false);
      expect(starts().filter((e) => e.keyFilter).map((e) => e.keyFilter!.buildRows)).toEqual([2000]);
    }
    // A left join keeps its probe rows without a partner: its big build side leaves it as planned.
    const left = await run((s) => big(s).join(s.createDataFrame(dims, { partitions: 2 }).filter(col('k').gte(3000)).select('k', 'w'), 'k', 'left'));
    expect(left).toHaveLength(facts.length);
    expect(starts().some((e) => e.broadcastJoin || e.keyFilter)).toBe(false);
  });

  it('refuses an adaptiveJoins that is not a boolean', async () => {
    await expect(Quiver.local({ adaptiveJoins: 'yes' as unknown as boolean })).rejects.toThrow(/adaptiveJoins must be true or false/);
  });
});

describe('adaptiveJoins, broadcastJoinStage and keyFilteredProbeStage', () => {
  const fields = [{ name: 'k', type: 'int32' as const, nullable: false }];
  const values = (id: string): PhysNode => ({ op: 'values', id, partitions: 2, fields });
  const read = (shuffleId: number): PhysNode => ({ op: 'shuffleRead', shuffleId, fields });
  const shuffle = (shuffleId: number) => ({ kind: 'shuffle' as const, shuffleId, keys: [col('k').node], partitions: 4 });
  const join = (adaptive: boolean, how: 'inner' | 'left' = 'inner'): PhysNode => ({
    op: 'hashJoin', how, leftKeys: [col('k').node], rightKeys: [col('k').node], using: false, buildSide: 'right', broadcast: false,
    outputFields: [...fields, { ...fields[0], name: 'k2' }], ...(adaptive ? { adaptive: true as const } : {}), left: read(0), right: read(1),
  });
  const plan = (adaptive = true, extra: Stage[] = [], how: 'inner' | 'left' = 'inner'): PhysicalPlan => {
    const stages: Stage[] = [
      { id: 0, root: values('a'), partitions: 2, output: shuffle(0), parents: [], fields },
      { id: 1, root: values('b'), partitions: 2, output: shuffle(1), parents: [], fields },
      { id: 2, root: join(adaptive, how), partitions: 4, output: shuffle(2), parents: [0, 1], fields },
      { id: 3, root: read(2), partitions: 4, output: { kind: 'result' }, parents: [2], fields },
      ...extra,
    ];
    return { stages, resultStage: 3 };
  };
  // As many rows as bytes in each block, for brevity.
  const out = (bytes: number[]): MapOutput => ({ rows: [...bytes], bytes } as unknown as MapOutput);

  it('finds the join stage, its build stage and its probe stage', () => {
    expect(adaptiveJoins(plan(), false)).toEqual([{ join: 2, build: 1, probe: 0 }]);
    expect(adaptiveJoins(plan(false), false)).toEqual([]);
  });

  it('leaves a join whose probe side another stage reads too (a reused stage)', () => {
    const reuse: Stage = { id: 4, root: read(0), partitions: 4, output: { kind: 'result' }, parents: [0], fields };
    expect(adaptiveJoins(plan(true, [reuse]), true)).toEqual([]);
  });

  it('switches a join that is the result only where the result\'s partitions may change', () => {
    const p = plan();
    const result: PhysicalPlan = { stages: [...p.stages.slice(0, 2), { ...p.stages[2], output: { kind: 'result' } }], resultStage: 2 };
    expect(adaptiveJoins(result, true)).toEqual([{ join: 2, build: 1, probe: 0 }]);
    expect(adaptiveJoins(result, false)).toEqual([]);
  });

  it('switches at the threshold, not past it, and not without sizes', () => {
    const p = plan();
    const [a] = adaptiveJoins(p, false);
    expect(broadcastJoinStage(p, a, [out([10, 20, 0, 5]), out([5, 5, 5, 5])], 55)).not.toBeNull();
    expect(broadcastJoinStage(p, a, [out([10, 20, 0, 5]), out([5, 5, 5, 5])], 55)!.buildBytes).toBe(55);
    expect(broadcastJoinStage(p, a, [out([10, 20, 0, 5]), out([5, 5, 5, 5])], 54.9)).toBeNull();
    expect(broadcastJoinStage(p, a, [out([10, 20, 0, 5]), null], 1e9)).toBeNull();
  });

  it('gives the join stage the probe stage\'s tasks, inputs and parents, and a whole read of the build side', () => {
    const p = plan();
    const [a] = adaptiveJoins(p, false);
    const { stage } = broadcastJoinStage(p, a, [out([1, 1, 1, 1])], 100)!;
    expect(stage.partitions).toBe(2);
    expect(stage.parents).toEqual([1]);
    const j = stage.root as Extract<PhysNode, { op: 'hashJoin' }>;
    expect(j.adaptive).toBeUndefined();
    expect(j.left).toEqual(values('a'));
    expect(j.right).toEqual({ ...read(1), whole: true });
  });

  it('filters the probe stage by the build side\'s keys up to the row limit, where its rows without a partner never show', () => {
    const p = plan();
    const [a] = adaptiveJoins(p, false);
    const outs = [out([1, 2, 3, 4]), out([5, 5, 5, 5])];
    expect(keyFilteredProbeStage(p, a, outs, 29)).toBeNull();
    const { stage, buildRows } = keyFilteredProbeStage(p, a, outs, 30)!;
    expect(buildRows).toBe(30);
    // The probe stage keeps its tasks and output; it reads the build side whole, through a semi join on the join's keys.
    expect(stage).toMatchObject({ id: 0, partitions: 2, output: shuffle(0), parents: [1] });
    expect(stage.root).toMatchObject({ op: 'hashJoin', how: 'semi', buildSide: 'right', left: values('a'), right: { ...read(1), whole: true }, outputFields: fields });
    expect(keyFilteredProbeStage(p, a, [outs[0], null], 1e9)).toBeNull();
    // A left join outputs its probe rows without a partner.
    const left = plan(true, [], 'left');
    expect(keyFilteredProbeStage(left, adaptiveJoins(left, false)[0], outs, 1e9)).toBeNull();
  });
});
