// Filters run their conjuncts cheapest first, the written order kept among equals, and filter the same rows.
import { describe, expect, it } from 'vitest';
import { col, lit, Quiver } from '../../core/index.ts';
import { conjunctCost, orderConjuncts } from '../../ops/compute/conjunct-order.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';

const FIELDS: FieldJSON[] = [
  { name: 'n', type: 'int64', nullable: true }, { name: 'd', type: 'date32', nullable: true },
  { name: 's', type: 'utf8', nullable: true }, { name: 't', type: 'utf8', nullable: true }, { name: 'b', type: 'bool', nullable: true },
];
const node = (c: { node: ExprNode }): ExprNode => c.node;

describe('conjunct order', () => {
  it('ranks by shape: numbers against constants, then columns, string tests, string lists, then the rest', () => {
    const cost = (c: { node: ExprNode }) => conjunctCost(node(c), FIELDS);
    expect(cost(col('n').gt(3))).toBe(0);
    expect(cost(col('d').lt(lit('1994-01-01').cast('date32')))).toBe(0);
    expect(cost(col('n').isNull())).toBe(0);
    expect(cost(col('b'))).toBe(0);
    expect(cost(col('n').lt(col('d')))).toBe(1);
    expect(cost(col('n').isin(1, 2, 3))).toBe(1);
    expect(cost(col('s').eq('x'))).toBe(2);
    expect(cost(col('s').eq(col('t')))).toBe(3);
    expect(cost(col('s').isin('MAIL', 'SHIP'))).toBe(3);
    expect(cost(col('s').like('%x%'))).toBe(4);
    expect(cost(col('n').plus(1).gt(3))).toBe(4);
  });

  it('sorts stably: TPC-H Q12 runs its date tests before its ship-mode list, and equal costs keep their order', () => {
    const written = [col('s').isin('MAIL', 'SHIP'), col('n').lt(col('d')), col('d').gte(lit(5)), col('s').like('a%'), col('d').lt(lit(9))].map(node);
    const got = orderConjuncts(written, FIELDS);
    expect(got).toEqual([written[2], written[4], written[1], written[0], written[3]]);
  });

  it('filters the same rows whatever the written order', async () => {
    const q = await Quiver.local({ workers: 1, quiet: true, ui: false });
    try {
      const rows = Array.from({ length: 500 }, (_, i) => ({ n: i % 7 === 0 ? null : i, s: ['MAIL', 'SHIP', 'AIR', null][i % 4], t: i % 3 ? 'x' : 'y' }));
      const df = q.createDataFrame(rows);
      const a = [col('s').isin('MAIL', 'SHIP'), col('n').gt(100), col('t').like('x%')];
      const run = (cs: typeof a) => df.filter(cs.reduce((x, y) => x.and(y))).orderBy('n').toArray();
      const want = rows.filter((r) => (r.s === 'MAIL' || r.s === 'SHIP') && r.n !== null && r.n > 100 && r.t.startsWith('x')).length;
      const one = await run(a), two = await run([a[2], a[0], a[1]]);
      expect(one.length).toBe(want);
      expect(two).toEqual(one);
    } finally {
      await q.close();
    }
  });
});
