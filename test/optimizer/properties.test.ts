// Property tests: random plans keep their schema and their results through the optimizer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { optimize, optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { planCase } from './gen.ts';
import { expectSchemaKept, roundTrip } from './helpers.ts';
import { runPlan } from './reference.ts';

const show = (c: { plan: Parameters<typeof planToString>[0] }) => planToString(c.plan);

describe('optimizer properties', () => {
  it('keeps the schema, converges, is idempotent and round-trips through JSON', () => {
    fc.assert(fc.property(planCase(), (c) => {
      const t = optimizeWithTrace(c.plan);
      expect(t.converged, show(c)).toBe(true);
      expectSchemaKept(c.plan, t.plan);
      const again = optimizeWithTrace(t.plan);
      expect(again.fired).toEqual([]);
      expect(planToString(again.plan)).toBe(planToString(t.plan));
      // Every schema is what the constructors derive (no stale schema), and JSON is lossless.
      expect(roundTrip(t.plan)).toEqual(t.plan);
    }), { numRuns: 200 });
  });

  it('returns the same rows as the unoptimized plan', () => {
    fc.assert(fc.property(planCase(), (c) => {
      const want = runPlan(c.plan, c.tables);
      // No broadcast: swapping join sides changes row order, which a limit above could see.
      const got = runPlan(optimize(c.plan, { broadcastThresholdBytes: -1 }), c.tables);
      expect(got, `${show(c)}\n--- optimized:\n${planToString(optimize(c.plan, { broadcastThresholdBytes: -1 }))}`).toEqual(want);
    }), { numRuns: 250 });
  });

  it('returns the same multiset of rows when joins may be swapped for broadcast', () => {
    const key = (r: object) => JSON.stringify(r);
    fc.assert(fc.property(planCase().filter((c) => !planToString(c.plan).includes('Limit')), (c) => {
      const want = runPlan(c.plan, c.tables).map(key).sort();
      const got = runPlan(optimize(c.plan), c.tables).map(key).sort();
      expect(got, show(c)).toEqual(want);
    }), { numRuns: 200 });
  });
});
