// ChooseJoinStrategy: broadcast or shuffle from size estimates.
import { describe, expect, it } from 'vitest';
import { filter } from '../../core/plan/filter.ts';
import { join, type JoinStrategy, type JoinType } from '../../core/plan/join.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize, optimizeWithTrace, type OptimizeOptions } from '../../core/optimizer/optimizer.ts';
import { ChooseJoinStrategy } from '../../core/optimizer/rules/choose-join-strategy.ts';
import { alias, col, expectSchemaKept, gt, lit, source, X_FIELDS, xScan, yValues } from './helpers.ts';

const MB = 1024 * 1024;

function chosen(p: LogicalPlan, opts: OptimizeOptions = {}): LogicalPlan {
  const out = optimize(p, { rules: [ChooseJoinStrategy], ...opts });
  expectSchemaKept(p, out);
  return out;
}

const strategyOf = (p: LogicalPlan): JoinStrategy => {
  const j = p.kind === 'project' ? p.input : p;
  if (j.kind !== 'join') throw new Error(`no join at the top of ${planToString(p)}`);
  return j.strategy;
};

const big = () => xScan(1e9);
const small = () => yValues(1_000);
/** The same table with every column renamed (joins need distinct names). */
const renamed = (p: LogicalPlan, suffix: string) => project(p, p.schema.map((f) => alias(col(f.name), f.name + suffix)));
const joinOf = (l: LogicalPlan, r: LogicalPlan, how: JoinType, using = false) =>
  join(l, r, how, [col(l.schema[0].name)], [col(r.schema[0].name)], using);

describe('ChooseJoinStrategy', () => {
  it('broadcasts a small non-preserved side and shuffles otherwise', () => {
    const cases: [LogicalPlan, JoinStrategy][] = [
      [joinOf(big(), small(), 'inner'), 'broadcast'],
      [joinOf(big(), small(), 'left'), 'broadcast'],
      [joinOf(big(), small(), 'semi'), 'broadcast'],
      [joinOf(big(), small(), 'anti'), 'broadcast'],
      [joinOf(small(), big(), 'right'), 'broadcast'],
      // The preserved side is the small one: it cannot be the build side.
      [joinOf(small(), big(), 'left'), 'shuffle'],
      [joinOf(big(), small(), 'right'), 'shuffle'],
      [joinOf(small(), renamed(small(), '2'), 'full'), 'shuffle'],
      [joinOf(big(), renamed(xScan(2e9), '2'), 'inner'), 'shuffle'],
    ];
    for (const [p, want] of cases) expect(strategyOf(chosen(p)), planToString(p)).toBe(want);
  });

  it('makes a shuffle adaptive, with adaptive joins on, only where the build side may be broadcast or the probe side filtered by its keys', () => {
    // 50 MB tables: 1,000,000 rows, and one filtered to a guessed third of them.
    const rows = (n: number) => yValues(50 * MB, n);
    const tiny = () => filter(rows(1e6), gt(col('k'), lit(5)));
    const cases: [LogicalPlan, JoinStrategy][] = [
      [joinOf(big(), renamed(xScan(2e9), '2'), 'inner'), 'adaptive'],
      // Builds on the right: its unmatched rows are never output.
      [joinOf(small(), big(), 'left'), 'adaptive'],
      [joinOf(big(), small(), 'right'), 'adaptive'],
      // A semi or anti join building on a left side guessed much smaller cannot broadcast it (it
      // marks the left rows it tests), but may filter the right side by its keys.
      [joinOf(tiny(), renamed(rows(1e6), '2'), 'semi'), 'adaptive'],
      [joinOf(tiny(), renamed(rows(1e6), '2'), 'anti'), 'adaptive'],
      [joinOf(renamed(rows(1e6), '2'), tiny(), 'semi'), 'adaptive'],
      [joinOf(renamed(rows(1e6), '2'), tiny(), 'anti'), 'adaptive'],
      [joinOf(small(), renamed(small(), '2'), 'full'), 'shuffle'],
      // Small enough: broadcast as planned.
      [joinOf(big(), small(), 'inner'), 'broadcast'],
    ];
    for (const [p, want] of cases) expect(strategyOf(chosen(p, { adaptiveJoins: true })), planToString(p)).toBe(want);
    // A threshold of 0 turns broadcasts off, adaptive ones too.
    expect(strategyOf(chosen(joinOf(big(), renamed(xScan(2e9), '2'), 'inner'), { adaptiveJoins: true, broadcastThresholdBytes: 0 }))).toBe('shuffle');
  });

  it('swaps an inner join whose left side is the small one, restoring the column order', () => {
    const p = joinOf(small(), big(), 'inner');
    const out = chosen(p);
    expect(planToString(out)).toBe([
      'Project: k, v, w, a, b, c, d',
      '  Join: inner on [a = k] strategy=broadcast',
      '    Scan: csv [/x.csv]',
      '    Values: y [k, v, w] rows=10 partitions=1',
    ].join('\n'));
  });

  it('does not swap an inner USING join (its key columns come from the left side)', () => {
    const r = project(big(), [alias(col('a'), 'k'), col('b')]);
    expect(strategyOf(chosen(joinOf(small(), r, 'inner', true)))).toBe('shuffle');
  });

  it('treats unknown sizes as too big, honors the threshold and a negative one disables broadcast', () => {
    const unknown = scan({ format: 'csv', paths: ['/u.csv'], options: {} }, X_FIELDS);
    expect(strategyOf(chosen(joinOf(big(), renamed(unknown, '2'), 'left')))).toBe('shuffle');
    expect(strategyOf(chosen(joinOf(big(), small(), 'left'), { broadcastThresholdBytes: 999 }))).toBe('shuffle');
    expect(strategyOf(chosen(joinOf(big(), small(), 'left'), { broadcastThresholdBytes: 1_000 }))).toBe('broadcast');
    expect(strategyOf(chosen(joinOf(big(), small(), 'left'), { broadcastThresholdBytes: -1 }))).toBe('shuffle');
  });

  it('keeps a strategy already chosen', () => {
    const p = join(big(), small(), 'inner', [col('a')], [col('k')], false, 'shuffle');
    expect(optimizeWithTrace(p, { rules: [ChooseJoinStrategy] }).fired).toEqual([]);
  });

  it('counts filters and pruned columns pushed into the inputs (full rule list)', () => {
    // 16 MB of k (int32) and payload (utf8): too big as a whole, but pruned to k it is
    // estimated at 4/24 of that, under 10 MB.
    const right = scan(source('/r.csv', 16 * MB), [{ name: 'k', type: 'int32', nullable: true }, { name: 'payload', type: 'utf8', nullable: true }]);
    const p = project(filter(join(big(), right, 'left', [col('a')], [col('k')], false), gt(col('a'), lit(0))), [col('b')]);
    expect(strategyOf(chosen(join(big(), right, 'left', [col('a')], [col('k')], false)))).toBe('shuffle');
    const out = optimize(p);
    expect(planToString(out)).toContain('Join: left on [a = k] strategy=broadcast');
    expect(planToString(out)).toContain('Scan: csv [/r.csv] projection=[k]');
  });
});
