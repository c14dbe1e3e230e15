// PushDownSemiJoin: semi/anti joins move to the join input (or below the projection) their left columns come from.
import { describe, expect, it } from 'vitest';
import { join } from '../../core/plan/join.ts';
import { project } from '../../core/plan/project.ts';
import { values } from '../../core/plan/values.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { PushDownSemiJoin } from '../../core/optimizer/rules/push-down-semi-join.ts';
import { add, alias, col, expectSchemaKept, f, gt, xScan, yValues } from './helpers.ts';

const run = (p: Parameters<typeof optimizeWithTrace>[0]) => optimizeWithTrace(p, { rules: [PushDownSemiJoin] });
const sValues = () => values('s', [f('sk', 'int32'), f('sv', 'utf8')], 1, 5, 100);

describe('PushDownSemiJoin', () => {
  it('moves a semi join over an inner join onto the input its keys come from', () => {
    const inner = join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false);
    const p = join(inner, sValues(), 'semi', [col('k')], [col('sk')], false);
    const t = run(p);
    expect(planToString(t.plan)).toBe([
      'Join: inner on [a = k] strategy=auto',
      '  Scan: csv [/x.csv]',
      '  Join: semi on [k = sk] strategy=auto',
      '    Values: y [k, v, w] rows=10 partitions=1',
      '    Values: s [sk, sv] rows=5 partitions=1',
    ].join('\n'));
    expectSchemaKept(p, t.plan);
  });

  it('moves an anti join with a condition, through a projection of plain columns', () => {
    const inner = join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false);
    const proj = project(inner, [col('a'), alias(col('b'), 'bb'), col('v')]);
    const p = join(proj, sValues(), 'anti', [col('a')], [col('sk')], false, 'auto', gt(col('bb'), col('sv')));
    const t = run(p);
    expect(planToString(t.plan)).toBe([
      'Project: a, b AS bb, v',
      '  Join: inner on [a = k] strategy=auto',
      '    Join: anti on [a = sk] filter=(b > sv) strategy=auto',
      '      Scan: csv [/x.csv]',
      '      Values: s [sk, sv] rows=5 partitions=1',
      '    Values: y [k, v, w] rows=10 partitions=1',
    ].join('\n'));
    expectSchemaKept(p, t.plan);
  });

  it('stays when its columns come from both inputs, from a null-padded side, or from a computed column', () => {
    const inner = join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false);
    const both = join(inner, sValues(), 'semi', [col('a')], [col('sk')], false, 'auto', gt(col('v'), col('sv')));
    expect(run(both).fired).toEqual([]);
    const left = join(xScan(), yValues(), 'left', [col('a')], [col('k')], false);
    expect(run(join(left, sValues(), 'semi', [col('k')], [col('sk')], false)).fired).toEqual([]);
    const computed = project(inner, [alias(add(col('a'), col('a')), 'a2'), col('b')]);
    expect(run(join(computed, sValues(), 'semi', [col('a2')], [col('sk')], false)).fired).toEqual([]);
    // A projection over a scan (PruneColumns' kind) keeps the semi join above it.
    const pruned = project(xScan(), [col('a'), col('b')]);
    expect(run(join(pruned, sValues(), 'semi', [col('a')], [col('sk')], false)).fired).toEqual([]);
  });
});
