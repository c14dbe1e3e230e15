// Membership: the driver's view of the cluster's executors, derived from their announcements; lost after a heartbeat timeout.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { BlockEndpoint } from './block-transfer.ts';
import { PauseDetector } from './pause.ts';
import { decodeControl, PROTOCOL_VERSION, subjects, type ControlReply, type ControlRequest, type RegisterMsg } from './protocol.ts';

export interface ExecutorInfo {
  id: string;
  name: string;
  host: string;
  workers: number;
  paths: string[];
  /** 'auto' when the executor may use a GPU, null when started with --gpu off. */
  gpu: string | null;
  state: 'alive' | 'draining';
  lastSeen: number;
}

export type MembershipEvent =
  | { kind: 'joined'; executor: ExecutorInfo }
  | { kind: 'left'; id: string; reason: string }
  | { kind: 'lost'; id: string; silentMs: number; why?: string }
  | { kind: 'rejected'; subject: string; reason: string }
  | { kind: 'heartbeat'; id: string; rssBytes: number; storeBytes?: number };

export interface MembershipOptions {
  cluster?: string;
  /** An executor silent for this long is lost (default 5000 ms). */
  timeoutMs?: number;
  /**
   * Most worker slots one executor's registration may claim (default 256): a registration
   * claiming more is taken at this many, so a peer cannot draw every task by claiming 1024.
   */
  maxWorkers?: number;
  onEvent?: (e: MembershipEvent) => void;
}

export class Membership {
  private readonly members = new Map<string, ExecutorInfo>();
  /** Block servers executors announced (direct transfer over TCP). */
  private readonly endpoints = new Map<string, BlockEndpoint>();
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;
  /** Messages rejected so far (malformed, oversized, wrong version, invalid). */
  rejected = 0;

  private lastHello = 0;

  constructor(private readonly nc: NatsConnection, private readonly o: MembershipOptions = {}) {
    const timeout = o.timeoutMs ?? 5000;
    this.sub = nc.subscribe(subjects(o.cluster ?? 'default').announcements, {
      callback: (err, m) => {
        if (err) return;
        const d = decodeControl(m.data);
        if (!d.ok) {
          this.rejected++;
          this.emit({ kind: 'rejected', subject: m.subject, reason: d.reason });
          return;
        }
        const msg = d.msg;
        // Each executor announces on its own subject (which permissions can reserve to it): an
        // announcement in another's name is refused.
        if (m.subject !== subjects(o.cluster ?? 'default').announce(msg.executorId)) {
          this.rejected++;
          this.emit({ kind: 'rejected', subject: m.subject, reason: `announcement for executor ${msg.executorId} on another executor's subject` });
          return;
        }
        const now = Date.now();
        if (msg.kind === 'register') this.join(msg, now);
        else if (msg.kind === 'heartbeat') {
          const e = this.members.get(msg.executorId);
          if (e) {
            e.lastSeen = now; e.state = msg.draining ? 'draining' : 'alive';
            this.emit({ kind: 'heartbeat', id: msg.executorId, rssBytes: msg.rssBytes, storeBytes: msg.storeBytes });
          }
          // An executor we do not know (lost during a partition or a NATS restart, and back):
          // a heartbeat does not carry its details, so ask executors to register again.
          else this.hello(now);
        } else if (this.members.delete(msg.executorId)) this.emit({ kind: 'left', id: msg.executorId, reason: msg.reason });
      },
    });
    const every = Math.max(50, Math.floor(timeout / 4));
    const pauses = new PauseDetector(every);
    this.timer = setInterval(() => {
      const now = Date.now();
      // This process was paused: heartbeats that arrived meanwhile are still unread, so give
      // every executor a fresh window instead of declaring them all lost.
      if (pauses.check(now) > 0) {
        for (const e of this.members.values()) e.lastSeen = Math.max(e.lastSeen, now);
        return;
      }
      for (const [id, e] of this.members) {
        if (now - e.lastSeen > timeout) {
          this.members.delete(id);
          this.emit({ kind: 'lost', id, silentMs: now - e.lastSeen });
        }
      }
    }, every);
    this.timer.unref();
    // Executors that started before this driver register when asked.
    this.hello(Date.now());
  }

  /** Asks every executor to register again (at most once a second). */
  private hello(now: number): void {
    if (now - this.lastHello < 1000) return;
    this.lastHello = now;
    this.nc.publish(subjects(this.o.cluster ?? 'default').hello, '');
  }

  private join(msg: RegisterMsg, now: number): void {
    const workers = Math.min(msg.workers, this.o.maxWorkers ?? 256);
    const info: ExecutorInfo = { id: msg.executorId, name: msg.name, host: msg.host, workers, paths: msg.paths, gpu: msg.gpu, state: 'alive', lastSeen: now };
    // Kept apart from the info, which events, logs and the UI show: the token is a secret.
    if (msg.blocks) this.endpoints.set(msg.executorId, msg.blocks);
    else this.endpoints.delete(msg.executorId);
    const known = this.members.has(msg.executorId);
    this.members.set(msg.executorId, info);
    if (!known) this.emit({ kind: 'joined', executor: info });
  }

  private emit(e: MembershipEvent): void {
    this.o.onEvent?.(e);
  }

  /**
   * Graceful decommission: asks executor `id` to drain (finish running tasks, take no new
   * ones). Resolves with its reply; its heartbeats then show it as draining.
   */
  async decommission(id: string, reason = 'decommissioned'): Promise<ControlReply> {
    const req: ControlRequest = { v: PROTOCOL_VERSION, kind: 'drain', reason };
    const m = await this.nc.request(subjects(this.o.cluster ?? 'default').control(id), JSON.stringify(req), { timeout: 5000 });
    return m.json<ControlReply>();
  }

  /**
   * Asks executor `id` whether it is there; one that does not answer within `timeoutMs` (no
   * responders: its connection is gone) is lost at once, without waiting for the heartbeat timeout.
   */
  async probe(id: string, timeoutMs = 1000): Promise<boolean> {
    if (!this.members.has(id)) return false;
    try {
      await this.nc.request(subjects(this.o.cluster ?? 'default').control(id), JSON.stringify({ v: PROTOCOL_VERSION, kind: 'ping' }), { timeout: timeoutMs });
      return true;
    } catch {
      const e = this.members.get(id);
      if (e && this.members.delete(id)) this.emit({ kind: 'lost', id, silentMs: Date.now() - e.lastSeen, why: 'it did not answer a probe after a peer could not reach it' });
      return false;
    }
  }

  /** Executor `id`'s block server, when it announced one. */
  endpoint(id: string): BlockEndpoint | undefined {
    return this.members.has(id) ? this.endpoints.get(id) : undefined;
  }

  /** Executors alive now (draining ones included: they finish their tasks). */
  executors(): ExecutorInfo[] {
    return [...this.members.values()];
  }

  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
  }
}
