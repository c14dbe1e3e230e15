// Readers through the engine: text, csv, json, arrow and parquet files, globs, byte-range splits and bad input.
import * as arrow from 'apache-arrow';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, Quiver, col, fn } from '../../core/index.ts';
import { filesUnder, multiset, rng, tempDir } from './helpers.ts';

const SPLIT = 64 * 1024;
let q: Quiver;
const dir = tempDir('readers');
const at = (...p: string[]) => join(dir.path, ...p);

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then((v) => { throw new Error(`expected a rejection, got ${JSON.stringify(v)}`); }, (e: Error) => e);
}

/** The error a synchronous call throws (fails the test if it returns). */
function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected a synchronous throw');
}

/** ~2 MB of lines: varied lengths, multi-byte characters, empty lines and duplicates. */
function bigTextLines(): string[] {
  const rand = rng(7);
  const chars = Array.from('abcdefghij ñ€😀'); // code points, so the 4-byte emoji stays whole
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) {
    const len = Math.floor(rand() * 80);
    let s = `${i}:`;
    for (let j = 0; j < len; j++) s += chars[Math.floor(rand() * chars.length)];
    lines.push(i % 1000 === 0 ? '' : i % 777 === 0 ? 'same line' : s);
  }
  return lines;
}

const BIG_LINES = bigTextLines();
const BIG_CSV_ROWS = 30_000;
/** Line (1-based, counting the header) of the one bad record in big.csv, far past the first split. */
const BIG_CSV_BAD_LINE = 25_001;

beforeAll(async () => {
  q = await Quiver.local({ workers: 2, targetSplitBytes: SPLIT });
  mkdirSync(at('text'));
  writeFileSync(at('text', 'small.txt'), 'first\r\nsecond\n\n  spaced  \nünïcödé €\nno newline at end');
  writeFileSync(at('text', 'big.txt'), `${BIG_LINES.join('\n')}\n`);

  mkdirSync(at('csv'));
  writeFileSync(at('csv', 'types.csv'), [
    'i,big,f,b,s,empty',
    '1,3000000000,1.5,true,plain,',
    '-2,4,2,false,"with, comma",',
    ',5,,,"quote ""inside""",',
    '4,6,-0.25,TRUE,"line\nbreak",',
  ].join('\n') + '\n');
  writeFileSync(at('csv', 'semi.csv'), "name;note\n'a;b';'it''s'\nc;\n");
  writeFileSync(at('csv', 'zips.csv'), 'zip,n\n00123,1\n01000,2\n');
  mkdirSync(at('csv', 'parts'));
  for (let p = 0; p < 3; p++) {
    const lines = ['id,score'];
    for (let i = 0; i < 100; i++) lines.push(`${p * 100 + i},${(p * 100 + i) / 4}`);
    writeFileSync(at('csv', 'parts', `part-${p}.csv`), `${lines.join('\n')}\n`);
  }
  writeFileSync(at('csv', 'parts', '_SUCCESS'), '');
  writeFileSync(at('csv', 'parts', 'notes.txt'), 'not csv\n');
  // Bad records: b.csv line 4 has a text score; c.csv line 3 has too few fields and line 5 a bad int.
  mkdirSync(at('bad'));
  writeFileSync(at('bad', 'a.csv'), 'id,name,score\n1,ada,1.5\n2,bob,2\n');
  writeFileSync(at('bad', 'b.csv'), 'id,name,score\n3,cy,3\n4,"d, e",4.5\n5,eve,x\n6,fay,6\n');
  writeFileSync(at('bad', 'c.csv'), 'id,name,score\n7,gus,7\n8,hal\n9,ivy,9\n1O,jo,10\n');
  const big = ['id,word,score'];
  for (let i = 1; i <= BIG_CSV_ROWS; i++) big.push(i + 1 === BIG_CSV_BAD_LINE ? `${i},w${i},n/a` : `${i},w${i},${i % 100}`);
  writeFileSync(at('big.csv'), `${big.join('\n')}\n`);

  mkdirSync(at('json'));
  writeFileSync(at('json', 'rows.jsonl'), [
    '{"a":1,"b":"x","c":1.5,"tags":null}',
    '{"a":null,"c":2}',
    '',
    '{"b":"z","a":3000000000,"d":true}',
  ].join('\n') + '\n');
  writeFileSync(at('json', 'broken.jsonl'), '{"a":1,"b":"x"}\n{"a":2,"b":\n{"a":3,"b":"z"}\n[4]\n{"a":"five","b":"v"}\n');

  mkdirSync(at('arrow'));
  const t = new arrow.Table({
    id: arrow.makeVector(Int32Array.from([1, 2, 3])),
    name: arrow.vectorFromArray(['a', null, 'c'], new arrow.Utf8()),
    x: arrow.makeVector(Float64Array.from([0.5, 1.5, -2])),
  });
  writeFileSync(at('arrow', '1-file.arrow'), arrow.tableToIPC(t, 'file'));
  writeFileSync(at('arrow', '2-stream.arrows'), arrow.tableToIPC(t.slice(1), 'stream'));

  mkdirSync(at('empty-dir'));
  writeFileSync(at('empty-dir', '.hidden'), 'x\n');
  writeFileSync(at('empty.csv'), '');
});

