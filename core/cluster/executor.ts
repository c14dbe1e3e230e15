// Executor: a process that joins a cluster through NATS, announces itself, and sends heartbeats until it leaves.
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { connectCluster, type ClusterAuth } from './connect.ts';
import { decodeRequest, encodeControl, PROTOCOL_VERSION, subjects, type ControlMsg, type ControlReply } from './protocol.ts';

export interface ExecutorOptions extends ClusterAuth {
  name?: string;
  workers?: number;
  /** Milliseconds between heartbeats (default 1000). */
  heartbeatMs?: number;
  /** Path prefixes this executor can read (for locality). */
  paths?: string[];
  /** Where log lines go (default: console.error). */
  log?: (line: string) => void;
}

export class Executor {
  readonly id: string;
  private timer: NodeJS.Timeout | null = null;
  /** Draining: finishing running tasks, taking no new ones (set by a driver's drain request). */
  draining = false;
  private stopped = false;

  private constructor(private readonly nc: NatsConnection, private readonly o: ExecutorOptions, private readonly cluster: string) {
    this.id = `${(o.name ?? hostname()).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
  }

  /** Joins the cluster: registers, then heartbeats every heartbeatMs until stop(). */
  static async start(o: ExecutorOptions): Promise<Executor> {
    const cluster = o.cluster ?? 'default';
    const nc = await connectCluster(o, `quiver-executor ${o.name ?? hostname()}`);
    const ex = new Executor(nc, o, cluster);
    const register: ControlMsg = {
      v: PROTOCOL_VERSION, kind: 'register', executorId: ex.id, name: o.name ?? hostname(), host: hostname(), pid: process.pid,
      workers: o.workers ?? availableParallelism(), gpu: null, paths: o.paths ?? [],
    };
    ex.announce(register);
    // Requests from a driver (drain: finish running tasks, take no new ones). A bad request is
    // answered with its reason and logged; it never reaches the executor's state.
    nc.subscribe(subjects(cluster).control(ex.id), {
      callback: (err, m) => {
        if (err) return;
        const d = decodeRequest(m.data);
        let reply: ControlReply;
        if (!d.ok) {
          (o.log ?? console.error)(`quiver executor ${ex.id}: rejected a control request: ${d.reason}`);
          reply = { ok: false, error: d.reason };
        } else {
          ex.draining = true;
          ex.heartbeat();
          reply = { ok: true, draining: true, running: 0 };
        }
        m.respond(JSON.stringify(reply));
      },
    });
    // A driver that started later, or lost track of us (e.g. during a NATS restart), asks.
    nc.subscribe(subjects(cluster).hello, { callback: () => { if (!ex.stopped) ex.announce(register); } });
    ex.heartbeat();
    ex.timer = setInterval(() => ex.heartbeat(), o.heartbeatMs ?? 1000);
    // A server restart is ridden out by reconnecting; registering again lets a driver that
    // started meanwhile see this executor.
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'reconnect' && !ex.stopped) {
          (o.log ?? console.error)(`quiver executor ${ex.id}: reconnected to NATS`);
          ex.announce(register);
          ex.heartbeat();
        }
      }
    })();
    return ex;
  }

  private announce(msg: ControlMsg): void {
    const s = subjects(this.cluster);
    const subject = msg.kind === 'register' ? s.register : msg.kind === 'heartbeat' ? s.heartbeat : s.leave;
    this.nc.publish(subject, encodeControl(msg));
  }

  private heartbeat(): void {
    if (this.stopped) return;
    this.announce({ v: PROTOCOL_VERSION, kind: 'heartbeat', executorId: this.id, running: 0, rssBytes: process.memoryUsage.rss(), draining: this.draining });
  }

  /** Leaves the cluster: announces it (graceful) and closes the connection. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.announce({ v: PROTOCOL_VERSION, kind: 'leave', executorId: this.id, reason });
    await this.nc.drain();
  }

  /** Simulates a crash in tests: stops heartbeats without leaving. */
  async kill(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.nc.close();
  }
}
