// Cluster membership over a real nats-server: executors join, heartbeat, leave or get lost; bad messages and peers are refused.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor } from '../../core/cluster/executor.ts';
import { Membership, type MembershipEvent } from '../../core/cluster/membership.ts';
import { decodeControl, MAX_CONTROL_BYTES, PROTOCOL_VERSION, subjects } from '../../core/cluster/protocol.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const TOKEN = 's3cret-token';
const until = async (f: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('cluster membership', () => {
  let nats: NatsServer;
  let driver: NatsConnection;
  let members: Membership;
  const events: MembershipEvent[] = [];
  beforeAll(async () => {
    nats = await startNats({ token: TOKEN });
    driver = await connect({ servers: nats.url, token: TOKEN });
    members = new Membership(driver, { cluster: 't', timeoutMs: 1500, onEvent: (e) => events.push(e) });
  });
  afterAll(async () => { members?.close(); await driver?.close(); await nats?.stop(); });

  it('sees executors join, keeps them alive by heartbeats, and removes one that leaves gracefully', async () => {
    const a = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-a', workers: 3, heartbeatMs: 100 });
    const b = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-b', workers: 1, heartbeatMs: 100 });
    await until(() => members.executors().length === 2);
    expect(members.executors().map((e) => [e.name, e.workers]).sort()).toEqual([['exec-a', 3], ['exec-b', 1]]);
    await new Promise((r) => setTimeout(r, 2000)); // longer than the timeout: heartbeats keep them
    expect(members.executors()).toHaveLength(2);
    await a.stop('decommissioned');
    await until(() => members.executors().length === 1);
    expect(events).toContainEqual({ kind: 'left', id: a.id, reason: 'decommissioned' });
    await b.stop();
    await until(() => members.executors().length === 0);
  });

  it('declares an executor that stops sending heartbeats lost', async () => {
    const c = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-c', heartbeatMs: 100 });
    await until(() => members.executors().some((e) => e.id === c.id));
    await c.kill();
    await until(() => events.some((e) => e.kind === 'lost' && e.id === c.id), 6000);
    expect(members.executors().some((e) => e.id === c.id)).toBe(false);
  });

  it('a probe finds a dead executor at once, and leaves a live one alone', async () => {
    const alive = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-p', heartbeatMs: 100 });
    const dead = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-q', heartbeatMs: 100 });
    await until(() => members.executors().length === 2);
    await dead.kill();
    expect(await members.probe(dead.id)).toBe(false);
    expect(events.find((e) => e.kind === 'lost' && e.id === dead.id)).toMatchObject({ why: expect.stringMatching(/did not answer a probe/) });
    expect(await members.probe(alive.id)).toBe(true);
    expect(members.executors().map((e) => e.id)).toEqual([alive.id]);
    await alive.stop();
    await until(() => members.executors().length === 0);
  });

  it('rejects malformed, oversized, unknown-version and invalid messages without crashing', async () => {
    const s = subjects('t');
    const before = members.rejected;
    const at = s.announce('x-00000000');
    driver.publish(at, 'not json {');
    driver.publish(at, new Uint8Array(MAX_CONTROL_BYTES + 1));
    driver.publish(at, JSON.stringify({ v: 99, kind: 'heartbeat', executorId: 'x' }));
    driver.publish(at, JSON.stringify({ v: PROTOCOL_VERSION, kind: 'register', executorId: 'bad id with spaces', name: 'n', host: 'h', pid: 1, workers: 1, gpu: null, paths: [] }));
    // A well-formed registration in another executor's name (on x's subject) and one claiming the whole file system.
    driver.publish(at, JSON.stringify({ v: PROTOCOL_VERSION, kind: 'register', executorId: 'y-00000000', name: 'n', host: 'h', pid: 1, workers: 1, gpu: null, paths: [] }));
    driver.publish(at, JSON.stringify({ v: PROTOCOL_VERSION, kind: 'register', executorId: 'x-00000000', name: 'n', host: 'h', pid: 1, workers: 1, gpu: null, paths: ['/'] }));
    await until(() => members.rejected === before + 6);
    const reasons = events.filter((e) => e.kind === 'rejected').map((e) => (e as { reason: string }).reason).slice(-6);
    expect(reasons[0]).toMatch(/not UTF-8 JSON/);
    expect(reasons[1]).toMatch(/oversized: 65537 bytes/);
    expect(reasons[2]).toMatch(new RegExp(`protocol version 99, this process speaks ${PROTOCOL_VERSION}`));
    expect(reasons[3]).toMatch(/executorId: executor ids are a name of 1-40 characters/);
    expect(reasons[4]).toMatch(/announcement for executor y-00000000 on another executor's subject/);
    expect(reasons[5]).toMatch(/declared paths are absolute directories, never the root/);
    expect(members.executors()).toHaveLength(0);
  });

  it('takes a registration claiming more slots than maxWorkers at maxWorkers', async () => {
    const m = new Membership(driver, { cluster: 'cap', timeoutMs: 5000, maxWorkers: 8 });
    try {
      const id = 'greedy-0123abcd';
      driver.publish(subjects('cap').announce(id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'register', executorId: id, name: 'greedy', host: 'h', pid: 1, workers: 1024, gpu: null, paths: [] }));
      await until(() => m.executors().length === 1);
      expect(m.executors()[0].workers).toBe(8);
    } finally {
      m.close();
    }
  });

  it('a driver that starts after its executors asks them to register, and sees them', async () => {
    const e = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 'late', name: 'early-exec', heartbeatMs: 100 });
    const nc = await connect({ servers: nats.url, token: TOKEN });
    const late = new Membership(nc, { cluster: 'late', timeoutMs: 1500 });
    try {
      await until(() => late.executors().some((x) => x.id === e.id));
    } finally {
      late.close();
      await e.stop();
      await nc.close();
    }
  });

  it('decommissions an executor gracefully: it drains, and bad control requests are answered, not obeyed', async () => {
    const logs: string[] = [];
    const e = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-e', heartbeatMs: 100, log: (l) => logs.push(l) });
    await until(() => members.executors().some((x) => x.id === e.id && x.state === 'alive'));
    const bad = await driver.request(subjects('t').control(e.id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'format-disk' }), { timeout: 5000 });
    expect(bad.json()).toMatchObject({ ok: false, error: expect.stringMatching(/invalid/) });
    expect(logs.some((l) => /rejected a control request/.test(l))).toBe(true);
    expect(e.draining).toBe(false);
    expect(await members.decommission(e.id)).toEqual({ ok: true, draining: true, running: 0 });
    await until(() => members.executors().some((x) => x.id === e.id && x.state === 'draining'));
    await e.stop();
  });

  it('refuses an executor without the token, saying what to pass', async () => {
    await expect(Executor.start({ servers: nats.url, cluster: 't', name: 'intruder' })).rejects.toThrow(/cannot connect to NATS .*pass --token/);
  });

  it('an executor rides out a NATS server restart and is seen again', async () => {
    const d = await Executor.start({ servers: nats.url, token: TOKEN, cluster: 't', name: 'exec-d', heartbeatMs: 100 });
    await until(() => members.executors().some((e) => e.id === d.id));
    await nats.restart();
    const restarted = Date.now();
    // Both sides reconnect; the executor registers again and its heartbeats reach the driver.
    await until(() => (members.executors().find((e) => e.id === d.id)?.lastSeen ?? 0) > restarted, 8000);
    await d.stop();
  });
});

