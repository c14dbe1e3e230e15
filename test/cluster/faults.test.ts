// Cluster fault tolerance with real processes: executors killed mid-shuffle, joining mid-job, a NATS restart, failing tasks, duplicate results, stragglers, malformed messages.
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import type { ClusterRuntime } from '../../core/cluster/cluster-runtime.ts';
import { PROTOCOL_VERSION, subjects } from '../../core/cluster/protocol.ts';
import { startExecutor, until, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const SLOW = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
const FLAKY = resolve(import.meta.dirname, '../fixtures/runtime/flaky.ts');
const CLUSTER = 'faults';

let nats: NatsServer;
let executors: ExecutorProcess[] = [];
let q: Quiver;
const events: RuntimeEvent[] = [];

const exec = (name: string, env: Record<string, string> = {}) =>
  startExecutor({ servers: nats.url, workers: 1, name, cluster: CLUSTER, driverTimeoutMs: 2000, heartbeatMs: 250 }, env);

beforeAll(async () => {
  nats = await startNats();
  executors = await Promise.all([exec('a'), exec('b')]);
  q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, heartbeatTimeoutMs: 1500, shufflePartitions: 4 });
  q.onEvent((e) => events.push(e));
}, 120_000);
afterAll(async () => {
  await q?.close();
  await Promise.all(executors.map((e) => e.kill9()));
  await nats?.stop();
});

const N = 24_000;
const rows = Array.from({ length: N }, (_, i) => ({ x: i, k: i % 13 }));
/** sum(x) and count per k, computed here. */
const expected = (() => {
  const m = new Map<number, [number, number]>();
  for (const r of rows) { const e = m.get(r.k) ?? [0, 0]; e[0] += r.x; e[1]++; m.set(r.k, e); }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, [s, n]]) => `${k}:${s}:${n}`);
})();

