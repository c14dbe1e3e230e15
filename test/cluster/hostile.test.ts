// A hostile client on a real cluster while real jobs run: it holds the token (or an executor's own user) but is not the driver; nothing it sends runs code, reads files, forges results or stalls the job.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import type { ClusterRuntime } from '../../core/cluster/cluster-runtime.ts';
import { serveBlobs } from '../../core/cluster/chunks.ts';
import { natsUsersConfig } from '../../core/cluster/nats-config.ts';
import { PROTOCOL_VERSION, subjects } from '../../core/cluster/protocol.ts';
import { driverIdOf, sha256 } from '../../core/cluster/task-host.ts';
import { FIXTURES, startExecutor, until, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const TOKEN = 'hostile-test-token';
const secret = () => randomBytes(32).toString('hex');

// Access logs under a data directory the executors declare, and the counts a top-paths job must give.
const root = mkdtempSync(join(tmpdir(), 'quiver-hostile-'));
const data = join(root, 'data');
mkdirSync(data);
const expected = new Map<string, number>();
for (let f = 0; f < 6; f++) {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const path = `/p${(i * 7 + f) % 23}`;
    lines.push(`10.0.0.${i % 250} - - GET ${path} 200`);
    expected.set(path, (expected.get(path) ?? 0) + 1);
  }
  writeFileSync(join(data, `access-${f}.log`), `${lines.join('\n')}\n`);
}

async function topPaths(q: Quiver): Promise<Map<string, number>> {
  const t = await q.read.text(join(data, '*.log')).select(col('line').split(' ').at(4).alias('path'))
    .groupBy('path').agg(fn.count().alias('hits')).toArray();
  return new Map(t.map((r) => [r.path as string, Number(r.hits)]));
}

/** A one-stage plan (JSON as a driver ships it) whose task runs `root`. */
function stageOf(root: unknown, fields = [{ name: 'x', type: 'int64', nullable: true }]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ id: 0, root, partitions: 1, output: { kind: 'result' }, parents: [], fields }));
}

const values = { op: 'values', id: 't0', partitions: 1, fields: [{ name: 'x', type: 'int64', nullable: true }] };
const udf = (module: string) => ({ op: 'mapBatches', udf: { module, export: 'default' }, fields: values.fields, options: {}, child: values });

/**
 * Plays a driver that is not one: serves plans on its own driver subject, sends them to every
 * executor, and collects what the executors report.
 */
