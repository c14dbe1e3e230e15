// Corrupt Parquet through the public API: a DataError naming the file, never a dead worker, a hang or a retry.
import * as arrow from 'apache-arrow';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { DataError } from '../../ops/errors.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { tempDir } from './helpers.ts';

const N = 300;
const sample = new arrow.Table({
  id: arrow.makeVector(Int32Array.from({ length: N }, (_, i) => i)),
  s: arrow.vectorFromArray(Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : `s${i % 13}`)), new arrow.Utf8()),
  x: arrow.vectorFromArray(Array.from({ length: N }, (_, i) => i / 4), new arrow.Float64()),
});
const want = sample.toArray().map((r) => r.toJSON());

/** Deterministic mutations of `good`: one byte changed, dropped or doubled at seeded offsets. */
function* mutations(good: Buffer, count: number, seed: number): Generator<{ name: string; bytes: Buffer }> {
  let s = seed;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < count; k++) {
    const off = Math.floor(rnd() * good.length);
    const v = 1 + Math.floor(rnd() * 255);
    switch (k % 4) {
      case 0: { const b = Buffer.from(good); b[off] ^= v; yield { name: `xor ${v} at ${off}`, bytes: b }; break; }
      case 1: { const b = Buffer.from(good); b[off] = 0xff; yield { name: `0xff at ${off}`, bytes: b }; break; }
      case 2: yield { name: `drop byte ${off}`, bytes: Buffer.concat([good.subarray(0, off), good.subarray(off + 1)]) }; break;
      default: yield { name: `double byte ${off}`, bytes: Buffer.concat([good.subarray(0, off + 1), good.subarray(off)]) };
    }
  }
}

/** Settles within `ms` or fails with a message saying which read hung. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { timer = setTimeout(() => rej(new Error(`HUNG: ${what} did not finish in ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

describe('corrupt Parquet', () => {
  let q: Quiver;
  let dir: string;
  let good: Buffer;
  let goodPath: string;
  const attempts: number[] = [];
  // One worker: every read after a decoder panic runs in the thread that panicked.
  beforeAll(async () => {
    q = await Quiver.local({ workers: 1, maxTaskAttempts: 4, quiet: true });
    q.onEvent((e) => { if (e.kind === 'taskStart') attempts.push(e.attempt); });
    dir = await tempDir('quiver-pq-corrupt-');
    goodPath = join(dir, 'good.parquet');
    // zstd pages: some of their mutations make the decoder panic, which is what this test contains.
    await writeTable('parquet', goodPath, sample.batches, sample.schema, { rowGroupRows: 100, compression: 'zstd' });
    good = await readFile(goodPath);
  });
  afterAll(async () => { await q?.close(); });

  it('every mutated file reads as its rows or fails with a DataError naming it; healthy files still read', async () => {
    const outcomes: Record<string, number> = {};
    const wrong: string[] = [];
    let k = 0;
    for (const m of mutations(good, 240, 20261206)) {
      const path = join(dir, `m${k++}.parquet`);
      await writeFile(path, m.bytes);
      for (const action of ['collect', 'count'] as const) {
        const what = `${action}() of ${m.name}`;
        const got = await within((async () => {
          const df = q.read.parquet(path);
          return action === 'collect' ? (await df.collect()).toArray().map((r) => r.toJSON()) : await df.count();
        })(), 20_000, what).then((v) => ({ v }), (e: unknown) => ({ e }));
        if ('e' in got) {
          const e = got.e as Error & { code?: string };
          if (e instanceof DataError && e.message.includes(path)) {
            outcomes.dataError = (outcomes.dataError ?? 0) + 1;
            if (/panicked/.test(e.message)) outcomes.panic = (outcomes.panic ?? 0) + 1;
          }
          else wrong.push(`${what}: ${e.name} ${e.code ?? ''} ${e.message.slice(0, 200)}`);
        } else if (action === 'count') {
          // count() reads row counts from the footer, which checks nothing else.
          if (got.v === N) outcomes.rows = (outcomes.rows ?? 0) + 1;
          else wrong.push(`${what}: counted ${String(got.v)} rows instead of ${N} without an error`);
        } else {
          const rows = got.v as Record<string, unknown>[];
          // Parquet pages carry no mandatory checksum: a changed value byte can decode as another
          // value, which no reader can detect. Rows must still be whole: every row, every column.
          if (JSON.stringify(rows) === JSON.stringify(want)) outcomes.rows = (outcomes.rows ?? 0) + 1;
          else if (rows.length === N && rows.every((r) => Object.keys(r).join() === 'id,s,x')) outcomes.changedValues = (outcomes.changedValues ?? 0) + 1;
          else wrong.push(`${what}: ${rows.length} rows without an error`);
        }
      }
      expect(await within(q.read.parquet(goodPath).count(), 20_000, 'count of the healthy file')).toBe(N);
    }
    expect(wrong).toEqual([]);
    expect(outcomes.dataError).toBeGreaterThan(100);
    // Some of these mutations make the decoder panic (a wasm trap): each was contained, and the
    // reads after it, in the same worker thread, still worked.
    expect(outcomes.panic).toBeGreaterThan(0);
    // Data errors are never retried.
    expect(attempts.filter((a) => a > 0)).toEqual([]);
    expect((await q.read.parquet(goodPath).collect()).toArray().map((r) => r.toJSON())).toEqual(want);
  }, 300_000);
});
