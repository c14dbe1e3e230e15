// Every ExprNode kind, built through the fluent API: its JSON round-trips, and both forms evaluate the same through the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Expr, Quiver, col, fn, lit, when, type DataFrame, type ExprNode, type FieldJSON } from '../../core/index.ts';

let q: Quiver;
let df: DataFrame;

const SCHEMA: FieldJSON[] = [
  { name: 'a', type: 'int32', nullable: false },
  { name: 'b', type: 'int32', nullable: true },
  { name: 'x', type: 'float64', nullable: true },
  { name: 's', type: 'utf8', nullable: true },
  { name: 'u', type: 'utf8', nullable: true },
  { name: 'n', type: 'int32', nullable: true },
  { name: 't', type: 'bool', nullable: true },
  { name: 'f', type: 'bool', nullable: true },
  { name: 'dt', type: 'date32', nullable: true },
  { name: 'ts', type: 'timestamp_ms', nullable: true },
];
const ROWS = [
  { a: 7, b: 2, x: -2.5, s: ' Hello, World ', u: 'a-b-c', n: null, t: true, f: false, dt: new Date(Date.UTC(2024, 0, 31)), ts: new Date(Date.UTC(2024, 1, 29, 13, 14, 15)) },
  { a: -3, b: null, x: 4, s: null, u: 'x', n: 5, t: null, f: true, dt: null, ts: new Date(Date.UTC(1969, 11, 31, 23, 59, 59)) },
];
const DAY = 86_400_000;

