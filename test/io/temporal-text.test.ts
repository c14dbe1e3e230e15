// Dates and timestamps as csv/json text: every year the writers print, the readers read back exactly.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoDateText, isoTimestampText } from '../../ops/calendar.ts';
import { ScanExec } from '../../ops/scan-exec.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { planSplits, type FileFormat } from '../../ops/sources/index.ts';
import { parseDateText, parseTimestampText } from '../../ops/sources/values.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { tempDir, testContext } from './helpers.ts';

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;
const DAY_MS = 86_400_000;

// Each row: days since the epoch, its text; ms since the epoch, its text.
const CASES: [number, string, bigint, string][] = [
  [-719162, '0001-01-01', -62135596800000n, '0001-01-01T00:00:00.000Z'],
  [-683004, '0099-12-31', -59011459200001n, '0099-12-31T23:59:59.999Z'],
  [-719528, '0000-01-01', -62167219200000n, '0000-01-01T00:00:00.000Z'],
  [-719529, '-000001-12-31', -62167219200001n, '-000001-12-31T23:59:59.999Z'],
  [2932896, '9999-12-31', 253402300799999n, '9999-12-31T23:59:59.999Z'],
  [2932897, '+010000-01-01', 253402300800000n, '+010000-01-01T00:00:00.000Z'],
  [100000000, '+275760-09-13', 8640000000000000n, '+275760-09-13T00:00:00.000Z'],
  [-2147483648, '-5877641-06-23', I64_MIN, '-292275055-05-16T16:47:04.192Z'],
  [2147483647, '+5881580-07-11', I64_MAX, '+292278994-08-17T07:12:55.807Z'],
];

function table(): arrow.Table {
  return new arrow.Table({
    d: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: CASES.length, data: Int32Array.from(CASES, (c) => c[0]) })),
    t: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMillisecond(), length: CASES.length, data: BigInt64Array.from(CASES, (c) => c[2]) })),
  });
}

/** The batches of a scan; not scanAll, whose rows go through Arrow's get(), which throws past 2^53. */
async function scanBatches(format: FileFormat, path: string, schema: arrow.Schema): Promise<arrow.RecordBatch[]> {
  const fileSchema = fromArrowSchema(schema);
  const options = { schema: fileSchema };
  const splits = await planSplits({ format, paths: [path], options }, 64 << 20);
  const exec = new ScanExec({ format, splits, options, fileSchema, projection: null, filters: [], limit: null });
  const out: arrow.RecordBatch[] = [];
  for (let p = 0; p < splits.length; p++) {
    for await (const b of exec.execute(p, await testContext({ partition: p }))) out.push(b);
  }
  return out;
}

/** A column's stored values across batches: days as numbers, milliseconds as bigints. */
const raw = (batches: arrow.RecordBatch[], name: string): unknown[] =>
  batches.flatMap((b) => b.getChild(name)!.data.flatMap((d) => Array.from(d.values.subarray(d.offset, d.offset + d.length) as ArrayLike<unknown>)));

describe('date and timestamp text', () => {
  it('writes years outside 0000-9999 in the expanded form, as toISOString does, and timestamps without a zone', async () => {
    const t = table();
    const path = join(await tempDir(), 'out.csv');
    await writeTable('csv', path, t.batches, t.schema);
    // timestamp_ms has no zone (as in Parquet and Arrow): 'YYYY-MM-DD HH:MM:SS.fff', the UTC wall clock.
    expect(await readFile(path, 'utf8')).toBe(`d,t\n${CASES.map((c) => `${c[1]},${c[3].replace('T', ' ').slice(0, -1)}`).join('\n')}\n`);
    for (const [days, , ms, ts] of CASES) {
      if (Math.abs(days) <= 1e8) expect(new Date(days * DAY_MS).toISOString().split('T')[0]).toBe(isoDateText(days));
      if (ms >= -8_640_000_000_000_000n && ms <= 8_640_000_000_000_000n) expect(new Date(Number(ms)).toISOString()).toBe(ts);
    }
  });

  for (const format of ['csv', 'json'] as const) {
    it(`${format}: every case reads back to the same int32 day and int64 millisecond`, async () => {
      const t = table();
      const path = join(await tempDir(), `out.${format}`);
      await writeTable(format, path, t.batches, t.schema);
      const batches = await scanBatches(format, path, t.schema);
      expect(raw(batches, 'd')).toEqual(CASES.map((c) => c[0]));
      expect(raw(batches, 't')).toEqual(CASES.map((c) => c[2]));
    });
  }

  it('reads years 0-99 as themselves, not 1900-1999', () => {
    expect(parseDateText('0001-01-01')).toBe(-719162);
    expect(parseTimestampText('0050-06-15 12:00')).toBe(BigInt(new Date('0050-06-15T12:00:00Z').getTime()));
    expect(parseTimestampText('0001-01-01T01:00:00+02:00')).toBe(-62135596800000n - 3_600_000n);
  });

  it('rejects days, times and years that do not exist or do not fit', () => {
    for (const s of ['2023-02-29', '2024-13-01', '2024-00-10', '10000-01-01', '+10000-01-01', '275760-09-13', '+5881580-07-12', '-5877641-06-22']) {
      expect(parseDateText(s), s).toBeNull();
    }
    for (const s of ['2024-02-30T00:00:00Z', '2024-01-01T24:00:00', '2024-01-01T23:60:00', '2024-01-01T23:59:60', '+292278994-08-17T07:12:55.808Z', '+999999999-01-01T00:00:00Z']) {
      expect(parseTimestampText(s), s).toBeNull();
    }
    expect(parseDateText('2024-02-29')).toBe(19782);
  });

  it('any int32 day and any int64 millisecond round-trips through the text (property)', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (days) => parseDateText(isoDateText(days)) === days));
    fc.assert(fc.property(fc.bigInt({ min: I64_MIN, max: I64_MAX }), (ms) => parseTimestampText(isoTimestampText(ms)) === ms));
    fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoTimestampText(BigInt(ms)) === new Date(ms).toISOString()));
  });
});
