// Streaming over the rate source into the memory sink: micro-batches through the planner, status and progress, the logs, and the errors a user meets first.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, col, fn } from '../../core/index.ts';
import { tempDir } from '../engine/helpers.ts';

let q: Quiver;
const dir = tempDir('stream-rate');
beforeAll(async () => { q = await Quiver.local({ workers: 2 }); });
afterAll(async () => { await q.close(); dir.cleanup(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate source -> memory sink', () => {
  it('runs stateless ops per batch: every value once, in order of batches, with status, progress and logs', async () => {
    const ckpt = join(dir.path, 'rate-ckpt');
    const labels = q.createDataFrame([{ parity: 0, name: 'even' }, { parity: 1, name: 'odd' }]);
    const df = q.readStream.rate({ rowsPerSecond: 400, numPartitions: 2 })
      .withColumn('parity', col('value').mod(2).cast('int32'))
      .filter(col('value').lt(100_000))
      .join(labels, 'parity')
      .select('value', 'name', 'timestamp');
    expect(df.isStreaming).toBe(true);
    const query = await df.writeStream.format('memory').queryName('rated').option('checkpointLocation', ckpt).start();
    expect(query.name).toBe('rated');
    expect(q.streams.active).toContain(query);
    while ((query.recentProgress.length < 3)) {
      await sleep(50);
      if (query.exception) throw query.exception;
    }
    await query.stop();
    expect(await query.awaitTermination()).toBe(true);
    expect(query.status).toEqual({ message: 'Stopped', isDataAvailable: false, isTriggerActive: false });
    expect(q.streams.active).not.toContain(query);

    const rows = await q.sql('SELECT value, name, timestamp FROM rated ORDER BY value').toArray();
    const progress = query.recentProgress;
    const last = progress.at(-1)!;
    // Every value from 0 up to the last batch's end exactly once, joined to its label.
    const end = (last.sources[0].endOffset as { rows: number }).rows;
    expect(rows.length).toBe(end);
    rows.forEach((r, i) => {
      expect(r.value).toBe(i);
      expect(r.name).toBe(i % 2 === 0 ? 'even' : 'odd');
    });
    const start = (progress[0].sources[0].startOffset as { startTimeMs: number }).startTimeMs;
    expect((rows[400].timestamp as Date).getTime()).toBe(start + 1000);

    // Progress: batches in order, ranges chained, rows counted, phases timed.
    progress.forEach((p, i) => {
      expect(p.batchId).toBe(i);
      expect(p.id).toBe(query.id);
      expect(p.runId).toBe(query.runId);
      expect(p.name).toBe('rated');
      const s = p.sources[0];
      expect(p.numInputRows).toBe((s.endOffset as { rows: number }).rows - (s.startOffset as { rows: number }).rows);
      expect(p.sink.numOutputRows).toBe(p.numInputRows);
      expect(s.description).toBe('RateSource[rowsPerSecond=400, numPartitions=2]');
      if (i > 0) expect(s.startOffset).toEqual(progress[i - 1].sources[0].endOffset);
      expect(p.durationMs.triggerExecution).toBeGreaterThanOrEqual(p.durationMs.addBatch);
      expect(p.processedRowsPerSecond).toBeGreaterThan(0);
    });
    expect(progress[0].inputRowsPerSecond).toBeNull();
    expect(last.inputRowsPerSecond).toBeGreaterThan(0);
    expect(query.lastProgress).toEqual(last);

    // Write-ahead offsets and commits, one per batch, the offsets holding both ends.
    const ids = readdirSync(join(ckpt, 'commits')).map(Number).sort((a, b) => a - b);
    expect(ids).toEqual(progress.map((p) => p.batchId));
    const logged = JSON.parse(readFileSync(join(ckpt, 'offsets', String(last.batchId)), 'utf8'));
    expect(logged.sources[0].end).toEqual(last.sources[0].endOffset);
    expect(logged.sources[0].start).toEqual(last.sources[0].startOffset);
    expect(existsSync(join(ckpt, 'metadata'))).toBe(true);
  });

  it('restarts from its checkpoint with the same query id and goes on from the last committed offset', async () => {
    const ckpt = join(dir.path, 'restart-ckpt');
    const run = async () => {
      const query = await q.readStream.rate({ rowsPerSecond: 500 }).writeStream.format('memory').queryName('again').option('checkpointLocation', ckpt).start();
      while (query.recentProgress.length < 2) await sleep(50);
      await query.stop();
      return { query, rows: (await q.table('again').toArray()).map((r) => r.value as number) };
    };
    const first = await run();
    const second = await run();
    expect(second.query.id).toBe(first.query.id);
    expect(second.query.runId).not.toBe(first.query.runId);
    const firstEnd = (first.query.lastProgress!.sources[0].endOffset as { rows: number }).rows;
    expect(second.query.recentProgress[0].batchId).toBe(first.query.lastProgress!.batchId + 1);
    expect(second.rows[0]).toBe(firstEnd);
    second.rows.forEach((v, i) => expect(v).toBe(firstEnd + i));
  });

  it('refuses what a stream cannot run yet, and batch actions on a stream', async () => {
    const s = q.readStream.rate();
    await expect(s.groupBy('value').agg(fn.count()).writeStream.format('memory').queryName('x').start()).rejects.toThrow(/outputMode\('append'\) with a streaming groupBy needs withWatermark/);
    await expect(s.groupBy('value').count().groupBy('count').agg(fn.count().alias('n')).writeStream.outputMode('complete').format('memory').queryName('x').start()).rejects.toThrow(/aggregate over a streaming aggregate/);
    await expect(s.orderBy('value').writeStream.format('console').start()).rejects.toThrow(PlanError);
    await expect(s.limit(3).writeStream.format('console').start()).rejects.toThrow(/limit/);
    await expect(s.join(q.readStream.rate(), ['timestamp', 'value']).writeStream.format('console').start()).rejects.toThrow(/join of two streams/);
    const st = q.createDataFrame([{ value: 1 }]);
    await expect(st.join(s, 'value', 'left').writeStream.format('console').start()).rejects.toThrow(/left join with the stream on the right/);
    await expect(s.collect()).rejects.toThrow(/runs only as a streaming query: use df.writeStream/);
    await expect(st.writeStream.format('console').start()).rejects.toThrow(/not streaming/);
    await expect(s.writeStream.format('parquet').start(join(dir.path, 'out'))).rejects.toThrow(/checkpointLocation.*is required/);
    await expect(s.writeStream.format('memory').start()).rejects.toThrow(/queryName/);
    expect(() => s.writeStream.outputMode('all' as 'complete')).toThrow(/unknown mode "all"/);
    expect(() => s.writeStream.trigger({ processingTime: 'soon' })).toThrow(/'1 second'/);
  });

  it('a failing batch stops the query; awaitTermination rejects with its error', async () => {
    const query = await q.readStream.rate({ rowsPerSecond: 100 }).writeStream
      .foreachBatch(async (batch, id) => { if (id === 1) throw new Error(`batch ${id} failed`); await batch.count(); })
      .start();
    await expect(query.awaitTermination()).rejects.toThrow('batch 1 failed');
    expect(query.isActive).toBe(false);
    expect((query.exception as Error).message).toBe('batch 1 failed');
    expect(query.lastProgress!.batchId).toBe(0);
  });
});
