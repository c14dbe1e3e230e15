import { describe, expect, it } from 'vitest';
import { col as apiCol, lit as apiLit } from '../../core/api/column.ts';
import { fn } from '../../core/api/functions.ts';
import { PlanError } from '../../ops/errors.ts';
import { addMonthsToDays, civilFromDays, daysFromCivil } from '../../ops/expr/calendar.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { batchOf, call, col, lit, run } from './helpers.ts';

const DAY = 86_400_000;
const days = (s: string) => Math.round(Date.parse(`${s}T00:00:00Z`) / DAY);
const ms = (s: string) => Date.parse(`${s}Z`);
const D = ['2024-02-29', '1970-01-01', '1969-12-31', '2000-03-01', '1900-02-28', '2023-12-31', '0001-01-01', '9999-12-31'];
const T = ['2024-02-29T23:59:58.999', '1970-01-01T00:00:00', '1969-12-31T12:34:56.789', '2000-03-01T01:02:03', '1900-02-28T10:00:00'];

const N = [1, -1, 12, null, 0, 30, -13, 2, 5];
const b = batchOf({
  d: { type: 'date32', values: [...D.map((s) => new Date(`${s}T00:00:00Z`)), null] },
  t: { type: 'timestamp_ms', values: [...T.map(ms), null, 0, -1, -DAY] },
  n: { type: 'int32', values: N },
  s: { type: 'utf8', values: ['2024-02-29', '31/12/1999 23:59', 'not a date', null, ' 2020-1-5 ', '2021-02-29', '1999-12-31T10:11:12Z', '', '2020'] },
});
const withD = (f: (d: Date) => unknown) => [...D.map((s) => f(new Date(`${s}T00:00:00Z`))), null];
const withT = (f: (d: Date) => unknown) => [...T.map((s) => f(new Date(ms(s)))), null, f(new Date(0)), f(new Date(-1)), f(new Date(-DAY))];
const dateOut = (s: string | null) => (s === null ? null : days(s));

/** Spark's dayofweek: 1 = Sunday. */
const sparkDow = (x: Date) => x.getUTCDay() + 1;
/** ISO week by the textbook rule: the week (Monday..Sunday) of this date's Thursday, counted in that Thursday's year. */
const isoWeek = (x: Date) => {
  const th = new Date(x.getTime() + (3 - ((x.getUTCDay() + 6) % 7)) * DAY);
  return Math.floor((th.getTime() - new Date(0).setUTCFullYear(th.getUTCFullYear(), 0, 1)) / DAY / 7) + 1;
};
const dayOfYear = (x: Date) => Math.floor((x.getTime() - new Date(0).setUTCFullYear(x.getUTCFullYear(), 0, 1)) / DAY) + 1;

describe('calendar', () => {
  it('civil <-> days round-trips over 800 years and agrees with Date', () => {
    const out = new Int32Array(3);
    for (let d = -200_000; d < 100_000; d += 37) {
      civilFromDays(d, out);
      const x = new Date(d * DAY);
      expect([out[0], out[1], out[2]]).toEqual([x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate()]);
      expect(daysFromCivil(out[0], out[1], out[2])).toBe(d);
    }
  });

  it('addMonths clamps to the end of the month (leap years included)', () => {
    expect(addMonthsToDays(days('2024-01-31'), 1)).toBe(days('2024-02-29'));
    expect(addMonthsToDays(days('2023-01-31'), 1)).toBe(days('2023-02-28'));
    expect(addMonthsToDays(days('2024-02-29'), 12)).toBe(days('2025-02-28'));
    expect(addMonthsToDays(days('2024-02-29'), 48)).toBe(days('2028-02-29'));
    expect(addMonthsToDays(days('2024-03-31'), -1)).toBe(days('2024-02-29'));
    expect(addMonthsToDays(days('2000-01-15'), -13)).toBe(days('1998-12-15'));
    expect(addMonthsToDays(days('1900-01-29'), 1)).toBe(days('1900-02-28'));
  });
});