afterAll(async () => {
  await q?.close();
  dir.cleanup();
});

describe('text', () => {
  it('reads one line per row: \\r\\n and \\n endings, empty lines, a last line without a newline', async () => {
    const df = q.read.text(at('text', 'small.txt'));
    expect(df.schema).toEqual([{ name: 'line', type: 'utf8', nullable: false }]);
    expect(await df.toArray()).toEqual(['first', 'second', '', '  spaced  ', 'ünïcödé €', 'no newline at end'].map((line) => ({ line })));
  });

  it('a large file read in 64 KB splits gives every line exactly once', async () => {
    const size = statSync(at('text', 'big.txt')).size;
    // Pieces of a file come in a multiple of the workers (2), so none idles in the last wave.
    const splits = Math.ceil(Math.ceil(size / SPLIT) / 2) * 2;
    expect(splits).toBeGreaterThan(20);
    const df = q.read.text(at('text', 'big.txt'));
    expect(await df.explain()).toContain(`ScanExec: text [big.txt] splits=${splits}`);
    const rows = await df.toArray();
    expect(q.session.lastJob!.tasks).toBe(splits);
    expect(rows.length).toBe(BIG_LINES.length);
    const got = rows.map((r) => r.line as string).sort(), expected = [...BIG_LINES].sort();
    const diff = got.findIndex((l, i) => l !== expected[i]);
    expect(diff, `first difference in sorted lines: ${JSON.stringify(got[diff])} vs ${JSON.stringify(expected[diff])}`).toBe(-1);
    // count() reads no column at all (only line breaks are counted).
    expect(await df.count()).toBe(BIG_LINES.length);
    expect(await df.filter(col('line').eq('same line')).count()).toBe(BIG_LINES.filter((l) => l === 'same line').length);
  });
});

describe('csv', () => {
  it('infers int32, int64, float64, bool and utf8 from a header file; empty fields are null; quotes keep commas, quotes and line breaks', async () => {
    const df = q.read.csv(at('csv', 'types.csv'));
    expect(df.schema).toEqual([
      { name: 'i', type: 'int32', nullable: true },
      { name: 'big', type: 'int64', nullable: true },
      { name: 'f', type: 'float64', nullable: true },
      { name: 'b', type: 'bool', nullable: true },
      { name: 's', type: 'utf8', nullable: true },
      { name: 'empty', type: 'utf8', nullable: true },
    ]);
    expect(await df.toArray()).toEqual([
      { i: 1, big: 3000000000, f: 1.5, b: true, s: 'plain', empty: null },
      { i: -2, big: 4, f: 2, b: false, s: 'with, comma', empty: null },
      { i: null, big: 5, f: null, b: null, s: 'quote "inside"', empty: null },
      { i: 4, big: 6, f: -0.25, b: true, s: 'line\nbreak', empty: null },
    ]);
  });

  it('takes another delimiter and quote character', async () => {
    const df = q.read.csv(at('csv', 'semi.csv'), { delimiter: ';', quote: "'" });
    expect(await df.toArray()).toEqual([{ name: 'a;b', note: "it's" }, { name: 'c', note: null }]);
  });

  it('a given schema wins over inference (DDL string or fields), and header: false names columns _c0, _c1', async () => {
    expect(await q.read.csv(at('csv', 'zips.csv')).toArray()).toEqual([{ zip: 123, n: 1 }, { zip: 1000, n: 2 }]);
    const ddl = q.read.csv(at('csv', 'zips.csv'), { schema: 'zip utf8, n int64' });
    expect(ddl.schema).toEqual([{ name: 'zip', type: 'utf8', nullable: true }, { name: 'n', type: 'int64', nullable: true }]);
    expect(await ddl.toArray()).toEqual([{ zip: '00123', n: 1 }, { zip: '01000', n: 2 }]);
    const fields = q.read.csv(at('csv', 'zips.csv'), { schema: [{ name: 'zip', type: 'utf8', nullable: false }, { name: 'n', type: 'float64', nullable: true }] });
    expect(await fields.select(col('zip').substr(2, 3).alias('z'), col('n').div(4).alias('q')).toArray()).toEqual([{ z: '012', q: 0.25 }, { z: '100', q: 0.5 }]);
    const noHeader = q.read.csv(at('csv', 'zips.csv'), { header: false });
    expect(noHeader.columns).toEqual(['_c0', '_c1']);
    expect(await noHeader.toArray()).toEqual([{ _c0: 'zip', _c1: 'n' }, { _c0: '00123', _c1: '1' }, { _c0: '01000', _c1: '2' }]);
  });

  it('a glob of three files becomes three partitions; hidden and unmatched files are left out', async () => {
    const df = q.read.csv(at('csv', 'parts', '*.csv'));
    expect(await df.explain()).toContain('ScanExec: csv [part-0.csv, part-1.csv, part-2.csv] splits=3');
    const rows = await df.toArray();
    expect(q.session.lastJob!.tasks).toBe(3);
    expect(rows).toEqual(Array.from({ length: 300 }, (_, i) => ({ id: i, score: i / 4 })));
    const agg = await df.agg(fn.count().alias('n'), fn.sum('score').alias('s')).toArray();
    expect(agg).toEqual([{ n: 300, s: (299 * 300) / 2 / 4 }]);
  });
});

