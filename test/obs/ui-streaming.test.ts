// The web UI's streaming page data: active, stopped and failed streaming queries with their last progress and rate history, live and replayed from the event log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, fn, type StreamingQuery } from '../../core/index.ts';
import { readEventLog } from '../../core/obs/event-log.ts';
import { replay } from '../../core/obs/state.ts';
import { until } from '../cluster/cluster-helpers.ts';

describe('web UI: streaming queries', () => {
  let q: Quiver;
  let dir: string;
  let running: StreamingQuery;
  const getJson = async (path: string): Promise<any> => (await fetch(`${q.uiUrl}${path}`)).json();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-ui-streams-'));
    q = await Quiver.local({ workers: 2, ui: 0, quiet: true, eventLog: dir });
  });
  afterAll(async () => {
    await q?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists active and finished queries with status, last progress and a rate history', async () => {
    // Stopped after three batches: a windowed count keeps state and a watermark.
    const counted = await q.readStream.rate({ rowsPerSecond: 200 }).withWatermark('timestamp', '1 second')
      .groupBy(fn.window('timestamp', '1 second')).agg(fn.count().alias('n'))
      .writeStream.outputMode('update').format('memory').queryName('counted').trigger({ processingTime: '100 ms' }).start();
    await until(() => counted.recentProgress.length >= 3, 20_000, 'three batches');
    await counted.stop();
    // Failed in its first batch.
    const failing = await q.readStream.rate({ rowsPerSecond: 100 }).writeStream.queryName('failing')
      .foreachBatch(() => { throw new Error('sink down'); }).start();
    await expect(failing.awaitTermination()).rejects.toThrow(/sink down/);
    // Still running.
    running = await q.readStream.rate({ rowsPerSecond: 50 }).writeStream.format('memory').queryName('ticks').trigger({ processingTime: '100 ms' }).start();
    await until(() => running.recentProgress.length >= 2, 20_000, 'two batches');

    const { now, streams } = await getJson('/api/apps/live/streams');
    expect(now).toBeGreaterThan(0);
    expect(streams.map((s: any) => [s.name, s.status])).toEqual([['ticks', 'active'], ['failing', 'failed'], ['counted', 'stopped']]);
    const [ticks, failed, stopped] = streams;
    expect(ticks).toEqual(expect.objectContaining({ id: running.id, runId: running.runId, sink: 'MemorySink[ticks]', sources: ['rate 50 rows/s'], trigger: 'processingTime 100 ms', end: null, error: null }));
    expect(ticks.batches).toBeGreaterThanOrEqual(2);
    expect(failed.error).toMatch(/sink down/);
    expect(failed.batches).toBe(0);
    expect(failed.end).toBeGreaterThanOrEqual(failed.start);

    // The stopped query's numbers are its own progress records'.
    const last = counted.lastProgress!;
    expect(stopped.batches).toBe(counted.recentProgress.length);
    expect(stopped.inputRows).toBe(counted.recentProgress.reduce((n, p) => n + p.numInputRows!, 0));
    expect(stopped.lateRows).toBe(counted.recentProgress.reduce((n, p) => n + p.stateOperators[0].numLateRowsDropped, 0));
    expect(stopped.last).toEqual(expect.objectContaining({
      batchId: last.batchId, numInputRows: last.numInputRows, inputRowsPerSecond: last.inputRowsPerSecond, processedRowsPerSecond: last.processedRowsPerSecond,
      durationMs: last.durationMs.triggerExecution, stateRows: last.stateOperators[0].numRowsTotal, lateRowsDropped: last.stateOperators[0].numLateRowsDropped,
      watermarkMs: last.eventTime.watermark === null ? null : Date.parse(last.eventTime.watermark),
    }));
    expect(stopped.recent.map((b: any) => b.batchId)).toEqual(counted.recentProgress.map((p) => p.batchId));
    expect(stopped.last.watermarkMs).toBeGreaterThan(0);
  });

  it('serves the streaming page in the script, and shows what replaying the event log gives', async () => {
    const js = await (await fetch(`${q.uiUrl}/static/app.js`)).text();
    expect(() => new Function(js)).not.toThrow();
    expect(js).toContain("r.page = 'streaming'");
    await running.stop();
    const live = await getJson('/api/apps/live/state');
    expect(live.streams.map((s: any) => s.status)).toEqual(['stopped', 'failed', 'stopped']);
    expect(live).toEqual(JSON.parse(JSON.stringify(replay(readEventLog(q.eventLogFile!)))));
  });
});
