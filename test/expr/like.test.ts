import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { batchOf, call, col, lit, run, un } from './helpers.ts';

const ROWS = ['abc', 'abcabc', 'xabcx', '', null, 'a%c', 'a_c', 'a\\c', 'ÉCOLE straße', 'a\nb', 'a\u{1F600}c', 'aXbYc', 'AbC'];
const b = batchOf({ s: { type: 'utf8', values: ROWS }, p: { type: 'utf8', values: ROWS.map((_, i) => ['a%', '%c', '%b%', '_', null, 'a\\%c', 'a\\_c', 'a\\\\c', '%straSSe', 'a_b', 'a_c', 'a%b%c', 'abc'][i]) } });
const like = (p: string, escape?: string) => call('like', col('s'), lit(p, 'utf8'), ...(escape === undefined ? [] : [lit(escape, 'utf8')]));
const ilike = (p: string) => call('ilike', col('s'), lit(p, 'utf8'));

/** What SQL LIKE means, written independently: a backtracking matcher over code points. */
function oracle(s: string, p: string, escape = '\\'): boolean {
  const S = [...s], P = [...p];
  const go = (i: number, j: number): boolean => {
    if (j === P.length) return i === S.length;
    const c = P[j];
    if (c === escape) return i < S.length && S[i] === P[j + 1] && go(i + 1, j + 2);
    if (c === '%') { for (let k = i; k <= S.length; k++) if (go(k, j + 1)) return true; return false; }
    if (c === '_') return i < S.length && go(i + 1, j + 1);
    return i < S.length && S[i] === c && go(i + 1, j + 1);
  };
  return go(0, 0);
}

describe('like', () => {
  const patterns = ['abc', 'abc%', '%abc', '%abc%', 'a%c', '%a%b%', 'a%b%c', '%', '%%', '', '_', '___', 'a_c', '_b%', 'a%', '%c',
    'a\\%c', 'a\\_c', 'a\\\\c', '%\\%%', 'É%', '%ß%', 'a\nb', 'a_b', '%😀%', 'a%😀%c', '.*', '[a]%', '(a|b)%', 'a^c', '$%', 'abc%abc', '%abc%abc%'];
  it.each(patterns)('%s matches as SQL LIKE (whole string, nulls stay null)', (p) => {
    expect(run(like(p), b)).toEqual(ROWS.map((s) => (s === null ? null : oracle(s, p))));
  });

  it('takes the byte paths for prefix, suffix, contains and ordered parts on sliced batches', () => {
    const rows = Array.from({ length: 50 }, (_, i) => (i % 7 === 0 ? null : `k${i}-${'é'.repeat(i % 4)}-v${i % 5}`));
    const big = batchOf({ s: { type: 'utf8', values: rows } }).slice(3, 40);
    for (const p of ['k1%', '%v2', '%é-%', 'k%é%v3', '%-%-%', 'k2%-v_']) {
      expect(run(like(p), big), p).toEqual(rows.slice(3, 40).map((s) => (s === null ? null : oracle(s, p))));
    }
  });

  it('agrees with the oracle on random strings and patterns (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'é', '😀', '%', '_', '\\');
    fc.assert(fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', '%', '_') , maxLength: 8 }), { minLength: 1, maxLength: 8 }),
      fc.string({ unit: alphabet, maxLength: 6 }).filter((p) => !/\\$/.test(p.replace(/\\\\/g, ''))),
      (strs, p) => {
        const batch = batchOf({ s: { type: 'utf8', values: strs } });
        expect(run(like(p), batch)).toEqual(strs.map((s) => oracle(s, p)));
      }), { numRuns: 300 });
  });

  it('a custom escape character, or none', () => {
    expect(run(like('a!%c', '!'), b)).toEqual(ROWS.map((s) => (s === null ? null : s === 'a%c')));
    expect(run(like('a\\c', ''), b)).toEqual(ROWS.map((s) => (s === null ? null : s === 'a\\c')));
    expect(run(like('a\\%', ''), b)).toEqual(ROWS.map((s) => (s === null ? null : s.startsWith('a\\'))));
  });

  it('a pattern column compiles per row; a null pattern gives null', () => {
    const want = ROWS.map((s, i) => {
      const p = b.getChildAt(1)!.get(i) as string | null;
      return s === null || p === null ? null : oracle(s, p);
    });
    expect(run(call('like', col('s'), col('p')), b)).toEqual(want);
    expect(run(call('like', col('s'), lit(null, 'utf8')), b)).toEqual(ROWS.map(() => null));
  });

  it('ilike compares lower(s) with lower(pattern)', () => {
    expect(run(ilike('ABC'), b)).toEqual(ROWS.map((s) => (s === null ? null : s.toLowerCase() === 'abc')));
    expect(run(ilike('école%'), b)).toEqual(ROWS.map((s) => (s === null ? null : s.toLowerCase().startsWith('école'))));
    expect(run(ilike('%X%'), b)).toEqual(ROWS.map((s) => (s === null ? null : s.toLowerCase().includes('x'))));
    expect(run(call('ilike', col('s'), col('p')), b)[12]).toBe(true);
  });

  it('NOT LIKE is not(like): null stays null', () => {
    expect(run(un('not', like('a%')), b)).toEqual(ROWS.map((s) => (s === null ? null : !oracle(s, 'a%'))));
  });

  it('renders as SQL and refuses bad patterns and non-strings at plan time', () => {
    expect(exprToString(like('a%'))).toBe("(s LIKE 'a%')");
    expect(exprToString(like('a%', '!'))).toBe("(s LIKE 'a%' ESCAPE '!')");
    const fields = [{ name: 's', type: 'utf8' as const, nullable: true }, { name: 'i', type: 'int32' as const, nullable: false }];
    const err = (e: ExprNode) => { try { inferField(e, fields); } catch (x) { expect(x).toBeInstanceOf(PlanError); return (x as Error).message; } return ''; };
    expect(err(like('ab\\'))).toContain('ends with the escape character');
    expect(err(like('a', 'xy'))).toContain('the escape must be one character');
    expect(err(call('like', col('i'), lit('1%', 'utf8')))).toContain('argument 1 has type int32, expected utf8');
    expect(err(call('rlike', col('s'), lit('(', 'utf8')))).toContain('invalid regular expression');
    expect(inferField(like('a%'), fields)).toEqual({ name: "(s LIKE 'a%')", type: 'bool', nullable: true });
  });
});

describe('rlike', () => {
  it('finds a JS regular expression anywhere in the string', () => {
    expect(run(call('rlike', col('s'), lit('b.?c$', 'utf8')), b)).toEqual(ROWS.map((s) => (s === null ? null : /b.?c$/.test(s))));
    expect(run(call('rlike', col('s'), lit('^a.c$', 'utf8')), b)).toEqual(ROWS.map((s) => (s === null ? null : /^a.c$/.test(s))));
    expect(run(call('rlike', col('s'), lit(null, 'utf8')), b)).toEqual(ROWS.map(() => null));
  });

  it('a pattern column; a bad pattern in a row is a DataError', () => {
    const pats = batchOf({ s: { type: 'utf8', values: ['abc', 'xyz', null] }, p: { type: 'utf8', values: ['b', 'b', 'b'] } });
    expect(run(call('rlike', col('s'), col('p')), pats)).toEqual([true, false, null]);
    const bad = batchOf({ s: { type: 'utf8', values: ['abc'] }, p: { type: 'utf8', values: ['('] } });
    expect(() => run(call('rlike', col('s'), col('p')), bad)).toThrow(/RLIKE pattern '\(' in a row is invalid/);
  });
});