/** A two-stage job whose map and reduce tasks both take time: 12 map tasks, 4 reduce tasks. */
function job(ms = 150) {
  return q.createDataFrame(rows, { partitions: 12 })
    .mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms } })
    .groupBy('k').agg(fn.sum('x').alias('s'), fn.count().alias('n'))
    .mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms } });
}
const asKeys = (t: Awaited<ReturnType<ReturnType<typeof job>['collect']>>) =>
  t.toArray().map((r: any) => `${r.k}:${Number(r.s)}:${Number(r.n)}`).sort((a: string, b: string) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
const since = (i: number) => events.slice(i);
const jobIdAt = (i: number) => (events.slice(i).find((e) => e.kind === 'jobStart') as any).jobId as number;

describe('cluster fault tolerance', () => {
  it('runs the job on both executors and gets the right answer', async () => {
    const from = events.length;
    expect(asKeys(await job(20).collect())).toEqual(expected);
    const used = new Set(since(from).filter((e) => e.kind === 'taskEnd' && e.ok).map((e: any) => e.executor));
    expect(used.size).toBe(2);
  }, 60_000);

  // 6 kills, 3 in the map stage and 3 in the reduce stage (it was 10, 5 of each: about 5 s a kill,
  // and a reduce-stage kill can wait out a 10 s fetch timeout, this file's largest cost).
  it('kill -9 of an executor mid-shuffle, 6 times (3 in the map stage, 3 in the reduce stage): every result identical', async () => {
    for (let run = 0; run < 6; run++) {
      const from = events.length;
      const inReduce = run % 2 === 1;
      const p = job().collect();
      // A replacement starts while the job runs (it joins mid-job, before or after the kill).
      const replacement = exec(`r${run}`);
      // Kill during the map stage (after some map tasks finished: their output is lost too), or
      // once the reduce stage has started (its inputs on the victim must be recomputed).
      await until(() => {
        const ev = since(from);
        return inReduce ? ev.some((e) => e.kind === 'taskStart' && e.stageId === 1) : ev.filter((e) => e.kind === 'taskEnd' && e.ok && e.stageId === 0).length >= 3;
      }, 60_000, 'the moment to kill');
      const victim = executors[run % 2];
      await victim.kill9();
      const result = await p;
      expect(asKeys(result), `run ${run}`).toEqual(expected);
      executors[run % 2] = await replacement;
      const ev = since(from);
      expect(ev.some((e) => e.kind === 'executorRemoved' && e.executor === victim.id)).toBe(true);
      if (inReduce) expect(ev.some((e) => e.kind === 'outputLost' && e.executor === victim.id)).toBe(true);
      // Every partition finished exactly once, whatever was re-run.
      const jobId = jobIdAt(from);
      const wins = ev.filter((e) => e.kind === 'taskEnd' && e.ok && !e.ignored && e.jobId === jobId && e.stageId === 1);
      expect(wins.length).toBeGreaterThanOrEqual(4);
      await until(() => q.session.runtime.workers === 2, 30_000, 'two executors again');
    }
  }, 400_000);

  it('uses an executor that joins while a job runs', async () => {
    // Map tasks wait at a gate: the first ones hold every slot, the rest are pending when the new executor joins.
    const gate = join(mkdtempSync(join(tmpdir(), 'quiver-gate-')), 'open');
    const from = events.length;
    const p = q.createDataFrame(rows, { partitions: 12 })
      .mapBatches({ module: SLOW, export: 'gated' }, { options: { gate } })
      .groupBy('k').agg(fn.sum('x').alias('s'), fn.count().alias('n')).collect();
    await until(() => since(from).some((e) => e.kind === 'taskStart'), 30_000);
    const late = await exec('late');
    executors.push(late);
    await until(() => since(from).some((e) => e.kind === 'taskStart' && e.executor === late.id), 30_000, 'a task on the new executor');
    writeFileSync(gate, 'open');
    expect(asKeys(await p)).toEqual(expected);
  }, 120_000);

  it('rides out a NATS server restart mid-job', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'quiver-gate-')), 'open');
    const from = events.length;
    const p = q.createDataFrame(rows, { partitions: 12 })
      .mapBatches({ module: SLOW, export: 'gated' }, { options: { gate } })
      .groupBy('k').agg(fn.sum('x').alias('s'), fn.count().alias('n')).collect();
    await until(() => since(from).filter((e) => e.kind === 'taskStart').length >= 4, 30_000, 'tasks running');
    await nats.restart();
    writeFileSync(gate, 'open');
    expect(asKeys(await p)).toEqual(expected);
    await until(() => q.session.runtime.workers >= 2, 30_000, 'executors back after the restart');
  }, 120_000);

  it('retries a failed task on another executor, and fails the job with the last error after 4 attempts', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'quiver-flaky-')), 'failed');
    const from = events.length;
    const df = q.createDataFrame(rows.slice(0, 100).map((r) => ({ x: r.x })), { partitions: 4 })
      .mapBatches({ module: FLAKY, export: 'failOnce' }, { options: { flaky: 42, marker } });
    expect((await df.collect()).numRows).toBe(100);
    const ends = since(from).filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd');
    const failed = ends.find((e) => !e.ok)!;
    const retried = ends.find((e) => e.ok && e.partition === failed.partition && e.attempt > failed.attempt)!;
    expect(failed.error).toMatch(/transient failure/);
    expect(retried.executor).not.toBe(failed.executor);

    const bad = q.createDataFrame([{ x: 1 }, { x: 2 }], { partitions: 1 }).mapBatches({ module: FLAKY, export: 'failOn' }, { options: { bad: 2 } });
    await expect(bad.collect()).rejects.toThrow(/task 0 failed 4 times; last error: .*row 2 is poisoned/);
  }, 60_000);

  it('ignores duplicate task results (each delivered twice): nothing counted twice', async () => {
    const spy = await connect({ servers: nats.url });
    let copies = 0;
    spy.subscribe(`quiver.${CLUSTER}.driver.*.result`, {
      callback: (_err, m) => { copies++; void spy.request(m.subject, m.data, { timeout: 2000 }).catch(() => {}); },
    });
    await spy.flush();
    const from = events.length;
    try {
      expect(asKeys(await job(0).collect())).toEqual(expected);
      await until(() => since(from).filter((e) => e.kind === 'taskEnd' && e.ignored === 'duplicate').length >= 16, 10_000, 'duplicates seen');
    } finally {
      await spy.close();
    }
    expect(copies).toBeGreaterThanOrEqual(16);
  }, 60_000);

  it('rejects malformed messages on every subject without crashing anyone', async () => {
    const nc = await connect({ servers: nats.url });
    const rt = q.session.runtime as ClusterRuntime;
    const junk = ['not json', '{"v":99,"kind":"task"}', JSON.stringify({ v: PROTOCOL_VERSION, kind: 'task', driverId: 'x' }), 'x'.repeat(2 * 1024 * 1024 - 4096)];
    for (const j of junk.slice(0, 3)) {
      for (const e of executors) nc.publish(subjects(CLUSTER).task(e.id), j);
      nc.publish(subjects(CLUSTER).result(rt.driverId), j);
      nc.publish(subjects(CLUSTER).driverNews, j);
      for (const e of executors) nc.publish(subjects(CLUSTER).announce(e.id), j);
    }
    await nc.flush();
    await nc.close();
    expect(asKeys(await job(0).collect())).toEqual(expected);
    await until(() => executors.some((e) => /rejected a task request/.test(e.output())), 10_000, 'an executor to log the rejection');
  }, 60_000);
});

describe('stragglers and speculation', () => {
  it('re-runs a straggler on another executor; the first result wins and the late one is ignored', async () => {
    const slow = await exec('straggler', { QUIVER_TEST_SLOW_MS: '4000' });
    const sq = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: executors.length + 1, speculation: { minMs: 300, quantile: 0.5 } });
    const ev: RuntimeEvent[] = [];
    sq.onEvent((e) => ev.push(e));
    try {
      const df = sq.createDataFrame(rows.map((r) => ({ x: r.x })), { partitions: 12 }).mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms: 50 } });
      expect((await df.count())).toBe(N);
      const specs = ev.filter((e) => e.kind === 'taskStart' && e.speculative);
      expect(specs.length).toBeGreaterThan(0);
      // The straggler's tasks were won by copies elsewhere.
      const wins = ev.filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.ok && !e.ignored);
      expect(wins.some((w) => specs.some((s) => s.kind === 'taskStart' && s.partition === w.partition && s.attempt === w.attempt && s.stageId === w.stageId))).toBe(true);
    } finally {
      await sq.close();
      await slow.kill9();
    }
  }, 120_000);
});
