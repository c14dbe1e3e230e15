// Stateful streaming aggregation: windowed counts over files with event times, by output mode, late rows dropped and counted, state restored on restart.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, col, fn, type StreamingQuery } from '../../core/index.ts';
import { tempDir } from '../engine/helpers.ts';

let q: Quiver;
const dir = tempDir('stream-state');
beforeAll(async () => { q = await Quiver.local({ workers: 2 }); });
afterAll(async () => { await q.close(); dir.cleanup(); });

const T0 = Date.UTC(2024, 0, 1);
const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace('T', ' ').replace('Z', '');

/** Files of events (second offset, key, value), one micro-batch each (maxFilesPerTrigger 1). */
const BATCHES: [number, string, number][][] = [
  [[1, 'a', 1], [2, 'a', 2], [7, 'b', 3], [9, 'a', 4]],
  [[12, 'a', 5], [15, 'b', 6], [4, 'b', 7]],            // 4 s is not late yet: the watermark is 9 - 5 = 4 s
  [[3, 'a', 8], [22, 'b', 9], [18, 'a', 10]],           // 3 s is late (watermark 15 - 5 = 10 s); 22 s moves it to 17 s
  [[31, 'a', 11]],                                      // watermark 26 s: window [10, 20) closes
];

function landAll(inDir: string, batches: typeof BATCHES): void {
  mkdirSync(inDir, { recursive: true });
  batches.forEach((b, i) => {
    const name = `b${String(i).padStart(3, '0')}.json`;
    writeFileSync(join(inDir, `.${name}`), b.map(([s, k, v]) => JSON.stringify({ ts: iso(s), k, v })).join('\n') + '\n');
    renameSync(join(inDir, `.${name}`), join(inDir, name));
  });
}

const windowedCounts = (inDir: string) => q.readStream.files(inDir, { format: 'json', schema: 'ts TIMESTAMP, k STRING, v INT', maxFilesPerTrigger: 1 })
  .withWatermark('ts', '5 seconds')
  .groupBy(fn.window('ts', '10 seconds'), 'k')
  .agg(fn.count().alias('n'), fn.sum('v').alias('s'), fn.avg('v').alias('m'), fn.max('v').alias('hi'));

type Out = { start: number; k: string; n: number; s: number; m: number; hi: number };
async function table(name: string): Promise<Out[]> {
  const rows = await q.sql(`SELECT * FROM ${name}`).toArray();
  return rows.map((r) => ({ start: ((r.window_start as Date).getTime() - T0) / 1000, k: r.k as string, n: r.n as number, s: r.s as number, m: r.m as number, hi: r.hi as number }))
    .sort((a, b) => a.start - b.start || a.k.localeCompare(b.k));
}

async function runAvailable(inDir: string, mode: 'append' | 'update' | 'complete', name: string, ckpt: string): Promise<StreamingQuery> {
  const query = await windowedCounts(inDir).writeStream.outputMode(mode).format('memory').queryName(name).option('checkpointLocation', ckpt).trigger({ availableNow: true }).start();
  await query.awaitTermination();
  return query;
}

/** Windows [0, 10) and [10, 20) as a batch computation over the rows that were not late (3 s, in batch 2). */
const CLOSED: Out[] = [
  { start: 0, k: 'a', n: 3, s: 7, m: 7 / 3, hi: 4 },
  { start: 0, k: 'b', n: 2, s: 10, m: 5, hi: 7 },
  { start: 10, k: 'a', n: 2, s: 15, m: 7.5, hi: 10 },
  { start: 10, k: 'b', n: 1, s: 6, m: 6, hi: 6 },
];