/** [expression, its value on ROWS[0] and ROWS[1]] for every scalar node kind, op and function. */
const SCALAR: [string, Expr, [unknown, unknown]][] = [
  ['column', col('a'), [7, -3]],
  ['literal int32', lit(1), [1, 1]],
  ['literal int64', lit(2 ** 40), [2 ** 40, 2 ** 40]],
  ['literal bigint', lit(2n ** 60n), [2n ** 60n, 2n ** 60n]],
  ['literal float64', lit(1.5), [1.5, 1.5]],
  ['literal Infinity', lit(Infinity), [Infinity, Infinity]],
  ['literal -Infinity', lit(-Infinity), [-Infinity, -Infinity]],
  ['literal NaN float32', lit(NaN, 'float32'), [NaN, NaN]],
  ['literal utf8', lit('it\'s "quoted"\n'), ['it\'s "quoted"\n', 'it\'s "quoted"\n']],
  ['literal bool', lit(false), [false, false]],
  ['literal null', lit(null), [null, null]],
  ['literal Date', lit(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))), [new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))]],
  ['literal typed date32', lit('2024-01-02', 'date32'), [new Date(Date.UTC(2024, 0, 2)), new Date(Date.UTC(2024, 0, 2))]],
  ['add', col('a').add(col('b')), [9, null]],
  ['plus', col('a').plus(1), [8, -2]],
  ['sub', col('a').sub(col('b')), [5, null]],
  ['minus', col('x').minus(0.5), [-3, 3.5]],
  ['mul', col('a').mul(col('b')), [14, null]],
  ['times', col('x').times(2), [-5, 8]],
  ['div', col('a').div(col('b')), [3.5, null]],
  ['div by zero', col('a').div(0), [null, null]],
  ['mod', col('a').mod(2), [1, -1]],
  ['eq', col('a').eq(7), [true, false]],
  ['neq', col('u').neq('x'), [true, false]],
  ['lt', col('a').lt(col('b')), [false, null]],
  ['lte', col('x').lte(4), [true, true]],
  ['gt', col('a').gt(col('x')), [true, false]],
  ['gte', col('n').gte(5), [null, true]],
  ['and', col('t').and(col('f')), [false, null]],
  ['or', col('t').or(col('f')), [true, true]],
  ['between', col('a').between(0, 10), [true, false]],
  ['isin', col('u').isin('x', 'y'), [false, true]],
  ['isin with a null', col('b').isin(1, null), [null, null]],
  ['like', col('u').like('a%c'), [true, false]],
  ['not like', col('s').like('%World%').not(), [false, null]],
  ['ilike', col('s').ilike('%hello%'), [true, null]],
  ['rlike', col('u').rlike('^[a-c-]+$'), [true, false]],
  ['not', col('t').not(), [false, null]],
  ['negate', col('a').negate(), [-7, 3]],
  ['isNull', col('b').isNull(), [false, true]],
  ['isNotNull', col('s').isNotNull(), [true, false]],
  ['cast to utf8', col('a').cast('utf8'), ['7', '-3']],
  ['cast to int32', col('x').cast('int32'), [-2, 4]],
  ['cast to list', col('u').split('-').cast({ list: 'utf8' }), [['a', 'b', 'c'], ['x']]],
  ['alias', col('a').alias('renamed'), [7, -3]],
  ['split', col('u').split('-'), [['a', 'b', 'c'], ['x']]],
  ['at', col('u').split('-').at(1), ['b', null]],
  ['substr with length', col('s').substr(2, 5), ['Hello', null]],
  ['substr to the end', col('u').substr(3), ['b-c', '']],
  ['lower', col('s').lower(), [' hello, world ', null]],
  ['upper', col('s').upper(), [' HELLO, WORLD ', null]],
  ['trim', col('s').trim(), ['Hello, World', null]],
  ['length', col('s').length(), [14, null]],
  ['startsWith', col('u').startsWith('a-'), [true, false]],
  ['endsWith', col('u').endsWith('c'), [true, false]],
  ['contains', col('s').contains('lo, W'), [true, null]],
  ['regexpExtract', col('s').regexpExtract('(\\w+), (\\w+)', 2), ['World', null]],
  ['concat', col('u').concat('/', col('a').cast('utf8')), ['a-b-c/7', 'x/-3']],
  ['fn.concat', fn.concat('u', 's'), ['a-b-c Hello, World ', null]],
  ['fillNull', col('b').fillNull(0), [2, 0]],
  ['fn.coalesce', fn.coalesce('b', 'n', lit(9)), [2, 5]],
  ['abs', col('x').abs(), [2.5, 4]],
  ['round', col('x').div(3).round(2), [-0.83, 1.33]],
  ['floor', col('x').floor(), [-3, 4]],
  ['ceil', col('x').ceil(), [-2, 4]],
  ['sqrt', col('b').sqrt(), [Math.SQRT2, null]],
  ['exp', col('b').exp(), [Math.exp(2), null]],
  ['ln', col('b').ln(), [Math.log(2), null]],
  ['year', fn.year('dt'), [2024, null]],
  ['quarter', fn.quarter('ts'), [1, 4]],
  ['month', fn.month('dt'), [1, null]],
  ['day', fn.day('ts'), [29, 31]],
  ['dayofweek', fn.dayofweek('ts'), [5, 4]],
  ['dayofyear', fn.dayofyear('ts'), [60, 365]],
  ['weekofyear', fn.weekofyear('ts'), [9, 1]],
  ['lastDay', fn.lastDay('dt'), [new Date(Date.UTC(2024, 0, 31)), null]],
  ['dateFormat', fn.dateFormat('ts', 'yyyy-MM-dd HH:mm'), ['2024-02-29 13:14', '1969-12-31 23:59']],
  ['hour', fn.hour('ts'), [13, 23]],
  ['minute', fn.minute('ts'), [14, 59]],
  ['second', fn.second('ts'), [15, 59]],
  ['dateAdd', fn.dateAdd('dt', 1), [new Date(Date.UTC(2024, 1, 1)), null]],
  ['dateSub', fn.dateSub('ts', col('a')), [new Date(Date.UTC(2024, 1, 22, 13, 14, 15)), new Date(Date.UTC(1970, 0, 3, 23, 59, 59))]],
  ['addMonths', fn.addMonths('dt', 1), [new Date(Date.UTC(2024, 1, 29)), null]],
  ['interval', col('ts').add(fn.interval(1, 'second')), [new Date(Date.UTC(2024, 1, 29, 13, 14, 16)), new Date(0)]],
  ['datediff', fn.datediff('ts', 'dt'), [29, null]],
  ['dateTrunc', fn.dateTrunc('week', 'ts'), [new Date(Date.UTC(2024, 1, 26)), new Date(Date.UTC(1969, 11, 29))]],
  ['toDate', fn.toDate(lit('29.02.2024'), 'dd.MM.yyyy'), [new Date(Date.UTC(2024, 1, 29)), new Date(Date.UTC(2024, 1, 29))]],
  ['toTimestamp', fn.toTimestamp(col('u').concat('2024-01-02 03:04:05').substr(6)), [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), null]],
  ['case with otherwise', when(col('a').gt(0), 'pos').when(col('a').lt(0), 'neg').otherwise('zero'), ['pos', 'neg']],
  ['case without otherwise', fn.when(col('b').isNull(), 1), [null, 1]],
];