describe('decodeControl', () => {
  it('accepts a valid register message', () => {
    const msg = { v: PROTOCOL_VERSION, kind: 'register', executorId: 'e-0000abcd', name: 'n', host: 'h', pid: 1, workers: 2, gpu: null, paths: ['/data'] };
    expect(decodeControl(new TextEncoder().encode(JSON.stringify(msg)))).toEqual({ ok: true, msg });
  });
});

describe('quiver executor (command line)', () => {
  it('joins with --servers and --token, and leaves gracefully on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const nats = await startNats({ token: TOKEN });
    const driver = await connect({ servers: nats.url, token: TOKEN });
    const events: MembershipEvent[] = [];
    const members = new Membership(driver, { cluster: 'cli', timeoutMs: 5000, onEvent: (e) => events.push(e) });
    const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');
    const p = spawn('node', [bin, 'executor', '--servers', nats.url, '--token', TOKEN, '--cluster', 'cli', '--name', 'cli-exec', '--workers', '2', '--paths', '/data/a,/data/b'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      p.stdout!.on('data', (d) => { out += d; });
      await until(() => members.executors().length === 1 && out.includes('joined cluster'), 20_000);
      expect(members.executors()[0]).toMatchObject({ name: 'cli-exec', workers: 2, paths: ['/data/a', '/data/b'] });
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
      await until(() => events.some((e) => e.kind === 'left' && e.reason === 'received SIGTERM'));
    } finally {
      p.kill('SIGKILL');
      members.close();
      await driver.close();
      await nats.stop();
    }
  }, 40_000);
});
