// The web UI's storage page data: cached DataFrames with their partitions, bytes and executors, from cacheUpdate events; /metrics gauges; unpersist removes the row.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, Quiver } from '../../core/index.ts';
import { attachObservability, type Observability } from '../../core/obs/attach.ts';
import { readEventLog } from '../../core/obs/event-log.ts';
import { replay } from '../../core/obs/state.ts';

const getJson = async (url: string): Promise<any> => (await fetch(url)).json();

describe('web UI storage page', () => {
  let q: Quiver;
  let obs: Observability;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 2 });
    obs = await attachObservability(q.session, { ui: 0, quiet: true, eventLog: mkdtempSync(join(tmpdir(), 'quiver-ui-storage-')) });
  });
  afterAll(async () => {
    await obs.close();
    await q.close();
  });

  it('lists a cached DataFrame once a job computed it, with /metrics gauges, until unpersisted', async () => {
    const base = `${obs.uiUrl}/api/apps/live`;
    expect((await getJson(`${base}/storage`)).caches).toEqual([]);
    const rows = Array.from({ length: 300 }, (_, i) => ({ k: i % 5, x: i }));
    const cached = q.createDataFrame(rows, { partitions: 3 }).persist({ name: 'numbers' });
    await cached.groupBy('k').agg(fn.sum('x').alias('s')).collect();
    await new Promise((r) => setTimeout(r, 50));
    const { caches } = await getJson(`${base}/storage`);
    expect(caches).toEqual([expect.objectContaining({ name: 'numbers', partitions: 3, cached: 3, diskBytes: 0, executors: { local: 3 } })]);
    expect(caches[0].memoryBytes).toBeGreaterThan(0);
    const metrics = await (await fetch(`${obs.uiUrl}/metrics`)).text();
    expect(metrics).toContain(`quiver_cache_partitions{cache="${caches[0].cacheId}"} 3`);
    expect(metrics).toMatch(new RegExp(`quiver_cache_bytes\\{cache="${caches[0].cacheId}",where="memory"\\} [1-9]`));
    // The page's script has the storage route.
    expect(await (await fetch(`${obs.uiUrl}/static/app.js`)).text()).toContain('storage-table');

    await cached.unpersist();
    await new Promise((r) => setTimeout(r, 50));
    expect((await getJson(`${base}/storage`)).caches).toEqual([]);
    // The event log replays to the same state.
    expect(await getJson(`${base}/state`)).toEqual(JSON.parse(JSON.stringify(replay(readEventLog(obs.eventLogFile!)))));
  });
});
