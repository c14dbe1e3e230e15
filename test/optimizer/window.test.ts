// Window plans: how select() builds Window nodes, how pruning and filter push-down treat them, and the stages they become.
import { describe, expect, it } from 'vitest';
import { Window, fn } from '../../core/index.ts';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize } from '../../core/optimizer/optimizer.ts';
import { PruneColumns } from '../../core/optimizer/rules/prune-columns.ts';
import { PushDownFilter } from '../../core/optimizer/rules/push-down-filter.ts';
import { CombineFilters } from '../../core/optimizer/rules/combine-filters.ts';
import { createPhysicalPlan } from '../../core/physical/planner.ts';
import { walkPhys, type PhysNode, type PhysicalPlan } from '../../core/physical/phys-node.ts';
import { filter } from '../../core/plan/filter.ts';
import { limit } from '../../core/plan/limit.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { projectWithWindows } from '../../core/plan/window-exprs.ts';
import { and, col, eq, expectSchemaKept, gt, lit, roundTrip, sig, xScan } from './helpers.ts';

const W = Window.partitionBy('b').orderBy('a');
const lines = (...ls: string[]) => ls.join('\n');

const physical = (p: LogicalPlan): Promise<PhysicalPlan> => createPhysicalPlan(p, {
  shufflePartitions: 4, targetSplitBytes: 1 << 20,
  planSplits: async (s) => [0, 1, 2].map((i) => ({ path: s.paths[0], start: i, end: i + 1 })),
  placePredict: async () => ({ device: 'cpu', backend: 'wasm', reason: 'test' }),
});

const ops = (n: PhysNode): string[] => {
  const out: string[] = [];
  walkPhys(n, (x) => out.push(x.op));
  return out;
};

describe('select with window expressions', () => {
  it('computes expressions sharing PARTITION BY and ORDER BY in one Window node, frames and all, and another spec in a second', () => {
    const p = projectWithWindows(xScan(), [
      col('a'),
      fn.rowNumber().over(W).alias('rn').node,
      fn.sum('c').over(W.rowsBetween(-2, 0)).alias('s').node,
      fn.count().over(Window.partitionBy('d')).mul(2).alias('n2').node,
    ]);
    expect(planToString(p)).toBe(lines(
      'Project: a, rn, s, (_w2 * 2) AS n2',
      '  Window: partitionBy=[d] orderBy=[] [count(*) AS _w2]',
      '    Window: partitionBy=[b] orderBy=[a ASC NULLS FIRST] [row_number() AS rn, sum(c) ROWS BETWEEN 2 PRECEDING AND CURRENT ROW AS s]',
      '      Scan: csv [/x.csv]',
    ));
    expect(sig(p)).toEqual(['a: int32', 'rn: int32', 's: float64', 'n2: int64']);
    // Plans cross the network: the JSON round trip rebuilds the same plan.
    expect(planToString(roundTrip(p))).toBe(planToString(p));
  });

  it('computes one window expression once, however often it appears', () => {
    const r = fn.rank().over(W);
    const p = projectWithWindows(xScan(), [r.alias('r1').node, r.add(1).alias('r2').node]);
    expect(planToString(p).match(/rank\(\)/g)).toHaveLength(1);
  });

  it('keeps a window column under a name the input already has', () => {
    const p = projectWithWindows(xScan(), [col('a'), fn.rank().over(W).alias('b').node]);
    expect(sig(p)).toEqual(['a: int32', 'b: int32']);
  });
});