const SORT_ROWS = [{ id: 1, v: 3 }, { id: 2, v: null }, { id: 3, v: 1 }, { id: 4, v: 2 }];
const SORTS: [string, Expr, (number | null)[]][] = [
  ['asc', col('v').asc(), [null, 1, 2, 3]],
  ['desc', col('v').desc(), [3, 2, 1, null]],
  ['ascNullsFirst', col('v').ascNullsFirst(), [null, 1, 2, 3]],
  ['ascNullsLast', col('v').ascNullsLast(), [1, 2, 3, null]],
  ['descNullsFirst', col('v').descNullsFirst(), [null, 3, 2, 1]],
  ['descNullsLast', col('v').descNullsLast(), [3, 2, 1, null]],
];

const AGG_ROWS = [{ k: 1, v: 10 }, { k: 2, v: 20 }, { k: 2, v: null }, { k: null, v: 40 }];
const AGGS: [string, Expr, unknown][] = [
  ['count(*)', fn.count(), 4],
  ['count', fn.count('v'), 3],
  ['sum', fn.sum('v'), 70],
  ['avg', fn.avg('v'), 70 / 3],
  ['mean', fn.mean(col('v').mul(3)), 70],
  ['min', fn.min('v'), 10],
  ['max', fn.max('v'), 40],
  ['countDistinct', fn.countDistinct('k'), 2],
  ['first', fn.first('v'), 10],
  ['last', fn.last('v'), 40],
];

/** The JSON a plan carries, parsed back. */
const roundTrip = (e: Expr): ExprNode => JSON.parse(JSON.stringify(e.node)) as ExprNode;

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
  df = q.createDataFrame(ROWS, { schema: SCHEMA, partitions: 2 });
});

afterAll(async () => {
  await q?.close();
});

describe('expression JSON round trip', () => {
  it('covers every node kind, binary and unary op, scalar and aggregate function', () => {
    const nodes: ExprNode[] = [...SCALAR.map((c) => c[1].node), ...SORTS.map((c) => c[1].node), ...AGGS.map((c) => c[1].node)];
    const kinds = new Set<string>(), binary = new Set<string>(), unary = new Set<string>(), calls = new Set<string>(), aggs = new Set<string>();
    const visit = (e: ExprNode): void => {
      kinds.add(e.kind);
      switch (e.kind) {
        case 'binary': binary.add(e.op); visit(e.left); visit(e.right); break;
        case 'unary': unary.add(e.op); visit(e.arg); break;
        case 'cast': case 'alias': case 'sort': visit(e.arg); break;
        case 'call': calls.add(e.fn); e.args.forEach(visit); break;
        case 'case': e.branches.forEach((b) => { visit(b.when); visit(b.then); }); if (e.otherwise) visit(e.otherwise); break;
        case 'agg': aggs.add(e.fn); if (e.arg) visit(e.arg); break;
        case 'column': case 'literal': break;
      }
    };
    nodes.forEach(visit);
    expect([...kinds].sort()).toEqual(['agg', 'alias', 'binary', 'call', 'case', 'cast', 'column', 'literal', 'sort', 'unary']);
    expect([...binary].sort()).toEqual(['add', 'and', 'div', 'eq', 'gt', 'gte', 'lt', 'lte', 'mod', 'mul', 'neq', 'or', 'sub']);
    expect([...unary].sort()).toEqual(['isNotNull', 'isNull', 'negate', 'not']);
    expect([...calls].sort()).toEqual(['abs', 'addMillis', 'addMonths', 'at', 'ceil', 'coalesce', 'concat', 'contains', 'dateAdd', 'dateFormat', 'dateSub', 'dateTrunc',
      'datediff', 'day', 'dayOfWeek', 'dayOfYear', 'endsWith', 'exp', 'floor', 'hour', 'ilike', 'in', 'lastDay', 'length', 'like', 'ln', 'lower', 'minute', 'month',
      'quarter', 'regexpExtract', 'rlike', 'round', 'second', 'split', 'sqrt', 'startsWith', 'substr', 'toDate', 'toTimestamp', 'trim', 'upper', 'weekOfYear', 'year']);
    expect([...aggs].sort()).toEqual(['avg', 'count', 'countDistinct', 'countStar', 'first', 'last', 'max', 'min', 'sum']);
  });

  it.each([...SCALAR, ...SORTS, ...AGGS].map(([name, e]) => [name, e] as const))('%s: JSON.parse(JSON.stringify(node)) deep-equals the node', (_name, e) => {
    expect(roundTrip(e)).toStrictEqual(JSON.parse(JSON.stringify(e.node)));
    expect(roundTrip(e)).toEqual(e.node);
  });
});

