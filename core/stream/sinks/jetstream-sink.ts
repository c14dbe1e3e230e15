// JetStreamSink: format('jetstream'): each row published as a JSON message on a subject, with a Nats-Msg-Id of <queryId>/<batchId>/<row> so that the server drops a re-run batch's copies.
import type { JetStreamClient } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PlanError, TransportError } from '../../../ops/errors.ts';
import { jsonLines } from '../../../ops/sinks/index.ts';
import type { Session } from '../../api/session.ts';
import { connectCluster, type ClusterAuth } from '../../cluster/connect.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import type { Sink } from '../sink.ts';

export interface JetStreamSinkOptions extends Omit<ClusterAuth, 'cluster'> {
  /** The subject to publish on; a JetStream stream MUST capture it (publishing to no stream fails the batch). */
  subject: string;
}

/** Publishes in flight at once (acks awaited per window). */
const IN_FLIGHT = 1024;

/**
 * Exactly-once holds while a re-run batch comes within the stream's duplicate window (2 minutes
 * by default, `duplicate_window`): the server keeps the message ids it saw that long and acks a
 * repeat without storing it. Row numbers follow the batch's plan, which gives the same rows in
 * the same order on a re-run from the same offsets and state.
 */
export class JetStreamSink implements Sink {
  readonly description: string;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;

  constructor(private readonly session: Session, private readonly o: JetStreamSinkOptions, private readonly queryId: () => string) {
    if (typeof o.subject !== 'string' || o.subject === '' || /[\s*>]/.test(o.subject)) {
      throw new PlanError(`writeStream.format('jetstream'): give option('subject', 'events.out'), a subject without spaces or wildcards; got ${JSON.stringify(o.subject)}`);
    }
    if (!o.servers) throw new PlanError("writeStream.format('jetstream'): give option('servers', 'nats://127.0.0.1:4222')");
    this.description = `JetStreamSink[${o.subject}]`;
  }

  async addBatch(batchId: number, plan: LogicalPlan): Promise<number> {
    const t = await this.session.execute(plan);
    if (this.js === null) {
      this.nc = await connectCluster({ ...this.o, cluster: 'stream' } as ClusterAuth, `quiver-stream-sink-${this.queryId()}`);
      this.js = jetstream(this.nc);
    }
    const js = this.js;
    let row = 0;
    let pending: Promise<unknown>[] = [];
    const settle = async () => {
      try {
        await Promise.all(pending);
      } catch (e) {
        throw new TransportError(`publishing batch ${batchId} to '${this.o.subject}' failed (${(e as Error).message}); does a JetStream stream capture the subject?`, { cause: e });
      }
      pending = [];
    };
    for (const b of t.batches) {
      for (const line of jsonLines(b)) {
        pending.push(js.publish(this.o.subject, line, { msgID: `${this.queryId()}/${batchId}/${row++}` }));
        if (pending.length >= IN_FLIGHT) await settle();
      }
    }
    await settle();
    return row;
  }

  async stop(): Promise<void> {
    await this.nc?.drain().catch(() => {});
    this.nc = null;
    this.js = null;
  }
}