describe('optimizer rules over a Window', () => {
  const base = () => projectWithWindows(xScan(), [col('a'), col('b'), col('c'), fn.rank().over(W).alias('r').node, fn.avg('c').over(W).alias('m').node]);

  it('PruneColumns drops unread window columns, and the Window when none is read', () => {
    const some = project(base(), [col('a'), col('r')]);
    const out = optimize(some, { rules: [PruneColumns] });
    expectSchemaKept(some, out);
    expect(planToString(out)).toContain('[rank() AS r]');
    expect(planToString(out)).not.toContain('avg(c)');
    expect(planToString(out)).toContain('projection=[a, b]');
    const none = project(base(), [col('c')]);
    expect(planToString(optimize(none, { rules: [PruneColumns] }))).not.toContain('Window');
  });

  it('PushDownFilter moves conjuncts over partition keys below the Window and keeps the rest above', () => {
    const p = filter(base(), and(and(eq(col('b'), lit('x')), gt(col('r'), lit(1))), gt(col('a'), lit(3))));
    const out = optimize(p, { rules: [CombineFilters, PushDownFilter] });
    expectSchemaKept(p, out);
    const text = planToString(out);
    // r is the window's output and a its order key: filtering either first would change the ranks.
    expect(text).toMatch(/Filter: \(\(r > 1\) AND \(a > 3\)\)[\s\S]*Window:[\s\S]*Scan: csv \[\/x\.csv\] filters=\[\(b = 'x'\)\]/);
  });
});

describe('the whole optimizer over a Window', () => {
  it('keeps a limit above the Window: fewer input rows would change every window value', () => {
    const p = limit(projectWithWindows(xScan(), [col('a'), fn.sum('c').over(W).alias('s').node]), 5);
    const text = planToString(optimize(p));
    expect(text.indexOf('Limit: 5')).toBeLessThan(text.indexOf('Window:'));
    expect(text).not.toMatch(/limit=5/);
  });
});

describe('physical plan of a Window', () => {
  it('shuffles by the partition keys, sorts by keys then order once for all expressions sharing them', async () => {
    const p = projectWithWindows(xScan(), [col('a'), fn.rowNumber().over(W).alias('rn').node, fn.max('c').over(W.rangeBetween(-1, 1)).alias('mx').node]);
    const plan = await physical(p);
    expect(plan.stages).toHaveLength(2);
    expect(plan.stages[0].output).toMatchObject({ kind: 'shuffle', keys: [col('b')], partitions: 4 });
    const root = plan.stages[1].root;
    expect(ops(root)).toEqual(['project', 'window', 'sort', 'shuffleRead']);
    let sortKeys: unknown = null;
    walkPhys(root, (n) => { if (n.op === 'sort') sortKeys = n.keys; });
    expect(sortKeys).toEqual([{ kind: 'sort', arg: col('b'), ascending: true, nullsFirst: true }, { kind: 'sort', arg: col('a'), ascending: true, nullsFirst: true }]);
    // Executors validate every stage they fetch: the window stage passes.
    for (const s of plan.stages) expect(decodeStage(JSON.stringify(s))).toMatchObject({ ok: true });
  });

  it('gathers into one partition without partition keys, and neither shuffles nor sorts again for a Window on the same keys', async () => {
    const global = await physical(projectWithWindows(xScan(), [fn.rowNumber().over(Window.orderBy('a')).alias('rn').node]));
    expect(global.stages.at(-1)!.partitions).toBe(1);
    const stacked = await physical(projectWithWindows(xScan(), [fn.rank().over(W).alias('r').node, fn.count().over(Window.partitionBy('b')).alias('n').node]));
    expect(stacked.stages).toHaveLength(2);
    // The ordered spec is computed first; its sort by (b, a) serves PARTITION BY b as well.
    expect(ops(stacked.stages[1].root)).toEqual(['project', 'window', 'window', 'sort', 'shuffleRead']);
    const other = await physical(projectWithWindows(xScan(), [fn.rank().over(W).alias('r').node, fn.rank().over(Window.partitionBy('b').orderBy('c')).alias('r2').node]));
    expect(ops(other.stages[1].root)).toEqual(['project', 'window', 'sort', 'window', 'sort', 'shuffleRead']);
  });

  it('refuses a stage whose window frame is malformed', async () => {
    const plan = await physical(projectWithWindows(xScan(), [fn.sum('c').over(W.rowsBetween(-1, 1)).alias('s').node]));
    const text = JSON.stringify(plan.stages[1]).replace('"start":-1', '"start":"far"');
    expect(decodeStage(text)).toMatchObject({ ok: false });
  });
});