async function impostor(nc: NatsConnection, cluster: string, executorIds: string[], plans: Record<string, Uint8Array>, lie: Record<string, string> = {}, inline: Record<string, string> = {}) {
  const s = subjects(cluster);
  const driverId = driverIdOf(secret());
  const results: { ok: boolean; code?: string; message?: string; stageKey: string }[] = [];
  const keys = Object.keys(plans);
  const sub = nc.subscribe(s.result(driverId), {
    callback: (_e, m) => {
      const r = m.json<{ ok: boolean; error?: { code: string; message: string }; stageId: number; partition: number }>();
      results.push({ ok: r.ok, code: r.error?.code, message: r.error?.message, stageKey: keys[r.stageId] });
      m.respond('ok');
    },
  });
  const served = serveBlobs(nc, s.driverBlocks(driverId), (id) => {
    const key = id.replace(/^stage\//, '');
    return plans[key] && lie[key] ? new TextEncoder().encode(lie[key]) : plans[key];
  });
  const acks: unknown[] = [];
  for (const [stageId, key] of keys.entries()) {
    for (const e of executorIds) {
      const req = {
        v: PROTOCOL_VERSION, kind: 'task', driverId, jobId: 0, stageId, stageKey: key, stageSha256: sha256(plans[key]), secret: secret(), jobHash: sha256(secret()),
        partition: 0, attempt: 0, memoryBudget: 1 << 26, batchSize: 1024, shuffle: {}, broadcast: {}, resources: [], resourceSha256: {},
        ...(inline[key] !== undefined ? { stageJson: inline[key] } : {}),
      };
      acks.push(await nc.request(s.task(e), JSON.stringify(req), { timeout: 5000 }).then((m) => m.json(), (err) => String(err)));
    }
  }
  await until(() => results.length === keys.length * executorIds.length, 30_000, 'every executor to report every impostor task');
  sub.unsubscribe();
  served.unsubscribe();
  return { results, acks, driverId };
}

describe('a hostile token holder on a cluster (one shared token)', () => {
  const CLUSTER = 'hostile';
  let nats: NatsServer;
  let executors: ExecutorProcess[] = [];
  let q: Quiver;
  let hostile: NatsConnection;
  beforeAll(async () => {
    nats = await startNats({ token: TOKEN });
    executors = await Promise.all(['h1', 'h2'].map((name) => startExecutor({ servers: nats.url, token: TOKEN, workers: 1, name, cluster: CLUSTER, paths: [data], udfPaths: [FIXTURES], heartbeatMs: 250 })));
    q = await Quiver.connect({ servers: nats.url, token: TOKEN, cluster: CLUSTER, minExecutors: 2, quiet: true, ui: false });
    hostile = await connect({ servers: nats.url, token: TOKEN, name: 'hostile' });
  }, 120_000);
  afterAll(async () => {
    await hostile?.close();
    await q?.close();
    await Promise.all(executors.map((e) => e.kill9()));
    await nats?.stop();
  });

  it('cannot make an executor run code, read a file it did not declare, or run a plan the driver did not send; a real job meanwhile is exact', async () => {
    const marker = join(root, 'pwned');
    const evil = join(root, 'evil.mjs'); // outside every --udf-path
    writeFileSync(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'file');\nexport default (b) => b;\n`);
    const dataUrl = `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'data'); export default (b) => b;`)}`;
    const passwd = { op: 'scan', format: 'text', splits: [{ path: '/etc/passwd', start: 0, end: statSync('/etc/passwd').size, firstLine: 1 }], options: {},
      fileSchema: [{ name: 'line', type: 'utf8', nullable: false }], projection: null, filters: [], limit: null };
    const plans: Record<string, Uint8Array> = {
      dataUrl: stageOf(udf(dataUrl)),
      httpUrl: stageOf(udf('http://127.0.0.1:1/evil.mjs')),
      builtin: stageOf(udf('node:child_process')),
      bareBuiltin: stageOf(udf('child_process')),
      absolute: stageOf(udf(evil)),
      escape: stageOf(udf(join(FIXTURES, '..', '..', 'root', 'evil.mjs'))),
      passwd: stageOf(passwd, passwd.fileSchema),
      quarantine: stageOf({ ...passwd, splits: [{ path: join(data, 'access-0.log'), start: 0, end: 10, firstLine: 1 }], options: { mode: 'permissive', badRecordsPath: '/etc/cron.d' } }, passwd.fileSchema),
      unknownOp: stageOf({ op: 'shell', command: 'id' }),
      swapped: stageOf(values),
      // The plan inside the task request: checked against its digest, then by the same policy.
      inlineSwapped: stageOf(values),
      inlineDataUrl: stageOf(udf(dataUrl)),
    };
    const job = topPaths(q);
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const { results, acks } = await impostor(hostile, CLUSTER, executors.map((e) => e.id), plans, { swapped: text(stageOf(udf(dataUrl))) },
      { inlineSwapped: text(stageOf(udf(dataUrl))), inlineDataUrl: text(plans.inlineDataUrl!) });
    expect(await job).toEqual(expected);
    expect(acks.every((a) => (a as { ok: boolean }).ok)).toBe(true);
    const by = (key: string) => results.filter((r) => r.stageKey === key);
    for (const r of results) expect(r.ok).toBe(false);
    for (const r of by('inlineSwapped')) expect(r.message).toMatch(/the stage plan in the task request for inlineSwapped does not hash to its stageSha256/);
    expect(by('inlineSwapped')).toHaveLength(2);
    for (const key of ['dataUrl', 'httpUrl', 'builtin', 'bareBuiltin', 'absolute', 'escape', 'inlineDataUrl']) {
      expect(by(key), key).toHaveLength(2);
      for (const r of by(key)) expect(r).toMatchObject({ code: 'PLAN_ERROR', message: expect.stringMatching(/refuses to import the mapBatches module/) });
    }
    for (const r of by('dataUrl')) expect(r.message).toMatch(/neither an installed package name nor an absolute path/);
    for (const r of by('builtin')) expect(r.message).toMatch(/neither an installed package|built-in/);
    for (const r of by('bareBuiltin')) expect(r.message).toMatch(/Node\.js built-in module/);
    for (const r of by('absolute')) expect(r.message).toMatch(/reads only under|--udf-path/);
    for (const r of by('passwd')) expect(r).toMatchObject({ code: 'PLAN_ERROR', message: expect.stringMatching(/refuses to read '\/etc\/passwd': it reads only under .*\(--paths\)/) });
    for (const r of by('quarantine')) expect(r.message).toMatch(/refuses to write bad records under '\/etc\/cron\.d'/);
    for (const r of by('unknownOp')) expect(r.message).toMatch(/refused the stage plan .*invalid stage plan/);
    for (const r of by('swapped')) expect(r.message).toMatch(/is not the one driver .* sent \(SHA-256 mismatch\)/);
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('cannot forge results, a goodbye or a job end for the driver: the job stays exact and the driver keeps working', async () => {
    const rt = q.session.runtime as ClusterRuntime;
    const s = subjects(CLUSTER);
    // Results in every executor's name for every task of the next jobs, each "ok with 0 rows", without the attempts' secrets.
    let forging = true;
    const forge = (async () => {
      while (forging) {
        for (const e of executors) {
          for (let jobId = 0; jobId < 8; jobId++) {
            for (let stageId = 0; stageId < 2; stageId++) {
              for (let partition = 0; partition < 8; partition++) {
                const msg = { v: PROTOCOL_VERSION, kind: 'result', executorId: e.id, secret: secret(), jobId, stageId, partition, attempt: 0, ok: true, rows: 0, durationMs: 1, metrics: {}, outputRows: [0, 0, 0, 0] };
                hostile.publish(s.result(rt.driverId), JSON.stringify(msg));
              }
            }
          }
        }
        await hostile.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      for (let i = 0; i < 2; i++) expect(await topPaths(q)).toEqual(expected);
    } finally {
      forging = false;
      await forge;
    }
    expect(rt.rejectedResults).toBeGreaterThan(0);
    // A goodbye and job ends in the driver's name: executors keep serving it.
    hostile.publish(s.driverNews, JSON.stringify({ v: PROTOCOL_VERSION, kind: 'bye', driverId: rt.driverId, secret: secret() }));
    for (let jobId = 0; jobId < 8; jobId++) hostile.publish(s.driverNews, JSON.stringify({ v: PROTOCOL_VERSION, kind: 'jobDone', driverId: rt.driverId, jobId, secret: secret() }));
    await hostile.flush();
    await until(() => executors.every((e) => /ignored a goodbye for driver/.test(e.output())), 10_000, 'executors to ignore the forged goodbye');
    expect(await topPaths(q)).toEqual(expected);
  }, 120_000);
});

describe('least privilege: a user per role (quiver nats-config)', () => {
  const CLUSTER = 'lp';
  const users = natsUsersConfig(CLUSTER, ['driver'], ['e1', 'e2', 'e3']);
  let nats: NatsServer;
  let executors: ExecutorProcess[] = [];
  let q: Quiver;
  beforeAll(async () => {
    nats = await startNats({ config: users.config });
    executors = await Promise.all(['e1', 'e2'].map((name) => startExecutor({ servers: nats.url, user: name, pass: users.passwords[name], workers: 1, name, cluster: CLUSTER, paths: [data], heartbeatMs: 250 })));
    q = await Quiver.connect({ servers: nats.url, user: 'driver', pass: users.passwords.driver, cluster: CLUSTER, minExecutors: 2, quiet: true, ui: false, taskTimeout: { minMs: 800 } });
  }, 120_000);
  afterAll(async () => {
    await q?.close();
    await Promise.all(executors.map((e) => e.kill9()));
    await nats?.stop();
  });

  it('runs jobs with each role confined to its subjects', async () => {
    expect(await topPaths(q)).toEqual(expected);
  }, 60_000);

  it("an executor's user cannot read another's tasks, send tasks, or announce in another's name", async () => {
    const s = subjects(CLUSTER);
    const e3 = await connect({ servers: nats.url, user: 'e3', pass: users.passwords.e3, inboxPrefix: `_INBOX.quiver.${CLUSTER}.exec.e3` });
    const errors: string[] = [];
    void (async () => { for await (const st of e3.status()) if (st.type === 'error') errors.push(String((st as { error?: unknown }).error)); })();
    const removed: string[] = [];
    const off = q.onEvent((e) => { if (e.kind === 'executorRemoved') removed.push(`${e.executor}: ${e.reason}`); });
    try {
      let sniffed = 0;
      let refused = '';
      e3.subscribe(s.task(executors[0].id), { callback: (err) => { if (err) refused = err.message; else sniffed++; } });
      // Send a task to e1 (refused by the server: only drivers send tasks), and announce as e1.
      await expect(e3.request(s.task(executors[0].id), '{}', { timeout: 1000 })).rejects.toThrow();
      e3.publish(s.announce(executors[0].id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'leave', executorId: executors[0].id, reason: 'forged' }));
      await e3.flush();
      expect(await topPaths(q)).toEqual(expected);
      expect(sniffed).toBe(0);
      expect(refused).toMatch(/[Pp]ermissions? [Vv]iolation/);
      await until(() => errors.some((e) => /publish/i.test(e)), 5000, 'a publish permission violation');
      // The forged goodbye removed no one. (On a loaded machine this session's short task timeout
      // may exclude a slow executor: that is not the forgery's doing, so only its reason is checked.)
      expect(removed.filter((r) => /forged/.test(r))).toEqual([]);
    } finally {
      off();
      await e3.close();
    }
  }, 60_000);

  it('an executor that takes tasks and never reports is timed out, its tasks re-run elsewhere, and then it is excluded; the job is exact', async () => {
    const s = subjects(CLUSTER);
    const e3 = await connect({ servers: nats.url, user: 'e3', pass: users.passwords.e3, inboxPrefix: `_INBOX.quiver.${CLUSTER}.exec.e3` });
    const id = `e3-${randomBytes(4).toString('hex')}`;
    let taken = 0;
    e3.subscribe(s.task(id), { callback: (_e, m) => { taken++; m.respond(JSON.stringify({ ok: true })); } });
    // It claims 1024 worker slots and the data directory, and heartbeats on: only its silence gives it away.
    const register = { v: PROTOCOL_VERSION, kind: 'register', executorId: id, name: 'e3', host: 'h', pid: 1, workers: 1024, gpu: null, paths: [data] };
    e3.publish(s.announce(id), JSON.stringify(register));
    const beat = setInterval(() => e3.publish(s.announce(id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'heartbeat', executorId: id, running: 0, rssBytes: 1, draining: false })), 200);
    const rt = q.session.runtime as ClusterRuntime;
    const ev: RuntimeEvent[] = [];
    const off = q.onEvent((e) => ev.push(e));
    try {
      await until(() => rt.alive().some((e) => e.id === id), 10_000, 'the silent executor to join');
      expect(rt.alive().find((e) => e.id === id)!.workers).toBe(64);
      for (let i = 0; i < 3 && !ev.some((e) => e.kind === 'executorRemoved' && e.executor === id); i++) {
        const t0 = Date.now();
        expect(await topPaths(q)).toEqual(expected);
        expect(Date.now() - t0).toBeLessThan(30_000);
      }
      expect(taken).toBeGreaterThan(0);
      expect(ev.filter((e) => e.kind === 'taskEnd' && e.executor === id && !e.ok).map((e) => (e as { error?: string }).error)).toContainEqual(expect.stringMatching(/reported nothing for \d+ ms/));
      expect(ev.find((e) => e.kind === 'executorRemoved' && e.executor === id)).toMatchObject({ reason: expect.stringMatching(/^excluded: /) });
      expect(rt.alive().map((e) => e.id)).not.toContain(id);
    } finally {
      off();
      clearInterval(beat);
      await e3.close();
    }
  }, 120_000);
});

describe('an executor stops a task that spins', () => {
  it('fails the job with the watchdog error (not retried), and the executor keeps working', async () => {
    const CLUSTER = 'spin';
    const nats = await startNats();
    const ex = await startExecutor({ servers: nats.url, workers: 1, name: 'spinner', cluster: CLUSTER, paths: [data], taskStallMs: 1500 });
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, quiet: true, ui: false });
    const ev: RuntimeEvent[] = [];
    q.onEvent((e) => ev.push(e));
    try {
      const spin = q.read.text(join(data, 'access-0.log')).mapBatches({ module: join(FIXTURES, 'udf/stall.ts'), export: 'spinForever' });
      await expect(spin.collect()).rejects.toThrow(/made no progress for \d+\.\d s while reading .*access-0\.log, so its worker thread was stopped \(taskStallMs is 1500 ms\)/);
      expect(ev.filter((e) => e.kind === 'taskStart')).toHaveLength(1);
      expect(await topPaths(q)).toEqual(expected);
    } finally {
      await q.close();
      await ex.kill9();
      await nats.stop();
    }
  }, 60_000);
});

