// The driver's side of a cluster: a driver that dies leaves executors up and clean; locality; graceful decommission; photo tagging gives the tags of local mode.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import type { ClusterRuntime } from '../../core/cluster/cluster-runtime.ts';
import { FMNIST_DIR } from '../../examples/lib/fmnist.ts';
import { startExecutor, until, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const CLUSTER = 'drivers';
let nats: NatsServer;
let executors: ExecutorProcess[] = [];
const data = mkdtempSync(join(tmpdir(), 'quiver-locality-'));

beforeAll(async () => {
  nats = await startNats();
  for (const d of ['left', 'right']) {
    mkdirSync(join(data, d));
    for (let f = 0; f < 3; f++) writeFileSync(join(data, d, `part-${f}.txt`), Array.from({ length: 500 }, (_, i) => `${d} ${f} ${i}`).join('\n') + '\n');
  }
  executors = await Promise.all(['left', 'right'].map((d) => startExecutor({
    servers: nats.url, workers: 1, name: d, cluster: CLUSTER, driverTimeoutMs: 1500, heartbeatMs: 250, paths: [join(data, d)],
  })));
}, 120_000);
afterAll(async () => {
  await Promise.all(executors.map((e) => e.kill9()));
  await nats?.stop();
});

describe('cluster drivers', () => {
  it('a driver killed mid-job leaves executors up, and they drop its state', async () => {
    const driver = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../fixtures/cluster/driver.ts'), nats.url, CLUSTER], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    driver.stdout.on('data', (d) => { out += d; });
    driver.stderr.on('data', (d) => { out += d; });
    await until(() => out.includes('running'), 60_000, `the driver's job to run:\n${out}`);
    const held = await Promise.all(executors.map((e) => e.state()));
    expect(held.reduce((s, h) => s + h.drivers, 0)).toBeGreaterThan(0);
    driver.kill('SIGKILL');
    await until(async () => (await Promise.all(executors.map((e) => e.state()))).every((s) => s.drivers === 0 && s.outputs === 0 && s.running === 0), 30_000, 'executors to drop the dead driver');
    for (const e of executors) expect(e.output()).toMatch(/is gone \(silent for \d+ ms\)/);
    // Still up: a new driver runs a job on them.
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2 });
    try {
      expect(await q.createDataFrame([{ x: 1 }, { x: 2 }, { x: 3 }]).count()).toBe(3);
    } finally {
      await q.close();
    }
  }, 120_000);

  it("a driver stalled longer than the executors' driver timeout is taken back, and its job gives the right result", async () => {
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, heartbeatTimeoutMs: 2000, shufflePartitions: 3 });
    const ev: RuntimeEvent[] = [];
    let stalled = false;
    q.onEvent((e) => {
      ev.push(e);
      if (!stalled && e.kind === 'taskEnd' && e.ok && e.stageId === 0) {
        stalled = true;
        // The driver's event loop blocked (a long synchronous step) for twice the executors' 1.5 s driver timeout.
        const end = Date.now() + 3000;
        while (Date.now() < end) { /* blocked */ }
      }
    });
    const rows = Array.from({ length: 6000 }, (_, i) => ({ k: i % 7, x: i }));
    try {
      const got = await q.createDataFrame(rows, { partitions: 6 }).groupBy('k').agg(fn.count().alias('n'), fn.sum('x').alias('s')).orderBy('k').toArray();
      expect(stalled).toBe(true);
      expect(got.map((r) => [r.k, Number(r.n), Number(r.s)])).toEqual(Array.from({ length: 7 }, (_, k) => {
        const xs = rows.filter((r) => r.k === k).map((r) => r.x);
        return [k, xs.length, xs.reduce((a, b) => a + b, 0)];
      }));
      // The executors forgot it while it was silent, and took it back when it spoke again.
      await until(() => executors.every((e) => e.output().includes(`is back after`)), 10_000, 'executors to take the driver back');
      // Its own pause did not make it declare its executors lost.
      expect(ev.filter((e) => e.kind === 'executorRemoved')).toEqual([]);
    } finally {
      await q.close();
    }
  }, 60_000);

  it('sends a task that reads a file to an executor that declared its path, and says so in the event log', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'quiver-events-'));
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, eventLog: logDir, ui: 0, quiet: true });
    const ev: RuntimeEvent[] = [];
    q.onEvent((e) => ev.push(e));
    try {
      const n = await q.read.text([join(data, 'left/*.txt'), join(data, 'right/*.txt')]).filter(col('line').contains(' 1 ')).count();
      expect(n).toBe(6 * 500 / 3);
      // Executors' memory, sampled from their heartbeats.
      await until(() => ev.filter((e) => e.kind === 'executorMetrics').length >= 2, 10_000, 'memory samples of both executors');
      // The driver's web UI shows both executors, their tasks and memory.
      const { executors: shown } = await (await fetch(`${q.uiUrl}/api/apps/live/executors`)).json() as { executors: { name: string; status: string; succeeded: number; rssBytes: number | null }[] };
      // The count's last stage (merging two partial counts) ran on the driver, shown as its own row.
      expect(shown.filter((e) => e.status === 'active').map((e) => e.name).sort()).toEqual(['driver (small last stages)', 'left', 'right']);
      for (const e of shown.filter((x) => x.name !== 'driver (small last stages)')) expect(e.succeeded > 0 && (e.rssBytes ?? 0) > 0).toBe(true);
    } finally {
      await q.close();
    }
    // The job's plans right after its start; every successful task's output bytes and counters.
    const start = ev.findIndex((e) => e.kind === 'jobStart');
    expect(ev[start + 1]).toMatchObject({ kind: 'jobPlan', stages: [{ id: 0, name: expect.stringContaining('Scan') }, expect.anything()] });
    const oks = ev.filter((e) => e.kind === 'taskEnd' && e.ok);
    for (const e of oks) expect(e).toMatchObject({ bytes: expect.any(Number), metrics: expect.any(Object) });
    expect(ev.filter((e) => e.kind === 'executorMetrics').every((e) => e.kind === 'executorMetrics' && e.rssBytes > 0 && e.storeBytes !== undefined)).toBe(true);
    const { readFileSync } = await import('node:fs');
    const logged = readFileSync(q.eventLogFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const names = new Map(logged.filter((e) => e.kind === 'executorAdded').map((e) => [e.executor, e.name]));
    // Each executor names the GPU its tasks would use (here lavapipe, a software Vulkan device).
    for (const e of logged.filter((x) => x.kind === 'executorAdded')) expect(e.gpu).toMatch(/llvmpipe.*\(software\)$/);
    const scans = logged.filter((e) => e.kind === 'taskStart' && e.stageId === 0);
    expect(scans.length).toBe(6);
    for (const s of scans) {
      expect(s.locality).toMatch(/^local: .* is under /);
      const dir = /(left|right)\//.exec(s.locality)![1];
      // The executor named after the directory is the one that declared it.
      expect(names.get(s.executor)).toBe(dir);
    }
  }, 60_000);

  it('a decommissioned executor finishes its running tasks and gets no new ones', async () => {
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2 });
    const ev: RuntimeEvent[] = [];
    q.onEvent((e) => ev.push(e));
    const rt = q.session.runtime as ClusterRuntime;
    try {
      const slow = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
      const p = q.createDataFrame(Array.from({ length: 1200 }, (_, i) => ({ x: i })), { partitions: 12 })
        .mapBatches({ module: slow, export: 'sleepy' }, { options: { ms: 200 } }).count();
      await until(() => ev.some((e) => e.kind === 'taskStart' && e.executor === executors[0].id), 30_000);
      await rt.decommission(executors[0].id, 'test');
      const mark = ev.length;
      expect(await p).toBe(1200);
      expect(ev.slice(mark).some((e) => e.kind === 'taskStart' && e.executor === executors[0].id)).toBe(false);
      expect(rt.alive().map((e) => e.id)).toEqual([executors[1].id]);
    } finally {
      await q.close();
    }
  }, 60_000);
});

