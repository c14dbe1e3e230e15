// kill -9 of a permissive streaming driver mid-stream, 3,000 malformed messages among 30,000 good ones (10,000 among 1,000,000: bench/stream-badinput.ts): after the restart from its checkpoint every good message is in the Parquet output once and every bad one on the dead-letter subject once, with its reason.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { until } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';
import { expectLetters, publishMixed, readDeadLetters } from './bad-messages.ts';

const DRIVER = resolve(import.meta.dirname, '../fixtures/stream/dead-letter-driver.ts');

let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let q: Quiver;
const dir = tempDir('stream-dead-kill');
const drivers: ChildProcess[] = [];

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  q = await Quiver.local({ workers: 1, quiet: true });
});
afterAll(async () => {
  for (const d of drivers) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  await q?.close();
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

function startDriver(args: Record<string, string | number>) {
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

describe('a permissive streaming driver killed with SIGKILL and restarted from its checkpoint', () => {
  it('counts every good message once and dead-letters every bad one once, with its reason', async () => {
    await jsm.streams.add({ name: 'MIXED', subjects: ['mixed.>'] });
    await jsm.streams.add({ name: 'MIXEDDEAD', subjects: ['mixeddead.>'] });
    const { good, bad, lastSeq } = await publishMixed(nc, jsm, 'mixed.in', 33_000, 11);
    expect(bad.size).toBe(3_000);
    const args = {
      servers: nats.url, stream: 'MIXED', durable: 'counter', deadLetter: 'mixeddead.in', maxMessagesPerBatch: 6_000,
      checkpoint: join(dir.path, 'ckpt'), out: join(dir.path, 'out'),
    };
    const first = startDriver(args);
    await until(() => first.committedSeq() > 0, 60_000, () => `a first committed batch:\n${first.output()}`);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(first.committedSeq()).toBeLessThan(lastSeq);

    const second = startDriver(args);
    await until(() => second.committedSeq() >= lastSeq, 60_000, () => `the restarted driver to reach seq ${lastSeq}:\n${second.output()}`);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const ids = (await q.read.parquet(args.out).select('id').toArray()).map((r) => Number(r.id)).sort((a, b) => a - b);
    expect(ids.length).toBe(good.length);
    expect(ids).toEqual(good);
    const letters = await readDeadLetters(nc, jsm, 'MIXEDDEAD');
    expectLetters(letters, bad);
    expect(letters.every((l) => l.subject === 'mixed.in' && l.msgId === `quiver-dead-letter/MIXED/counter/${l.seq}`)).toBe(true);
    const info = await jsm.consumers.info('MIXED', 'counter');
    expect(info.ack_floor.stream_seq).toBe(lastSeq);
  }, 180_000);
});
