import { describe, expect, it } from 'vitest';
import { alias, batchOf, bin, call, cast, col, lit, run } from './helpers.ts';

const s = (values: (string | null)[]) => batchOf({ s: { type: 'utf8', values }, n: { type: 'int32', values: values.map((_, i) => i) } });

describe('split and at', () => {
  const b = s(['GET /a/b HTTP/1.1', 'héllo wörld', null, '', '  x  ', 'one']);
  const parts = call('split', col('s'), lit(' ', 'utf8'));

  it('splits on a literal separator, keeping empty tokens', () => {
    expect(run(parts, b)).toEqual([['GET', '/a/b', 'HTTP/1.1'], ['héllo', 'wörld'], null, [''], ['', '', 'x', '', ''], ['one']]);
    expect(run(call('split', col('s'), lit('l', 'utf8')), b)).toEqual([['GET /a/b HTTP/1.1'], ['hé', '', 'o wör', 'd'], null, [''], ['  x  '], ['one']]);
    expect(run(call('split', col('s'), lit('ö', 'utf8')), b)[1]).toEqual(['héllo w', 'rld']);
    expect(run(call('split', col('s'), lit('/a', 'utf8')), b)[0]).toEqual(['GET ', '/b HTTP/1.1']);
    expect(run(call('split', col('s'), lit('.', 'utf8')), b)[0]).toEqual(['GET /a/b HTTP/1', '1']);
  });

  it('splits into characters on an empty separator', () => {
    expect(run(call('split', col('s'), lit('', 'utf8')), b)).toEqual([[...'GET /a/b HTTP/1.1'], [...'héllo wörld'], null, [''], [...'  x  '], ['o', 'n', 'e']]);
    expect(run(call('at', call('split', col('s'), lit('', 'utf8')), lit(1, 'int32')), b)).toEqual(['E', 'é', null, null, ' ', 'n']);
    expect(run(call('at', call('split', col('s'), lit('', 'utf8')), lit(0, 'int32')), b)).toEqual(['G', 'h', null, '', ' ', 'o']);
  });

  it('at is 0-based; out of range and negative give null (fused path)', () => {
    expect(run(call('at', parts, lit(0, 'int32')), b)).toEqual(['GET', 'héllo', null, '', '', 'one']);
    expect(run(call('at', parts, lit(1, 'int32')), b)).toEqual(['/a/b', 'wörld', null, null, '', null]);
    expect(run(call('at', parts, lit(2, 'int64')), b)).toEqual(['HTTP/1.1', null, null, null, 'x', null]);
    expect(run(call('at', parts, lit(4, 'int32')), b)).toEqual([null, null, null, null, '', null]);
    expect(run(call('at', parts, lit(5, 'int32')), b)).toEqual([null, null, null, null, null, null]);
    expect(run(call('at', parts, lit(-1, 'int32')), b)).toEqual([null, null, null, null, null, null]);
    expect(run(call('at', alias(call('split', col('s'), lit('ll', 'utf8')), 'p'), lit(1, 'int32')), b)).toEqual([null, 'o wörld', null, null, null, null]);
  });

  it('at with a column index takes the general path and agrees', () => {
    expect(run(call('at', parts, col('n')), b)).toEqual(['GET', 'wörld', null, null, '', null]);
    expect(run(call('at', parts, lit(null, 'int32')), b)).toEqual([null, null, null, null, null, null]);
    expect(run(call('at', call('split', col('s'), col('s')), lit(0, 'int32')), b)).toEqual(['', '', null, '', '', '']);
  });

  it('works on sliced batches whose offsets do not start at 0', () => {
    const rows = Array.from({ length: 37 }, (_, i) => (i % 6 === 0 ? null : `r${i} é${i} ${'x'.repeat(i)}`));
    const big = s(rows).slice(5, 30);
    const want = rows.slice(5, 30).map((r) => (r === null ? null : r.split(' ')[1]));
    expect(run(call('at', parts, lit(1, 'int32')), big)).toEqual(want);
    expect(run(call('at', parts, bin('sub', col('n'), col('n'))), big)).toEqual(rows.slice(5, 30).map((r) => (r === null ? null : r.split(' ')[0])));
    expect(run(parts, big)).toEqual(rows.slice(5, 30).map((r) => (r === null ? null : r.split(' '))));
  });
});