describe('photo tagging in cluster mode', () => {
  it('gives the same tags as local mode', async () => {
    const images = join(FMNIST_DIR, 't10k-images-idx3-ubyte.gz');
    const model = resolve(import.meta.dirname, '../../models/fmnist-mlp');
    const tag = async (q: Quiver) => (await q.read.idx(images).predict(q.model(model), { device: 'cpu' }).select('label', 'score').collect());
    const local = await Quiver.local({ workers: 2 });
    const want = await tag(local).finally(() => local.close());
    // The only executor that may read the images and the model (executors read nothing outside --paths).
    const fresh = await startExecutor({ servers: nats.url, workers: 1, name: 'tagger', cluster: CLUSTER, paths: [FMNIST_DIR, dirname(model)] });
    executors.push(fresh);
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2 });
    try {
      const got = await tag(q);
      expect(got.numRows).toBe(10_000);
      expect(got.getChild('label')!.toArray()).toEqual(want.getChild('label')!.toArray());
      expect(Array.from(got.getChild('score')!.toArray() as Float32Array)).toEqual(Array.from(want.getChild('score')!.toArray() as Float32Array));
    } finally {
      await q.close();
    }
  }, 120_000);
});

describe('ONNX photo tagging in cluster mode', () => {
  it('the CNN on onnxruntime, pipelined through each executor\'s inference thread, gives the tags of local mode', async () => {
    const images = join(FMNIST_DIR, 't10k-images-idx3-ubyte.gz');
    const model = resolve(import.meta.dirname, '../../models/fmnist-cnn');
    const tag = async (q: Quiver) => (await q.read.idx(images).limit(2000).predict(q.model(model), { backend: 'onnxruntime', topK: 2 }).select('label', 'topIds').collect());
    const local = await Quiver.local({ workers: 2 });
    const want = await tag(local).finally(() => local.close());
    const fresh = await startExecutor({ servers: nats.url, workers: 2, name: 'cnn-tagger', cluster: CLUSTER, paths: [FMNIST_DIR, dirname(model)] });
    executors.push(fresh);
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2 });
    try {
      const got = await tag(q);
      expect(got.numRows).toBe(2000);
      expect(got.getChild('label')!.toArray()).toEqual(want.getChild('label')!.toArray());
      expect(q.session.lastJob!.counters.predictPipelinedRows).toBe(2000);
    } finally {
      await q.close();
    }
  }, 120_000);
});