describe('date parts', () => {
  const parts: [string, (x: Date) => number][] = [
    ['year', (x) => x.getUTCFullYear()], ['quarter', (x) => Math.floor(x.getUTCMonth() / 3) + 1], ['month', (x) => x.getUTCMonth() + 1],
    ['day', (x) => x.getUTCDate()], ['dayOfWeek', sparkDow], ['dayOfYear', dayOfYear], ['weekOfYear', isoWeek],
    ['hour', (x) => x.getUTCHours()], ['minute', (x) => x.getUTCMinutes()], ['second', (x) => x.getUTCSeconds()],
  ];
  it.each(parts)('%s of dates and timestamps (before 1970 too)', (name, f) => {
    const node = (c: string): ExprNode => call(name as 'year', col(c));
    expect(run(node('d'), b)).toEqual(withD(f));
    expect(run(node('t'), b)).toEqual(withT(f));
  });

  it('fn.extract names the same parts; unknown fields and text columns are refused clearly', () => {
    expect(fn.extract('YEAR', 'd').node).toEqual(fn.year('d').node);
    expect(fn.extract('dayofmonth', 'd').node).toEqual(fn.dayofmonth('d').node);
    expect(fn.extract('doy', 't').node).toEqual(fn.dayofyear('t').node);
    expect(() => fn.extract('fortnight', 'd')).toThrow("extract: unknown field \"fortnight\"; use one of year, quarter");
    const fields = [{ name: 's', type: 'utf8' as const, nullable: true }];
    expect(() => inferField(fn.year('s').node, fields)).toThrow(PlanError);
    expect(() => inferField(fn.year('s').node, fields)).toThrow('year(s): argument 1 has type utf8, expected date32 or timestamp_ms (parse text with fn.toDate(...) or fn.toTimestamp(...))');
  });
});

describe('date arithmetic', () => {
  it('dateAdd / dateSub by a literal and by a column, on dates and timestamps', () => {
    expect(run(call('dateAdd', col('d'), lit(1, 'int32')), b)).toEqual(withD((x) => Math.round(x.getTime() / DAY) + 1));
    expect(run(call('dateSub', col('d'), lit(-1, 'int32')), b)).toEqual(withD((x) => Math.round(x.getTime() / DAY) + 1));
    expect(run(call('dateAdd', col('d'), col('n')), b)).toEqual([...D.map((x, i) => (N[i] === null ? null : days(x) + N[i]!)), null]);
    expect(run(call('dateSub', col('t'), lit(1, 'int64')), b)).toEqual(withT((x) => x.getTime() - DAY));
  });

  it('addMonths clamps month ends, on columns', () => {
    expect(run(call('addMonths', col('d'), col('n')), b)).toEqual(
      [[2024, 3, 29], [1969, 12, 1], [1970, 12, 31], null, [1900, 2, 28], [2026, 6, 30], [-1, 12, 1], [10000, 2, 29], null].map((c) => (c === null ? null : daysFromCivil(c[0], c[1], c[2]))),
    );
    expect(run(call('addMonths', col('t'), lit(1, 'int32')), b)[0]).toBe(ms('2024-03-29T23:59:58.999'));
  });

  it('datediff counts days, timestamps by their dates', () => {
    expect(run(call('datediff', col('d'), lit('2024-01-01', 'date32')), b)).toEqual(withD((x) => Math.round(x.getTime() / DAY) - days('2024-01-01')));
    expect(run(call('datediff', col('t'), lit('1970-01-01', 'date32')), b)).toEqual(withT((x) => Math.floor(x.getTime() / DAY)));
  });

  it('lastDay is the month end, leap Februaries included', () => {
    const ends = ['2024-02-29', '1970-01-31', '1969-12-31', '2000-03-31', '1900-02-28', '2023-12-31', '0001-01-31', '9999-12-31'];
    expect(run(call('lastDay', col('d')), b)).toEqual([...ends.map((s) => daysFromCivil(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8)))), null]);
    expect(run(call('lastDay', col('t')), b)[0]).toBe(days('2024-02-29'));
    expect(fn.extract('week', 'd').node).toEqual(fn.weekofyear('d').node);
  });

  it('dateTrunc keeps the type; weeks start on Monday', () => {
    const tr = (u: string, c: string) => run(call('dateTrunc', lit(u, 'utf8'), col(c)), b);
    expect(tr('year', 'd')).toEqual(withD((x) => days(`${String(x.getUTCFullYear()).padStart(4, '0')}-01-01`)));
    expect(tr('quarter', 'd').slice(0, 4)).toEqual(['2024-01-01', '1970-01-01', '1969-10-01', '2000-01-01'].map(days));
    expect(tr('month', 'd').slice(0, 3)).toEqual(['2024-02-01', '1970-01-01', '1969-12-01'].map(days));
    expect(tr('week', 'd').slice(0, 4)).toEqual(['2024-02-26', '1969-12-29', '1969-12-29', '2000-02-28'].map(days));
    expect(tr('day', 'd')).toEqual(withD((x) => Math.round(x.getTime() / DAY)));
    expect(tr('hour', 't').slice(0, 3)).toEqual([ms('2024-02-29T23:00:00'), 0, ms('1969-12-31T12:00:00')]);
    expect(tr('minute', 't')[2]).toBe(ms('1969-12-31T12:34:00'));
    expect(tr('second', 't')[2]).toBe(ms('1969-12-31T12:34:56'));
    expect(tr('month', 't')[2]).toBe(ms('1969-12-01T00:00:00'));
    expect(tr('day', 't').slice(-1)).toEqual([-DAY]);
    expect(run(call('dateTrunc', lit('day', 'utf8'), col('t')), b)[7]).toBe(-DAY);
    expect(() => inferField(call('dateTrunc', lit('decade', 'utf8'), col('d')), [{ name: 'd', type: 'date32', nullable: false }])).toThrow("unknown unit \"decade\"; use one of 'year', 'quarter'");
  });
});