describe('built and round-tripped expressions evaluate the same through the engine', () => {
  // toArray({ int64: 'bigint' }) for the literal 2^60; int64s a number holds compare as numbers.
  const approx = (v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(approx)
    : typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v);

  it('scalar expressions (one select of all of them, per form)', async () => {
    const built = await df.select(SCALAR.map(([, e], i) => e.alias(`r${i}`))).toArray({ int64: 'bigint' });
    const parsed = await df.select(SCALAR.map(([, e], i) => new Expr(roundTrip(e)).alias(`r${i}`))).toArray({ int64: 'bigint' });
    expect(parsed).toEqual(built);
    SCALAR.forEach(([name, , want], i) => {
      expect([built[0][`r${i}`], built[1][`r${i}`]].map(approx), name).toEqual(want.map(approx));
    });
  });

  it('sort expressions', async () => {
    const sdf = q.createDataFrame(SORT_ROWS, { partitions: 2 });
    for (const [name, e, want] of SORTS) {
      const built = await sdf.orderBy(e, col('id')).toArray();
      const parsed = await sdf.orderBy(new Expr(roundTrip(e)), col('id')).toArray();
      expect(built.map((r) => r.v), name).toEqual(want);
      expect(parsed, name).toEqual(built);
    }
  });

  it('aggregate expressions, grouped and not', async () => {
    const adf = q.createDataFrame(AGG_ROWS, { partitions: 1 });
    const built = await adf.agg(...AGGS.map(([, e], i) => e.alias(`g${i}`))).toArray();
    const parsed = await adf.agg(...AGGS.map(([, e], i) => new Expr(roundTrip(e)).alias(`g${i}`))).toArray();
    expect(parsed).toEqual(built);
    AGGS.forEach(([name, , want], i) => expect(approx(built[0][`g${i}`]), name).toEqual(approx(want)));
    const grouped = await q.createDataFrame(AGG_ROWS, { partitions: 2 }).groupBy(new Expr(roundTrip(col('k').fillNull(0))).alias('key'))
      .agg(new Expr(roundTrip(fn.sum('v'))).alias('s'), new Expr(roundTrip(fn.count())).alias('n')).orderBy('key').toArray();
    expect(grouped).toEqual([{ key: 0, s: 40, n: 1 }, { key: 1, s: 10, n: 1 }, { key: 2, s: 20, n: 2 }]);
  });
});

describe('non-finite float literals', () => {
  // JSON.stringify(Infinity) is 'null', and stages reach the workers as JSON: before literals named
  // them ('Infinity'), col('x').lt(lit(Infinity)) filtered out every row.
  it('survive JSON and evaluate on the workers', async () => {
    for (const v of [Infinity, -Infinity, NaN]) expect(roundTrip(lit(v))).toEqual(lit(v).node);
    expect(await df.filter(col('x').lt(lit(Infinity))).count()).toBe(2);
    expect(await df.filter(col('x').gt(lit(-Infinity, 'float32'))).count()).toBe(2);
    // NaN is greater than every number, as Spark orders it.
    expect(await df.filter(col('x').lt(lit(NaN))).count()).toBe(2);
    expect(await df.select(col('a').add(lit(-Infinity)).alias('y')).toArray()).toEqual([{ y: -Infinity }, { y: -Infinity }]);
  });

  it('are named by their value in plans and output names', () => {
    expect(lit(Infinity).node).toEqual({ kind: 'literal', value: 'Infinity', type: 'float64' });
    expect(df.select(col('x').lt(lit(-Infinity))).columns).toEqual(['(x < -Infinity)']);
  });
});