describe('broadcast joins in cluster mode', () => {
  it('fetch the small side once per executor, however many tasks probe it', async () => {
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2 });
    try {
      const big = q.createDataFrame(Array.from({ length: 4000 }, (_, i) => ({ k: i % 50, v: i })), { partitions: 16 });
      const small = q.createDataFrame(Array.from({ length: 50 }, (_, k) => ({ k, name: `n${k}` })), { partitions: 1 });
      const joined = big.join(small, 'k');
      expect(await joined.explain()).toMatch(/broadcast/i);
      expect(await joined.count()).toBe(4000);
      const executors = q.session.runtime.workers;
      expect(q.session.lastJob!.counters.broadcastFetches).toBeGreaterThan(0);
      expect(q.session.lastJob!.counters.broadcastFetches).toBeLessThanOrEqual(executors);
    } finally {
      await q.close();
    }
  }, 60_000);
});

describe('a file no executor may read', () => {
  it('fails the job saying which file and what each executor declared', async () => {
    // Outside the temp directory, which the helper's executors declare.
    const elsewhere = mkdtempSync('/var/tmp/quiver-undeclared-');
    writeFileSync(join(elsewhere, 'x.txt'), 'a\nb\n');
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, executorWaitMs: 1000, quiet: true, ui: false });
    try {
      await expect(q.read.text(join(elsewhere, 'x.txt')).count())
        .rejects.toThrow(/no executor can read .*x\.txt: executors read only under the directories they were started with \(quiver executor --paths DIR\), and for 1000 ms none alive declared one holding it \(.*(left|right)-[0-9a-f]{8}: \/.*\)/);
    } finally {
      await q.close();
    }
  }, 30_000);
});

describe('a cluster without executors', () => {
  it('Quiver.connect says how to start executors when none join in time', async () => {
    await expect(Quiver.connect({ servers: nats.url, cluster: 'empty', executorWaitMs: 500 }))
      .rejects.toThrow(/waited 500 ms for 1 executor and 0 joined; start them with `quiver executor --servers nats:\/\/127\.0\.0\.1:\d+` --cluster empty/);
  });

  it('a job fails with a clear error after executorWaitMs with no executor alive', async () => {
    const q = await Quiver.connect({ servers: nats.url, cluster: 'empty', minExecutors: 0, executorWaitMs: 800 });
    try {
      await expect(q.createDataFrame([{ x: 1 }]).count()).rejects.toThrow(/no executor was alive for 800 ms to run stage 0 task 0/);
    } finally {
      await q.close();
    }
  });
});