describe('json lines', () => {
  it('infers a schema from the keys of every object; missing keys and empty lines give nulls and no rows', async () => {
    const df = q.read.json(at('json', 'rows.jsonl'));
    expect(df.schema).toEqual([
      { name: 'a', type: 'int64', nullable: true },
      { name: 'b', type: 'utf8', nullable: true },
      { name: 'c', type: 'float64', nullable: true },
      { name: 'tags', type: 'utf8', nullable: true },
      { name: 'd', type: 'bool', nullable: true },
    ]);
    expect(await df.toArray()).toEqual([
      { a: 1, b: 'x', c: 1.5, tags: null, d: null },
      { a: null, b: null, c: 2, tags: null, d: null },
      { a: 3000000000, b: 'z', c: null, tags: null, d: true },
    ]);
  });

  it('reads the columns of a given schema only', async () => {
    const df = q.read.json(at('json', 'rows.jsonl'), { schema: 'b utf8, a float64' });
    expect(await df.toArray()).toEqual([{ b: 'x', a: 1 }, { b: null, a: null }, { b: 'z', a: 3000000000 }]);
  });
});

describe('arrow and parquet', () => {
  it('reads Arrow IPC files and streams; a glob of both is two partitions', async () => {
    expect(await q.read.arrow(at('arrow', '1-file.arrow')).toArray()).toEqual([
      { id: 1, name: 'a', x: 0.5 }, { id: 2, name: null, x: 1.5 }, { id: 3, name: 'c', x: -2 },
    ]);
    const both = q.read.arrow(at('arrow', '*'));
    const rows = await both.toArray();
    expect(q.session.lastJob!.tasks).toBe(2);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 2, 3]);
  });

  it('reads parquet written by the engine, split by row groups', async () => {
    const rand = rng(3);
    const src = Array.from({ length: 10_000 }, (_, i) => ({ id: i, word: `w${Math.floor(rand() * 1e9)}`, x: i % 7 === 0 ? null : rand() }));
    const path = at('parquet', 'data.parquet');
    // One partition: one part file in the directory df.write makes.
    await q.createDataFrame(src, { partitions: 1 }).write.parquet(path, { rowGroupRows: 1000, compression: 'none' });
    const df = q.read.parquet(path);
    expect(df.schema).toEqual([
      { name: 'id', type: 'int32', nullable: true },
      { name: 'word', type: 'utf8', nullable: true },
      { name: 'x', type: 'float64', nullable: true },
    ]);
    const plan = await df.explain();
    const splits = Number(/ScanExec: parquet \[part-00000-[0-9a-f]{8}-000\.parquet\] splits=(\d+)/.exec(plan)?.[1]);
    expect(splits).toBeGreaterThan(1);
    const rows = await df.toArray();
    expect(q.session.lastJob!.tasks).toBe(splits);
    expect(rows).toEqual(src);
  });
});