describe('streaming groupBy(window, key) with a watermark', () => {
  it('append: a window is output once, when the watermark passes its end; late rows are dropped and counted', async () => {
    const inDir = join(dir.path, 'in-append');
    landAll(inDir, BATCHES);
    const query = await runAvailable(inDir, 'append', 'appended', join(dir.path, 'ck-append'));
    expect(await table('appended')).toEqual(CLOSED);
    const p = query.recentProgress;
    expect(p.map((x) => x.stateOperators[0].numLateRowsDropped)).toEqual([0, 0, 1, 0]);
    expect(p.map((x) => x.eventTime.watermark)).toEqual([null, iso(4), iso(10), iso(17)].map((s) => (s === null ? null : `${s.replace(' ', 'T')}Z`)));
    expect(p.map((x) => x.sink.numOutputRows)).toEqual([0, 2, 0, 2]);
    // Left in state: the windows [20, 30) and [30, 40) not yet closed.
    expect(p.at(-1)!.stateOperators[0].numRowsTotal).toBe(2);
  });

  it('update: each batch outputs the groups it changed; complete: every group each batch', async () => {
    const inDir = join(dir.path, 'in-modes');
    landAll(inDir, BATCHES);
    const up = await runAvailable(inDir, 'update', 'updated', join(dir.path, 'ck-update'));
    expect(up.recentProgress.map((x) => x.sink.numOutputRows)).toEqual([2, 3, 2, 1]);
    const last = (await table('updated')).filter((r) => r.start === 10 && r.k === 'a');
    expect(last.map((r) => r.n)).toEqual([1, 2]);
    const all = await runAvailable(inDir, 'complete', 'completed', join(dir.path, 'ck-complete'));
    expect(all.recentProgress.map((x) => x.sink.numOutputRows)).toEqual([2, 4, 5, 6]);
    expect((await table('completed')).filter((r) => r.start < 20)).toEqual(CLOSED);
  });

  it('restarts from the state saved with the last committed batch', async () => {
    const inDir = join(dir.path, 'in-restart'), ckpt = join(dir.path, 'ck-restart');
    landAll(inDir, BATCHES.slice(0, 2));
    await runAvailable(inDir, 'append', 'first', ckpt);
    expect(existsSync(join(ckpt, 'state', '1', 'aggregate.arrow'))).toBe(true);
    // The rest lands after the first run stopped.
    const later = join(dir.path, 'later');
    landAll(later, BATCHES);
    for (const i of [2, 3]) renameSync(join(later, `b${String(i).padStart(3, '0')}.json`), join(inDir, `b${String(i).padStart(3, '0')}.json`));
    const second = await runAvailable(inDir, 'append', 'second', ckpt);
    expect(second.recentProgress.map((x) => x.batchId)).toEqual([2, 3]);
    expect([...await table('first'), ...await table('second')].sort((a, b) => a.start - b.start || a.k.localeCompare(b.k))).toEqual(CLOSED);
  });

  it('refuses what it cannot keep, with the fix', async () => {
    const inDir = join(dir.path, 'in-errors');
    landAll(inDir, BATCHES.slice(0, 1));
    const s = q.readStream.files(inDir, { format: 'json', schema: 'ts TIMESTAMP, k STRING, v INT' });
    await expect(s.groupBy('k').count().writeStream.format('memory').queryName('e1').start()).rejects.toThrow(/outputMode\('append'\) with a streaming groupBy needs withWatermark/);
    await expect(s.groupBy('k').agg(fn.countDistinct('v')).writeStream.outputMode('update').format('memory').queryName('e2').start()).rejects.toThrow(/cannot be kept across micro-batches/);
    await expect(s.groupBy('k').count().orderBy('k').writeStream.outputMode('update').format('memory').queryName('e3').start()).rejects.toThrow(/orderBy .*complete/);
    await expect(s.groupBy('k').count().writeStream.outputMode('complete').format('json').option('checkpointLocation', join(dir.path, 'e4')).start(join(dir.path, 'e4out'))).rejects.toThrow(PlanError);
    await expect(s.filter(col('v').gt(0)).writeStream.outputMode('complete').format('memory').queryName('e5').start()).rejects.toThrow(/needs a streaming groupBy/);
    const sorted = await s.groupBy('k').count().orderBy('k').writeStream.outputMode('complete').format('memory').queryName('sorted').trigger({ availableNow: true }).start();
    await sorted.awaitTermination();
    expect(await q.table('sorted').toArray()).toEqual([{ k: 'a', count: 3 }, { k: 'b', count: 1 }]);
  });
});
