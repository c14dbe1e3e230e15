// KvSink: format('kv'): each output row put in a JetStream KV bucket as JSON under the key its key columns make: a table that serving reads look up by key.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { PlanError, TransportError } from '../../../ops/errors.ts';
import { jsonLines } from '../../../ops/sinks/index.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import type { Session } from '../../api/session.ts';
import { connectCluster, type ClusterAuth } from '../../cluster/connect.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { MetadataLog } from '../metadata-log.ts';
import type { Sink } from '../sink.ts';
import { batchKeys, checkKeyColumns } from './kv-key.ts';

export interface KvSinkOptions extends Omit<ClusterAuth, 'cluster'> {
  /** The bucket (letters, digits, - and _); made with one value per key when it does not exist. */
  bucket: string;
  /** The key columns, in key order: an array, or names separated by commas. */
  keys: string | readonly string[];
}

/** `<checkpoint>/sink/<batchId>`: a batch the sink has put in full. */
interface KvCommit {
  batchId: number;
  rows: number;
}

/** Puts in flight at once (acks awaited per window). */
const IN_FLIGHT = 1024;
/** Sink log entries kept behind the latest batch (as the checkpoint's own logs). */
const RETAINED_BATCHES = 100;
const BUCKET = /^[-\w]+$/;

/**
 * A put sets a key's value, so writing a batch again writes the same values again: a restart
 * that re-runs an uncommitted batch (same offsets, same state, so the same rows) leaves the
 * bucket as one run would have. The sink's own log in the checkpoint records each batch put in
 * full, and a batch it records is not put again (a crash between that record and the query's
 * commits log). Within a batch a key's last row wins (rows are put in order on one connection).
 * Keys are checked for every row before the first put, so an illegal key fails the batch with
 * nothing written. Works with every output mode: update and complete rewrite the groups' rows;
 * append writes each row once; nothing is ever deleted (a group evicted from state keeps its
 * last value).
 */
export class KvSink implements Sink {
  readonly description: string;
  private readonly keys: readonly string[];
  private readonly cols: number[];
  private readonly log: MetadataLog<KvCommit>;
  private nc: NatsConnection | null = null;
  private kv: KV | null = null;

  constructor(private readonly session: Session, private readonly o: KvSinkOptions, schema: readonly FieldJSON[], logDir: string) {
    const what = "writeStream.format('kv')";
    if (!o.servers) throw new PlanError(`${what}: give option('servers', 'nats://127.0.0.1:4222')`);
    if (typeof o.bucket !== 'string' || !BUCKET.test(o.bucket)) {
      throw new PlanError(`${what}: give option('bucket', 'tag_counts'), a bucket name of letters, digits, - and _; got ${JSON.stringify(o.bucket)}`);
    }
    const keys = typeof o.keys === 'string' ? o.keys.split(',').map((k) => k.trim()).filter(Boolean) : Array.isArray(o.keys) ? o.keys : [];
    this.keys = keys;
    this.cols = checkKeyColumns(schema, keys, what);
    this.log = new MetadataLog(logDir);
    this.description = `KvSink[${o.bucket} by ${keys.join(', ')}]`;
  }

  private async bucket(): Promise<KV> {
    if (this.kv !== null) return this.kv;
    const { bucket, keys, ...auth } = this.o;
    void keys;
    this.nc = await connectCluster({ ...auth, cluster: 'stream' } as ClusterAuth, `quiver-stream-kv-${bucket}`);
    try {
      this.kv = await new Kvm(this.nc).create(bucket);
    } catch (e) {
      throw new TransportError(`cannot open KV bucket '${bucket}' (${(e as Error).message}); is JetStream enabled on the server (nats-server -js)?`, { cause: e });
    }
    return this.kv;
  }

  async addBatch(batchId: number, plan: LogicalPlan): Promise<number> {
    const done = await this.log.get(batchId);
    if (done !== null) return done.rows;
    const t = await this.session.execute(plan);
    // Every key first: an illegal or null key fails the batch before anything is put.
    const keyed = t.batches.map((b) => ({ keys: batchKeys(b, this.cols, this.keys, batchId), values: jsonLines(b) }));
    const rows = keyed.reduce((n, k) => n + k.keys.length, 0);
    if (rows > 0) {
      const kv = await this.bucket();
      let pending: Promise<unknown>[] = [];
      const settle = async () => {
        try {
          await Promise.all(pending);
        } catch (e) {
          throw new TransportError(`putting batch ${batchId} into KV bucket '${this.o.bucket}' failed (${(e as Error).message})`, { cause: e });
        }
        pending = [];
      };
      for (const { keys, values } of keyed) {
        for (let i = 0; i < keys.length; i++) {
          pending.push(kv.put(keys[i], values[i]));
          if (pending.length >= IN_FLIGHT) await settle();
        }
      }
      await settle();
    }
    await this.log.add(batchId, { batchId, rows });
    if (batchId > RETAINED_BATCHES) await this.log.purgeBefore(batchId - RETAINED_BATCHES);
    return rows;
  }

  async stop(): Promise<void> {
    await this.nc?.drain().catch(() => {});
    this.nc = null;
    this.kv = null;
  }
}
