// JoinKeysIntoAggregate: an aggregate joined on its group keys with a relation that drops rows reads only the keys that relation has (TPC-H Q17, Q20); same rows, nulls included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize } from '../../core/optimizer/optimizer.ts';
import { JoinKeysIntoAggregate } from '../../core/optimizer/rules/index.ts';
import { aggregate } from '../../core/plan/aggregate.ts';
import { filter } from '../../core/plan/filter.ts';
import { join } from '../../core/plan/join.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { agg, alias, col, eq, expectSchemaKept, f, lit } from './helpers.ts';

const table = (name: string, ...cols: string[]): LogicalPlan =>
  scan({ format: 'parquet', paths: [`/${name}.parquet`], options: { totalBytes: 1e6, totalRows: 1e4 } }, cols.map((c) => f(c, c.endsWith('name') ? 'utf8' : 'int32')));
const lineitem = () => table('lineitem', 'l_partkey', 'l_quantity');
const part = () => table('part', 'p_partkey', 'p_name');
const avgPerPart = () => project(aggregate(lineitem(), [alias(col('l_partkey'), 'k')], [agg('avg', col('l_quantity'), 'a')]), [col('k'), alias(col('a'), 'avg_q')]);
const run = (p: LogicalPlan) => optimize(p, { rules: [JoinKeysIntoAggregate] });

describe('JoinKeysIntoAggregate', () => {
  it('Q17: the average per part reads only the lines of the parts the filter keeps', () => {
    const p = join(filter(part(), eq(col('p_name'), lit('x'))), avgPerPart(), 'left', [col('p_partkey')], [col('k')], false);
    const out = run(p);
    expectSchemaKept(p, out);
    expect(planToString(out)).toBe([
      'Join: left on [p_partkey = k] strategy=auto',
      "  Filter: (p_name = 'x')",
      '    Scan: parquet [/part.parquet]',
      '  Project: k, a AS avg_q',
      '    Aggregate: groupBy=[l_partkey AS k] aggs=[avg(l_quantity) AS a]',
      '      Join: semi on [l_partkey = __joinkeys_0] strategy=auto',
      '        Scan: parquet [/lineitem.parquet]',
      '        Project: p_partkey AS __joinkeys_0',
      "          Filter: (p_name = 'x')",
      '            Scan: parquet [/part.parquet]',
    ].join('\n'));
    // Once: the mark (its key names) stops it from adding another.
    expect(planToString(run(out))).toBe(planToString(out));
  });

  it('takes the keys from the input of an inner join they come from, not the whole join', () => {
    const other = join(lineitem(), filter(part(), eq(col('p_name'), lit('x'))), 'inner', [col('l_partkey')], [col('p_partkey')], false);
    const text = planToString(run(join(other, avgPerPart(), 'inner', [col('p_partkey')], [col('k')], false)));
    expect(text).toContain("        Project: p_partkey AS __joinkeys_0\n          Filter: (p_name = 'x')\n            Scan: parquet [/part.parquet]");
  });

  it('leaves alone: an other side that drops no rows, a full or anti join, keys that are not group keys', () => {
    const filtered = () => filter(part(), eq(col('p_name'), lit('x')));
    const cases = [
      join(part(), avgPerPart(), 'left', [col('p_partkey')], [col('k')], false),
      join(filtered(), avgPerPart(), 'full', [col('p_partkey')], [col('k')], false),
      join(filtered(), avgPerPart(), 'anti', [col('p_partkey')], [col('k')], false),
      // The aggregate on the side a left join keeps: every group comes out.
      join(avgPerPart(), filtered(), 'left', [col('k')], [col('p_partkey')], false),
      join(filtered(), avgPerPart(), 'inner', [col('p_partkey')], [col('avg_q')], false),
    ];
    for (const p of cases) expect(run(p)).toBe(p);
  });
});

describe('JoinKeysIntoAggregate gives the same rows (nulls, keys the other side lacks)', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, ui: false, quiet: true }); });
  afterAll(async () => { await q?.close(); });

  it('inner and left joins of a filtered table with a grouped derived table, by SQL', async () => {
    q.createDataFrame([{ k: 1, flag: 'y' }, { k: 2, flag: 'y' }, { k: null, flag: 'y' }, { k: 3, flag: 'n' }, { k: 5, flag: 'y' }]).createOrReplaceTempView('t');
    q.createDataFrame([{ k: 1, v: 10 }, { k: 1, v: 5 }, { k: 2, v: 7 }, { k: 3, v: 1 }, { k: null, v: 100 }, { k: 4, v: 2 }]).createOrReplaceTempView('u');
    for (const how of ['inner', 'left'] as const) {
      const df = q.sql(`select t.k, s.total from t ${how} join (select k, sum(v) as total from u group by k) s on t.k = s.k where t.flag = 'y'`);
      expect(await df.explain()).toContain('__joinkeys_0');
      const rows = (await df.toArray()).map((r) => `${r.k}:${r.total}`).sort();
      expect(rows, how).toEqual(how === 'inner' ? ['1:15', '2:7'] : ['1:15', '2:7', '5:null', 'null:null']);
    }
  });
});