describe('bad input', () => {
  it('failfast: the error a user sees names the file, the line counting the header, the column and what was expected', async () => {
    const df = q.read.csv([at('bad', 'a.csv'), at('bad', 'b.csv')], { schema: 'id int32, name utf8, score float64' });
    const err = await rejection(df.toArray());
    expect(err).toBeInstanceOf(DataError);
    expect(err.name).toBe('DataError');
    expect((err as DataError).code).toBe('DATA_ERROR');
    expect(err.message).toBe(`${at('bad', 'b.csv')}, line 4, column 'score': expected float64, found "x"; to skip bad records, read with mode: 'permissive' and a badRecordsPath`);
    expect((err as DataError).location).toEqual({ file: at('bad', 'b.csv'), line: 4, column: 'score' });
  });

  it('failfast: a record with too few fields, in the first file of a glob', async () => {
    const err = await rejection(q.read.csv(at('bad', 'c.csv'), { schema: 'id int32, name utf8, score float64' }).count());
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${at('bad', 'c.csv')}, line 3: expected 3 fields, found 2; to skip bad records, read with mode: 'permissive' and a badRecordsPath`);
  });

  it('failfast: the line number is exact for a bad record far into a file read in many splits', async () => {
    const df = q.read.csv(at('big.csv'), { schema: 'id int32, word utf8, score int32' });
    expect(await df.explain()).toMatch(/ScanExec: csv \[big\.csv\] splits=([2-9]|\d\d+)/);
    const err = await rejection(df.toArray());
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${at('big.csv')}, line ${BIG_CSV_BAD_LINE}, column 'score': expected int32, found "n/a"; to skip bad records, read with mode: 'permissive' and a badRecordsPath`);
  });

  it('permissive: the job completes, counts the bad records and quarantines each with its reason', async () => {
    const quarantine = at('quarantine-csv');
    const df = q.read.csv(at('bad', '*.csv'), { schema: 'id int32, name utf8, score float64', mode: 'permissive', badRecordsPath: quarantine });
    const rows = await df.toArray();
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 6, 7, 9]);
    expect(q.session.lastJob!.counters.badRecords).toBe(3);
    const files = filesUnder(quarantine);
    expect(files.length).toBeGreaterThan(0);
    const bad = files.flatMap((f) => readFileSync(join(quarantine, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    expect(multiset(bad)).toEqual(multiset([
      { file: at('bad', 'b.csv'), line: 4, column: 'score', reason: 'expected float64, found "x"', record: '5,eve,x' },
      { file: at('bad', 'c.csv'), line: 3, column: null, reason: 'expected 3 fields, found 2', record: '8,hal' },
      { file: at('bad', 'c.csv'), line: 5, column: 'id', reason: 'expected int32, found "1O"', record: '1O,jo,10' },
    ]));
  });

  it('malformed JSON lines: failfast names file and line; permissive skips, counts and quarantines them', async () => {
    const path = at('json', 'broken.jsonl');
    const err = await rejection(q.read.json(path, { schema: 'a int32, b utf8' }).toArray());
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_ERROR');
    expect(err.message).toMatch(new RegExp(`^${escape(path)}, line 2: malformed JSON: .+; to skip bad records, read with mode: 'permissive' and a badRecordsPath$`));

    const quarantine = at('quarantine-json');
    const rows = await q.read.json(path, { schema: 'a int32, b utf8', mode: 'permissive', badRecordsPath: quarantine }).toArray();
    expect(rows).toEqual([{ a: 1, b: 'x' }, { a: 3, b: 'z' }]);
    expect(q.session.lastJob!.counters.badRecords).toBe(3);
    const bad = filesUnder(quarantine).flatMap((f) => readFileSync(join(quarantine, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    expect(bad.map((b) => [b.line, b.column, b.record])).toEqual([[2, null, '{"a":2,"b":'], [4, null, '[4]'], [5, 'a', '{"a":"five","b":"v"}']]);
    expect(bad[0].reason).toMatch(/^malformed JSON: /);
    expect(bad[1].reason).toBe('expected a JSON object, found an array');
    expect(bad[2].reason).toMatch(/int32/);
  });

  it('missing inputs are DataErrors thrown while the plan is built, naming the path', () => {
    const cases: [() => unknown, string][] = [
      [() => q.read.csv(at('nope.csv')), `${at('nope.csv')}: file not found; check the path`],
      [() => q.read.text(at('csv', '*.parquet')), `${at('csv', '*.parquet')}: no files match the glob; check the pattern and the directory`],
      [() => q.read.json(at('no-such-dir', '*.jsonl')), `${at('no-such-dir', '*.jsonl')}: no files match the glob; check the pattern and the directory`],
      [() => q.read.text(at('empty-dir')), `${at('empty-dir')}: directory contains no files to read (names starting with '.' or '_' are skipped)`],
      [() => q.read.csv(at('empty.csv')), `${at('empty.csv')}: empty file, expected a header line (read with header: false if the files have none)`],
    ];
    for (const [read, message] of cases) {
      const err = thrown(read);
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).code).toBe('DATA_ERROR');
      expect(err.message).toBe(message);
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
