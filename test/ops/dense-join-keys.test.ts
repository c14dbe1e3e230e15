// Dense join keys and key bitmaps: a build side with one integer key over a small range is indexed by key - min, over a sparse range hashed behind a bitmap; both find the same build rows, in the same order, as the plain hashed table and a plain map.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDense, keyRange } from '../../ops/joins/dense-keys.ts';
import { JoinHashTable } from '../../ops/joins/join-hash-table.ts';

/** A column of `type` from values (null: a null row), sliced `skip` rows in so that offsets are exercised. */
function column(type: arrow.DataType, values: (number | null)[], skip = 0): arrow.Data {
  const pad: (number | null)[] = Array.from({ length: skip }, (_, i) => (i % 2 ? null : 7));
  const v = arrow.vectorFromArray([...pad, ...values], type);
  return v.data[0].slice(skip, values.length);
}

/** For each probe row, the build rows its key matches (build order), through `t`; a row without any MUST get group -1 (outer and anti joins read that). */
function matches(t: JoinHashTable, probe: arrow.Data): number[][] {
  const gid = t.probe([probe], probe.length);
  const rows = t.rowList();
  const out = Array.from(gid, (g) => (g < 0 ? [] : Array.from(rows.subarray(t.groupStart(g), t.groupEnd(g)))));
  out.forEach((m, i) => expect(gid[i] >= 0, `row ${i}: group ${gid[i]} with ${m.length} build rows`).toBe(m.length > 0));
  return out;
}

/** The same from a plain map: SQL equality by value, nulls never match. */
function reference(build: (number | null)[], probe: (number | null)[]): number[][] {
  const m = new Map<number, number[]>();
  build.forEach((k, i) => { if (k !== null) m.set(k, [...(m.get(k) ?? []), i]); });
  return probe.map((k) => (k === null ? [] : m.get(k) ?? []));
}

/** keyRange when the keys are dense enough to index by key - min, else null. */
function denseRange(keys: arrow.Data[], n: number) {
  const r = keyRange(keys, n);
  return r && isDense(r, n) ? r : null;
}

const PROBE_TYPES: [string, arrow.DataType][] = [['int32', new arrow.Int32()], ['int16', new arrow.Int16()], ['uint32', new arrow.Uint32()], ['float64', new arrow.Float64()]];