describe('string functions', () => {
  const b = s(['Hello', 'ÉCOLE straße', null, '', '  padded  ', 'a\u{1F600}b']);

  it('upper / lower, ASCII and not', () => {
    expect(run(call('upper', col('s')), b)).toEqual(['HELLO', 'ÉCOLE STRASSE', null, '', '  PADDED  ', 'A\u{1F600}B']);
    expect(run(call('lower', col('s')), b)).toEqual(['hello', 'école straße', null, '', '  padded  ', 'a\u{1F600}b']);
    expect(run(call('lower', col('s')), s(['ABC', null, 'xY']))).toEqual(['abc', null, 'xy']);
  });

  it('length counts characters (code points)', () => {
    expect(run(call('length', col('s')), b)).toEqual([5, 12, null, 0, 10, 3]);
  });

  it('trim removes spaces only', () => {
    expect(run(call('trim', col('s')), b)).toEqual(['Hello', 'ÉCOLE straße', null, '', 'padded', 'a\u{1F600}b']);
    expect(run(call('trim', col('s')), s(['\t x \n', '   ']))).toEqual(['\t x \n', '']);
  });

  it('substr is 1-based on characters, Spark style', () => {
    const sub = (...a: number[]) => run(call('substr', col('s'), ...a.map((x) => lit(x, 'int32'))), b);
    expect(sub(2, 3)).toEqual(['ell', 'COL', null, '', ' pa', '\u{1F600}b']);
    expect(sub(0, 2)).toEqual(['He', 'ÉC', null, '', '  ', 'a\u{1F600}']);
    expect(sub(-3)).toEqual(['llo', 'aße', null, '', 'd  ', 'a\u{1F600}b']);
    expect(sub(-3, 2)).toEqual(['ll', 'aß', null, '', 'd ', 'a\u{1F600}']);
    expect(sub(3)).toEqual(['llo', 'OLE straße', null, '', 'padded  ', 'b']);
    expect(sub(2, -1)).toEqual(['', '', null, '', '', '']);
    expect(sub(-20, 18)).toEqual(['Hel', 'ÉCOLE stra', null, '', '  padded', 'a']);
    expect(sub(-20, 5)).toEqual(['', '', null, '', '', '']);
    expect(sub(100, 1)).toEqual(['', '', null, '', '', '']);
    expect(run(call('substr', col('s'), col('n'), lit(null, 'int32')), b)).toEqual([null, null, null, null, null, null]);
  });

  it('startsWith / endsWith / contains compare bytes', () => {
    expect(run(call('startsWith', col('s'), lit('He', 'utf8')), b)).toEqual([true, false, null, false, false, false]);
    expect(run(call('endsWith', col('s'), lit('ße', 'utf8')), b)).toEqual([false, true, null, false, false, false]);
    expect(run(call('contains', col('s'), lit('\u{1F600}', 'utf8')), b)).toEqual([false, false, null, false, false, true]);
    expect(run(call('contains', col('s'), lit('', 'utf8')), b)).toEqual([true, true, null, true, true, true]);
    expect(run(call('contains', col('s'), lit(null, 'utf8')), b)).toEqual([null, null, null, null, null, null]);
    expect(run(call('contains', col('s'), call('substr', col('s'), lit(2, 'int32'), lit(2, 'int32'))), b)).toEqual([true, true, null, true, true, true]);
    expect(run(call('startsWith', col('s'), call('lower', col('s'))), b)).toEqual([false, false, null, true, true, true]);
    expect(run(bin('eq', col('s'), lit('ÉCOLE straße', 'utf8')), b)).toEqual([false, true, null, false, false, false]);
  });

  it('regexpExtract: group, whole match, no match is empty', () => {
    const logs = s(['GET /x 200', 'POST /y/z 404', 'junk', null]);
    expect(run(call('regexpExtract', col('s'), lit('^(\\w+) (\\S+) (\\d+)$', 'utf8'), lit(2, 'int32')), logs)).toEqual(['/x', '/y/z', '', null]);
    expect(run(call('regexpExtract', col('s'), lit('\\d+', 'utf8'), lit(0, 'int32')), logs)).toEqual(['200', '404', '', null]);
    expect(run(call('regexpExtract', col('s'), lit('(a)|(\\d)', 'utf8'), lit(1, 'int32')), logs)).toEqual(['', '', '', null]);
    expect(run(call('regexpExtract', col('s'), lit('(\\w+)', 'utf8')), logs)).toEqual(['GET', 'POST', 'junk', null]);
  });

  it('concat: any null input gives null; non-strings are cast', () => {
    expect(run(call('concat', col('s'), lit('#', 'utf8'), col('n')), b)).toEqual(['Hello#0', 'ÉCOLE straße#1', null, '#3', '  padded  #4', 'a\u{1F600}b#5']);
    expect(run(call('concat', col('s'), lit(null, 'null')), b)).toEqual([null, null, null, null, null, null]);
    expect(run(call('concat', lit(1.5, 'float64'), lit(true, 'bool')), b)[0]).toBe('1.5true');
  });

  it('string functions over a sliced batch', () => {
    const rows = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? null : `Ab${'é'.repeat(i % 3)} ${i}`));
    const sl = s(rows).slice(3, 26);
    const want = rows.slice(3, 26);
    expect(run(call('upper', col('s')), sl)).toEqual(want.map((r) => r && r.toUpperCase()));
    expect(run(call('length', col('s')), sl)).toEqual(want.map((r) => r && [...r].length));
    expect(run(call('substr', col('s'), lit(2, 'int32'), lit(2, 'int32')), sl)).toEqual(want.map((r) => r && [...r].slice(1, 3).join('')));
    expect(run(call('endsWith', col('s'), lit('5', 'utf8')), sl)).toEqual(want.map((r) => r && r.endsWith('5')));
    expect(run(cast(col('s'), 'utf8'), sl)).toEqual(want);
  });
});