describe('parsing', () => {
  it('toDate / toTimestamp parse ISO text by default (null when it does not parse)', () => {
    expect(run(call('toDate', col('s')), b)).toEqual(['2024-02-29', null, null, null, '2020-01-05', null, '1999-12-31', null, '2020-01-01'].map(dateOut));
    expect(run(call('toTimestamp', col('s')), b)).toEqual([ms('2024-02-29T00:00:00'), null, null, null, ms('2020-01-05T00:00:00'), null, ms('1999-12-31T10:11:12'), null, ms('2020-01-01T00:00:00')]);
    expect(run(call('toDate', col('t')), b)).toEqual(withT((x) => Math.floor(x.getTime() / DAY)));
    expect(run(call('toTimestamp', col('d')), b)).toEqual(withD((x) => x.getTime()));
  });

  it('with a format: yyyy MM dd HH mm ss, quoted text, month names, 12-hour clocks', () => {
    const p = (f: string, s: string | null, to: 'toDate' | 'toTimestamp' = 'toTimestamp') => run(call(to, col('s'), lit(f, 'utf8')), batchOf({ s: { type: 'utf8', values: [s] } }))[0];
    expect(p('dd/MM/yyyy HH:mm', '31/12/1999 23:59')).toBe(ms('1999-12-31T23:59:00'));
    expect(p('dd/MM/yyyy', '31/12/1999', 'toDate')).toBe(days('1999-12-31'));
    expect(p("yyyy-MM-dd'T'HH:mm:ss.SSS", '2024-02-29T01:02:03.45')).toBe(ms('2024-02-29T01:02:03.450'));
    expect(p('yyyyMMdd', '20240229', 'toDate')).toBe(days('2024-02-29'));
    expect(p('yyyyMMdd', '20230229', 'toDate')).toBe(null);
    expect(p('d MMM yyyy', '5 Feb 2021', 'toDate')).toBe(days('2021-02-05'));
    expect(p('hh:mm a', '12:30 AM')).toBe(30 * 60_000);
    expect(p('hh:mm a', '01:30 pm')).toBe(ms('1970-01-01T13:30:00'));
    expect(p('yy-M-d', '99-1-2', 'toDate')).toBe(days('2099-01-02'));
    expect(p('yyyy-MM-dd', '2024-13-01', 'toDate')).toBe(null);
    expect(p('yyyy-MM-dd', null, 'toDate')).toBe(null);
    expect(p('HH:mm:ss', '24:00:00')).toBe(null);
    expect(() => inferField(call('toDate', col('s'), lit('yyyy-ww', 'utf8')), [{ name: 's', type: 'utf8', nullable: true }])).toThrow("pattern letter 'w' is not supported");
    expect(() => inferField(call('toDate', col('d'), lit('yyyy', 'utf8')), [{ name: 'd', type: 'date32', nullable: true }])).toThrow('a format applies to text only');
  });
});

describe('dateFormat', () => {
  const f = (fmt: string, c = 't') => run(call('dateFormat', col(c), lit(fmt, 'utf8')), b);
  it('prints dates and timestamps through a pattern; nulls stay null', () => {
    expect(f('yyyy-MM-dd HH:mm:ss.SSS').slice(0, 6)).toEqual(['2024-02-29 23:59:58.999', '1970-01-01 00:00:00.000', '1969-12-31 12:34:56.789', '2000-03-01 01:02:03.000', '1900-02-28 10:00:00.000', null]);
    expect(f("d MMM yy, h:mm a 'o''clock'").slice(0, 3)).toEqual(["29 Feb 24, 11:59 PM o'clock", "1 Jan 70, 12:00 AM o'clock", "31 Dec 69, 12:34 PM o'clock"]);
    expect(f('MMMM', 'd').slice(0, 3)).toEqual(['February', 'January', 'December']);
    expect(f('yyyy/M/d HH', 'd')).toEqual(['2024/2/29 00', '1970/1/1 00', '1969/12/31 00', '2000/3/1 00', '1900/2/28 00', '2023/12/31 00', '0001/1/1 00', '9999/12/31 00', null]);
    expect(f('S', 't')[2]).toBe('7');
    expect(() => inferField(call('dateFormat', col('d'), lit('yyyy-QQ', 'utf8')), [{ name: 'd', type: 'date32', nullable: true }])).toThrow("pattern letter 'Q' is not supported");
  });

  it('round-trips through toTimestamp with the same pattern', () => {
    const fmt = "yyyy-MM-dd'T'HH:mm:ss.SSS";
    const text = call('dateFormat', col('t'), lit(fmt, 'utf8'));
    expect(run(call('toTimestamp', text, lit(fmt, 'utf8')), b)).toEqual(run(col('t'), b));
  });
});

