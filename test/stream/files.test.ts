// Streaming over files: new JSON files as they land, into an exactly-once Parquet sink; restarts from the checkpoint checked against DuckDB over the same files.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { tempDir } from '../engine/helpers.ts';
import { duckRows, expectSameRows, quiverRows } from '../sql/compare.ts';

let q: Quiver;
let duck: DuckDBConnection;
const dir = tempDir('stream-files');
beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => { await q.close(); duck.closeSync(); dir.cleanup(); });

const SCHEMA = 'id BIGINT, tag STRING, score DOUBLE';
let fileNo = 0;

/** A JSON-lines file of `n` events landed atomically (written under a '.' name, renamed in). */
function land(inDir: string, n: number): void {
  const name = `events-${String(fileNo++).padStart(4, '0')}.json`;
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: fileNo * 1000 + i, tag: ['cat', 'dog', 'bird'][i % 3], score: (i * 7) % 10 / 4 }));
  writeFileSync(join(inDir, `.${name}`), `${lines.join('\n')}\n`);
  renameSync(join(inDir, `.${name}`), join(inDir, name));
}

/** The streaming query's transformation, as SQL over all the files for DuckDB. */
const streamOf = (inDir: string) => q.readStream.files(inDir, { format: 'json', schema: SCHEMA, maxFilesPerTrigger: 2 })
  .filter(col('tag').neq('bird')).withColumn('double', col('score').mul(2));
const duckOf = (inDir: string) => `SELECT id, tag, score, score * 2 AS double FROM read_json('${inDir}/*.json', columns = {id: 'BIGINT', tag: 'VARCHAR', score: 'DOUBLE'}) WHERE tag <> 'bird'`;

async function runAvailable(inDir: string, out: string, ckpt: string) {
  const query = await streamOf(inDir).writeStream.format('parquet').option('checkpointLocation', ckpt).trigger({ availableNow: true }).start(out);
  await query.awaitTermination();
  return query;
}

describe('files source -> parquet sink', () => {
  it('reads each landed file once, in batches of maxFilesPerTrigger, and resumes with only the new files', async () => {
    const inDir = join(dir.path, 'in1'), out = join(dir.path, 'out1'), ckpt = join(dir.path, 'ckpt1');
    mkdirSync(inDir);
    for (let i = 0; i < 5; i++) land(inDir, 20 + i);
    writeFileSync(join(inDir, '.half-written.tmp'), '{"id": 1, "ta');
    const first = await runAvailable(inDir, out, ckpt);
    expect(first.recentProgress.map((p) => p.batchId)).toEqual([0, 1, 2]);
    expect(first.recentProgress.map((p) => (p.sources[0].endOffset as { files: number }).files)).toEqual([2, 4, 5]);
    // JSON files do not know their rows before they are read; the sink counts what it wrote.
    expect(first.lastProgress!.numInputRows).toBeNull();
    expectSameRows(await quiverRows(q.read.parquet(out).select('id', 'tag', 'score', 'double')), (await duckRows(duck, duckOf(inDir))).rows, false);
    expect(readdirSync(join(out, '_quiver_sink')).sort()).toEqual(['0', '1', '2']);

    land(inDir, 7);
    land(inDir, 9);
    const second = await runAvailable(inDir, out, ckpt);
    expect(second.id).toBe(first.id);
    expect(second.recentProgress.map((p) => p.batchId)).toEqual([3]);
    expect(second.lastProgress!.sources[0].startOffset).toEqual({ files: 5 });
    expectSameRows(await quiverRows(q.read.parquet(out).select('id', 'tag', 'score', 'double')), (await duckRows(duck, duckOf(inDir))).rows, false);
  });

  it('a batch re-run after its sink committed (crash before the commits log) adds nothing twice; leftovers of a dead job are removed', async () => {
    const inDir = join(dir.path, 'in2'), out = join(dir.path, 'out2'), ckpt = join(dir.path, 'ckpt2');
    mkdirSync(inDir);
    for (let i = 0; i < 3; i++) land(inDir, 30);
    const first = await runAvailable(inDir, out, ckpt);
    const last = first.lastProgress!.batchId;
    // The driver died after the sink's commit and before commits/<last>; a dead job's files lie under _temporary.
    rmSync(join(ckpt, 'commits', String(last)));
    mkdirSync(join(out, '_temporary', 'deadbeef', 'attempt-0-0-x'), { recursive: true });
    writeFileSync(join(out, '_temporary', 'deadbeef', 'attempt-0-0-x', 'part-00000.parquet'), 'junk');
    land(inDir, 11);
    const second = await runAvailable(inDir, out, ckpt);
    expect(second.recentProgress.map((p) => p.batchId)).toEqual([last, last + 1]);
    expect(second.recentProgress[0].sources[0]).toMatchObject({ startOffset: first.lastProgress!.sources[0].startOffset, endOffset: first.lastProgress!.sources[0].endOffset });
    expect(existsSync(join(out, '_temporary'))).toBe(false);
    expectSameRows(await quiverRows(q.read.parquet(out).select('id', 'tag', 'score', 'double')), (await duckRows(duck, duckOf(inDir))).rows, false);
  });

  it('a query stopped by a failing batch resumes with the same range: foreachBatch output equals the batch computation, nothing lost or twice', async () => {
    const inDir = join(dir.path, 'in3'), ckpt = join(dir.path, 'ckpt3');
    mkdirSync(inDir);
    for (let i = 0; i < 6; i++) land(inDir, 10 + i);
    const written = new Map<number, { rows: unknown[][] }>();
    const start = (failAt: number | null) => streamOf(inDir).writeStream.option('checkpointLocation', ckpt).trigger({ availableNow: true })
      .foreachBatch(async (batch, batchId) => {
        const rows = await quiverRows(batch);
        if (batchId === failAt) throw new Error(`sink down at batch ${batchId}`);
        written.set(batchId, { rows }); // keyed by batch id: a re-run replaces, as an idempotent sink does
      }).start();
    const broken = await start(1);
    await expect(broken.awaitTermination()).rejects.toThrow('sink down at batch 1');
    expect(existsSync(join(ckpt, 'offsets', '1'))).toBe(true);
    expect(existsSync(join(ckpt, 'commits', '1'))).toBe(false);
    const resumed = await start(null);
    await resumed.awaitTermination();
    expect(resumed.recentProgress[0].batchId).toBe(1);
    expect(resumed.recentProgress[0].sources[0].startOffset).toEqual({ files: 2 });
    expect([...written.keys()].sort()).toEqual([0, 1, 2]);
    expectSameRows([...written.values()].flatMap((w) => w.rows), (await duckRows(duck, duckOf(inDir))).rows, false);
  });

  it('needs a schema for an empty directory; infers it from the first file otherwise', async () => {
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    expect(() => q.readStream.files(empty, { format: 'json' })).toThrow(/no file to infer the schema from; give one/);
    land(empty, 3);
    expect(q.readStream.files(empty, { format: 'json' }).columns).toEqual(['id', 'tag', 'score']);
    expect(() => q.readStream.files(empty, { format: 'xml' as 'json' })).toThrow(/format must be one of/);
  });
});