describe('JoinHashTable with dense keys', () => {
  it('matches the hashed table and a plain map for int32 build keys and any numeric probe column, nulls included', () => {
    fc.assert(fc.property(
      fc.integer({ min: -40, max: 40 }), fc.integer({ min: 1, max: 300 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 200 }),
      fc.constantFrom(...PROBE_TYPES), fc.integer({ min: 0, max: 9 }), fc.constantFrom(1, 1, 7919),
      (base, span, rawBuild, rawProbe, [name, probeType], skip, stride) => {
        // stride 7919 spreads the keys over up to 2.4M values: too sparse to index densely.
        const build = rawBuild.map((r) => (r % 11 === 0 ? null : base + (r % span) * stride));
        // Probe keys around the build range, outside it, and (float64) between integers.
        let probe: (number | null)[] = rawProbe.map((r) => (r % 13 === 0 ? null : base - 3 * stride + (r % (span + 6)) * stride + (r % 3 === 0 ? 1 : 0)));
        if (name === 'float64') probe = probe.map((x, i) => (x !== null && i % 5 === 0 ? x + 0.5 : x));
        if (name === 'uint32') probe = probe.map((x) => (x !== null && x < 0 ? null : x));
        if (name === 'int16') probe = probe.map((x) => (x !== null && (x < -32768 || x > 32767) ? null : x));
        const b = column(new arrow.Int32(), build, skip);
        const p = column(probeType, probe, skip % 3);
        const auto = new JoinHashTable([b], b.length);
        const bitmap = new JoinHashTable([b], b.length, { dense: false });
        const hashed = new JoinHashTable([b], b.length, { dense: false, bitmap: false });
        const anyKey = build.some((x) => x !== null);
        const present = build.filter((x) => x !== null);
        const range = Math.max(...present) - Math.min(...present) + 1;
        expect(auto.isDense).toBe(anyKey && range <= Math.max(2 ** 18, 10 * build.length));
        expect(auto.hasBitmap).toBe(anyKey && !auto.isDense);
        expect([bitmap.isDense, bitmap.hasBitmap]).toEqual([false, anyKey]);
        expect([hashed.isDense, hashed.hasBitmap]).toEqual([false, false]);
        const want = reference(build, probe);
        expect(matches(auto, p)).toEqual(want);
        expect(matches(bitmap, p)).toEqual(want);
        expect(matches(hashed, p)).toEqual(want);
      },
    ), { numRuns: 400 });
  });

  it('never matches a probe key outside the range, however far (int32 extremes, uint32 past 2^31, NaN, -0)', () => {
    const top = 2 ** 31 - 1;
    const b = column(new arrow.Int32(), [top - 2, top, top - 1, 0]);
    // top - 2 .. top and 0 span 2^31 keys: too sparse, so it hashes; the dense cases below use one end.
    expect(new JoinHashTable([b], 4).isDense).toBe(false);
    const high = column(new arrow.Int32(), [top - 2, top, top - 1]);
    const t = new JoinHashTable([high], 3);
    expect(t.isDense).toBe(true);
    const ints = column(new arrow.Int32(), [-(2 ** 31), -(2 ** 31) + 1, top, top - 3, null, top - 2]);
    expect(matches(t, ints)).toEqual([[], [], [1], [], [], [0]]);
    const low = column(new arrow.Int32(), [-(2 ** 31), -(2 ** 31) + 2]);
    const tl = new JoinHashTable([low], 2);
    expect(tl.isDense).toBe(true);
    const u32 = column(new arrow.Uint32(), [2 ** 32 - 2, 2 ** 31, 0, 2]);
    expect(matches(tl, u32)).toEqual([[], [], [], []]);
    const small = column(new arrow.Int32(), [0, 1, 2]);
    const ts = new JoinHashTable([small], 3);
    const floats = column(new arrow.Float64(), [Number.NaN, -0, 1.5, 2, 2 ** 32, -(2 ** 32) + 1, Infinity]);
    expect(matches(ts, floats)).toEqual([[], [0], [], [2], [], [], []]);
  });

  it('takes only one integer key of at most 32 bits over a small or dense range', () => {
    const i32 = (xs: (number | null)[]) => column(new arrow.Int32(), xs);
    expect(denseRange([i32([5, 9, 7])], 3)).toEqual({ min: 5, range: 5 });
    expect(denseRange([i32([null, 3, null])], 3)).toEqual({ min: 3, range: 1 });
    expect(denseRange([i32([null, null])], 2)).toBeNull();
    expect(denseRange([i32([])], 0)).toBeNull();
    // Up to 2^18 keys whatever the rows; more only at 10 keys per row or fewer.
    expect(denseRange([i32([0, 2 ** 18 - 1])], 2)).not.toBeNull();
    expect(denseRange([i32([0, 2 ** 18])], 2)).toBeNull();
    const many = Array.from({ length: 40_000 }, (_, i) => i * 10);
    expect(denseRange([i32(many)], many.length)).not.toBeNull();
    expect(denseRange([i32(many.map((x) => x * 2))], many.length)).toBeNull();
    expect(denseRange([i32([1, 2]), i32([1, 2])], 2)).toBeNull();
    expect(denseRange([arrow.vectorFromArray([1n, 2n], new arrow.Int64()).data[0]], 2)).toBeNull();
    expect(denseRange([column(new arrow.Uint32(), [1, 2])], 2)).toBeNull();
    expect(denseRange([column(new arrow.Float64(), [1, 2])], 2)).toBeNull();
    expect(denseRange([column(new arrow.Int16(), [-3, 2])], 2)).toEqual({ min: -3, range: 6 });
    const days = arrow.vectorFromArray([new Date(Date.UTC(2020, 0, 1)), new Date(Date.UTC(2020, 0, 3))], new arrow.DateDay()).data[0];
    expect(denseRange([days], 2)).toEqual({ min: 18262, range: 3 });
  });
});