describe('intervals and date literals', () => {
  const fields = [{ name: 'd', type: 'date32' as const, nullable: true }, { name: 't', type: 'timestamp_ms' as const, nullable: true }];
  it('date ± interval resolves to the date function of its unit', () => {
    expect(apiCol('d').add(fn.interval(3, 'month')).node).toEqual(fn.addMonths('d', 3).node);
    expect(apiCol('d').minus(fn.interval(1, 'YEARS')).node).toEqual(fn.addMonths('d', -12).node);
    expect(apiCol('d').sub(fn.interval(2, 'week')).node).toEqual(fn.dateSub('d', 14).node);
    expect(apiCol('d').plus(fn.interval(90, 'day')).node).toEqual(fn.dateAdd('d', 90).node);
    expect(fn.interval(1, 'quarter').add(apiCol('d')).node).toEqual(fn.addMonths('d', 3).node);
    expect(apiCol('t').add(fn.interval(2, 'hour')).node).toEqual({ kind: 'call', fn: 'addMillis', args: [{ kind: 'column', name: 't' }, { kind: 'literal', value: 7_200_000, type: 'int32' }] });
    expect(inferField(apiCol('d').add(fn.interval(2, 'hour')).node, fields).type).toBe('timestamp_ms');
    expect(inferField(apiCol('d').add(fn.interval(2, 'day')).node, fields).type).toBe('date32');
    expect(inferField(apiCol('t').add(fn.interval(2, 'day')).node, fields).type).toBe('timestamp_ms');
  });

  it('an interval count may be a column', () => {
    const e = apiCol('d').sub(fn.interval(apiCol('n'), 'year')).node;
    expect(e).toEqual({ kind: 'call', fn: 'addMonths', args: [{ kind: 'column', name: 'd' }, { kind: 'unary', op: 'negate', arg: { kind: 'binary', op: 'mul', left: { kind: 'column', name: 'n' }, right: { kind: 'literal', value: 12, type: 'int32' } } }] });
    expect(run(e, b)).toEqual([days('2023-02-28'), days('1971-01-01'), days('1957-12-31'), null, days('1900-02-28'), days('1993-12-31'), days('0014-01-01'), days('9997-12-31'), null]);
  });

  it('misuse is refused clearly', () => {
    expect(() => fn.interval(1, 'fortnight')).toThrow("interval: unknown unit \"fortnight\"; use one of 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'");
    expect(() => fn.interval(1.5, 'day')).toThrow('interval: count must be an integer, got 1.5');
    expect(() => fn.interval(1, 'day').sub(apiCol('d'))).toThrow('cannot subtract a date or timestamp from an interval');
    expect(() => fn.interval(1, 'day').add(fn.interval(1, 'day'))).toThrow('cannot combine two intervals');
    expect(() => inferField(fn.interval(1, 'day').node, fields)).toThrow("an interval has no value of its own");
    expect(() => inferField(apiCol('d').mul(fn.interval(1, 'day')).node, fields)).toThrow('an interval has no value of its own');
    expect(() => inferField(apiLit('x').add(fn.interval(1, 'day')).node, fields)).toThrow("dateAdd('x', 1): argument 1 has type utf8, expected date32 or timestamp_ms");
  });

  it('fn.date makes a date32 literal and refuses what is not a date', () => {
    expect(fn.date('1998-12-01').node).toEqual({ kind: 'literal', value: '1998-12-01', type: 'date32' });
    expect(fn.date(new Date(Date.UTC(2020, 1, 29, 13))).node).toEqual({ kind: 'literal', value: '2020-02-29', type: 'date32' });
    expect(() => fn.date('1998-02-30')).toThrow("date: \"1998-02-30\" is not a date; write it as 'YYYY-MM-DD'");
    expect(() => fn.date('tomorrow')).toThrow(PlanError);
  });
});
