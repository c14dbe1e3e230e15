// kill -9 of a streaming driver process mid-stream, restarted from its checkpoint: the Parquet sink's windowed counts equal DuckDB's batch count over the same events, none lost or counted twice.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';
import { duckRows, expectSameRows } from '../sql/compare.ts';

const DRIVER = resolve(import.meta.dirname, '../fixtures/stream/windowed-count-driver.ts');
const T0 = Date.UTC(2024, 0, 1);
/** Far past every event: two of these (in two batches) move the watermark past every window of the real events. */
const FLUSH_MS = T0 + 3600_000;

let nats: NatsServer;
let nc: NatsConnection;
let duck: DuckDBConnection;
const dir = tempDir('stream-kill');
const drivers: ChildProcess[] = [];

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  for (const d of drivers) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

interface Driver {
  proc: ChildProcess;
  output(): string;
  /** The end sequence of the last batch it printed as committed (0: none yet). */
  committedSeq(): number;
  exited: Promise<number | null>;
}

function startDriver(args: Record<string, string>): Driver {
  const proc = spawn(process.execPath, ['--import', 'tsx', DRIVER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  drivers.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc, exited, output: () => out,
    committedSeq: () => Math.max(0, ...[...out.matchAll(/^batch \d+ end (\d+)$/gm)].map((m) => Number(m[1]))),
  };
}

describe('a streaming driver killed with SIGKILL and restarted from its checkpoint', () => {
  it('writes the same windowed counts as a batch computation over every event: none lost, none counted twice', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
    const js = jetstream(nc);
    const events: { ms: number; k: string }[] = [];
    let lastSeq = 0;
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        // In event-time order, 100 ms apart: no event is late for the 5 s watermark delay.
        const e = { ms: T0 + i * 100, k: `k${(i * 7) % 10}` };
        events.push(e);
        lastSeq = (await js.publish('events.in', JSON.stringify({ ts: new Date(e.ms).toISOString(), k: e.k }))).seq;
      }
    };
    const flush = async () => {
      lastSeq = (await js.publish('events.in', JSON.stringify({ ts: new Date(FLUSH_MS).toISOString(), k: 'flush' }))).seq;
    };
    const args = { servers: nats.url, stream: 'EVENTS', durable: 'counter', checkpoint: join(dir.path, 'ckpt'), out: join(dir.path, 'out') };

    await publish(0, 400);
    const first = startDriver(args);
    await until(() => first.committedSeq() > 0, 60_000, () => `a first committed batch:\n${first.output()}`);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // Killed mid-stream: batches of at most 100 messages, so most of the 400 were not committed yet.
    const killedAt = first.committedSeq();
    expect(killedAt).toBeLessThan(lastSeq);

    const second = startDriver(args);
    await publish(400, 800);
    await flush();
    await until(() => second.committedSeq() >= lastSeq, 60_000, () => `the restarted driver to reach seq ${lastSeq}:\n${second.output()}`);
    await flush();
    await until(() => second.committedSeq() >= lastSeq, 10_000, () => `the last flush event:\n${second.output()}`);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    writeFileSync(join(dir.path, 'events.json'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const want = await duckRows(duck, `SELECT (ms // 10000) * 10000, k, count(*) FROM read_json('${join(dir.path, 'events.json')}', columns = {ms: 'BIGINT', k: 'VARCHAR'}) GROUP BY ALL`);
    const got = await duckRows(duck, `SELECT epoch_ms(window_start), k, count FROM read_parquet('${join(args.out, '*.parquet')}')`);
    expect(want.rows.length).toBe(80); // 80 s of events: 8 windows of 10 s, 10 keys in each
    expectSameRows(got.rows, want.rows, false);
  }, 180_000);
});