describe('a silent executor holding the first task of a fresh session', () => {
  it('gets a copy of that task on another executor once it has been out too long; then the session learns and excludes it', async () => {
    const CLUSTER = 'silent';
    const nats = await startNats();
    const nc = await connect({ servers: nats.url });
    const s = subjects(CLUSTER);
    const id = `mute-${randomBytes(4).toString('hex')}`;
    let taken = 0;
    nc.subscribe(s.task(id), { callback: (_e, m) => { taken++; m.respond(JSON.stringify({ ok: true })); } });
    const announce = () => nc.publish(s.announce(id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'register', executorId: id, name: 'mute', host: 'h', pid: 1, workers: 2, gpu: null, paths: [] }));
    nc.subscribe(s.hello, { callback: announce });
    announce();
    const beat = setInterval(() => nc.publish(s.announce(id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'heartbeat', executorId: id, running: 0, rssBytes: 1, draining: false })), 200);
    // Only the silent executor is there when the job starts: its one task goes there.
    const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, quiet: true, ui: false, taskTimeout: { minMs: 300, copyAfterMs: 1500 } });
    let real: ExecutorProcess | null = null;
    const ev: RuntimeEvent[] = [];
    q.onEvent((e) => ev.push(e));
    try {
      const one = q.createDataFrame([{ x: 1 }, { x: 2 }], { partitions: 1 }).count();
      await until(() => taken === 1, 10_000, 'the silent executor to take the task');
      real = await startExecutor({ servers: nats.url, workers: 1, name: 'real', cluster: CLUSTER });
      expect(await one).toBe(2);
      expect(ev.some((e) => e.kind === 'taskStart' && e.speculative && /^copy: attempt 0 on mute-/.test(e.locality ?? ''))).toBe(true);
      // The next jobs time it out from what the session has learned, and exclude it.
      for (let i = 0; i < 4 && !ev.some((e) => e.kind === 'executorRemoved' && e.executor === id); i++) {
        expect(await q.createDataFrame(Array.from({ length: 100 }, (_, x) => ({ x })), { partitions: 4 }).count()).toBe(100);
      }
      expect(ev.find((e) => e.kind === 'executorRemoved' && e.executor === id)).toMatchObject({ reason: expect.stringMatching(/^excluded: /) });
    } finally {
      clearInterval(beat);
      await q.close();
      await real?.kill9();
      await nc.close();
      await nats.stop();
    }
  }, 90_000);
});
