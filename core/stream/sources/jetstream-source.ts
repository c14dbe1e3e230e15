// JetStreamSource: q.readStream.jetstream(): a durable pull consumer of a NATS JetStream stream; offsets are stream sequence numbers, acks follow the batch's commit.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlanError, TransportError } from '../../../ops/errors.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import { fileScan } from '../../api/file-scan.ts';
import { tableFromRows } from '../../api/ingest.ts';
import { connectCluster, type ClusterAuth } from '../../cluster/connect.ts';
import type { Offset } from '../offsets.ts';
import type { Source, SourceBatch, SourceContext } from '../source.ts';

export interface JetStreamOptions extends Omit<ClusterAuth, 'cluster'> {
  /** The stream (it MUST exist: create it with the retention the data needs). */
  stream: string;
  /** Subjects of the stream to read (default: all of it). */
  subjects?: string | string[];
  /** The durable consumer: made if missing (explicit acks); its ack floor is where a query without a checkpoint starts. */
  durable: string;
  /** 'json': each message one JSON object read with `schema` (the json reader's rules and modes); 'bytes': subject, sequence, timestamp, data. */
  format: 'json' | 'bytes';
  schema?: FieldJSON[] | string;
  /** At most this many messages per batch (default 100000). */
  maxMessagesPerBatch?: number;
  /** How long the server waits for an ack before it redelivers (default 30 s); a batch longer than that gets (ignored) redeliveries. */
  ackWaitMs?: number;
  /** json: 'failfast' (default) or 'permissive', and where permissive mode writes bad messages (see q.read.json). */
  mode?: 'failfast' | 'permissive';
  badRecordsPath?: string;
}

export const JETSTREAM_BYTES_SCHEMA: readonly FieldJSON[] = Object.freeze([
  { name: 'subject', type: 'utf8', nullable: false },
  { name: 'sequence', type: 'int64', nullable: false },
  { name: 'timestamp', type: 'timestamp_ms', nullable: false },
  { name: 'data', type: 'binary', nullable: true },
]);

const DEFAULT_MAX_MESSAGES = 100_000;
/** Messages per pull request (a fetch waits at most a second for fewer). */
const FETCH_MAX = 10_000;

/** The offset: the stream sequence of the last message in batches up to here (0: none). */
interface SeqOffset {
  seq: number;
}

const seqOf = (o: Offset): number => (o as unknown as SeqOffset).seq;
const NL = 10, CR = 13, SPACE = 32;

/**
 * Reading: messages the durable consumer delivers to this process are kept (by sequence) until
 * their batch commits, then acked. After a restart, the messages the consumer had delivered to
 * the run before (up to its `delivered` sequence at open) are redelivered only after ackWait,
 * so a batch over that range reads it again by sequence with an ordered consumer: a range
 * gives the same messages whenever it is read (while the stream keeps them).
 */
export class JetStreamSource implements Source {
  readonly description: string;
  private readonly buffer = new Map<number, JsMsg>();
  private committed: number;
  private frozenAt: number | null = null;
  private readonly maxMessages: number;
  private readonly subjects: string[];

  private constructor(private readonly o: JetStreamOptions, readonly schema: readonly FieldJSON[], private readonly ctx: SourceContext,
    private readonly nc: NatsConnection, private readonly jsm: JetStreamManager, private readonly js: JetStreamClient, private readonly consumer: Consumer,
    private readonly ackFloorAtOpen: number, private readonly deliveredAtOpen: number) {
    this.committed = ackFloorAtOpen;
    this.maxMessages = o.maxMessagesPerBatch ?? DEFAULT_MAX_MESSAGES;
    this.subjects = o.subjects === undefined ? [] : Array.isArray(o.subjects) ? o.subjects : [o.subjects];
    this.description = `JetStreamSource[${o.stream}${this.subjects.length ? ` ${this.subjects.join(',')}` : ''} durable=${o.durable}]`;
  }

  static async open(o: JetStreamOptions, schema: readonly FieldJSON[], ctx: SourceContext): Promise<JetStreamSource> {
    const nc = await connectCluster({ ...o, cluster: 'stream' } as ClusterAuth, `quiver-stream-${o.durable}`);
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(o.stream);
      } catch (e) {
        throw new PlanError(`readStream.jetstream: no stream '${o.stream}' on ${String(o.servers)} (${(e as Error).message}); create it first (nats stream add, or jsm.streams.add)`, { cause: e });
      }
      const subjects = o.subjects === undefined ? [] : Array.isArray(o.subjects) ? o.subjects : [o.subjects];
      try {
        await jsm.consumers.info(o.stream, o.durable);
      } catch {
        await jsm.consumers.add(o.stream, {
          durable_name: o.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: -1,
          ack_wait: (o.ackWaitMs ?? 30_000) * 1_000_000, ...subjectFilter(subjects),
        });
      }
      const js = jetstream(nc);
      const consumer = await js.consumers.get(o.stream, o.durable);
      const info = await consumer.info();
      return new JetStreamSource(o, schema, ctx, nc, jsm, js, consumer, info.ack_floor.stream_seq, info.delivered.stream_seq);
    } catch (e) {
      await nc.close().catch(() => {});
      if (e instanceof PlanError) throw e;
      throw new TransportError(`readStream.jetstream: cannot open consumer '${o.durable}' of stream '${o.stream}': ${(e as Error).message}`, { cause: e });
    }
  }

  async initialOffset(): Promise<Offset> {
    return { seq: this.ackFloorAtOpen };
  }

  async latestOffset(start: Offset): Promise<Offset> {
    const from = seqOf(start);
    // A range the run before had delivered is read again by sequence, as one batch.
    if (from < this.deliveredAtOpen) return { seq: this.deliveredAtOpen };
    await this.pull();
    const seqs = [...this.buffer.keys()].filter((s) => s > from && (this.frozenAt === null || s <= this.frozenAt)).sort((a, b) => a - b);
    if (seqs.length === 0) return start;
    return { seq: seqs[Math.min(seqs.length, this.maxMessages) - 1] };
  }

  /** Fetches what the consumer has for this process now: new messages, and redeliveries (acked at once when already committed). */
  private async pull(): Promise<void> {
    const info = await this.consumer.info();
    const outstanding = Math.max(0, info.num_ack_pending - this.buffer.size);
    const want = Math.min(FETCH_MAX, info.num_pending + outstanding);
    if (want <= 0) return;
    const iter = await this.consumer.fetch({ max_messages: want, expires: 1000 });
    for await (const m of iter) {
      if (m.seq <= this.committed) m.ack();
      else this.buffer.set(m.seq, m);
    }
  }

  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const from = seqOf(start), to = seqOf(end);
    const msgs = from < this.deliveredAtOpen ? await this.replay(from, to) : [];
    for (const [seq, m] of this.buffer) if (seq > Math.max(from, this.deliveredAtOpen) && seq <= to) msgs.push(m);
    msgs.sort((a, b) => a.seq - b.seq);
    if (this.o.format === 'bytes') {
      const rows = msgs.map((m) => ({ subject: m.subject, sequence: m.seq, timestamp: m.time.getTime(), data: m.data }));
      const plan = this.ctx.session.registerTable(tableFromRows(rows, JETSTREAM_BYTES_SCHEMA), JETSTREAM_BYTES_SCHEMA);
      return { plan, rows: rows.length, release: () => this.ctx.session.dropTable(plan) };
    }
    // Staged as JSON lines, so the json reader's types, modes and errors apply (line n is the batch's nth message).
    const file = join(this.ctx.dir, 'batches', `${from + 1}-${to}.jsonl`);
    await mkdir(join(this.ctx.dir, 'batches'), { recursive: true });
    await writeFile(file, Buffer.concat(msgs.flatMap((m) => [oneLine(m.data), Buffer.from([NL])])));
    const { mode, badRecordsPath } = this.o;
    const plan = fileScan('json', [file], { schema: [...this.schema], ...(mode ? { mode } : {}), ...(badRecordsPath ? { badRecordsPath } : {}) });
    return { plan, rows: msgs.length, release: () => {} };
  }

  /** The messages of (from, to] read by sequence with an ordered (ephemeral) consumer. */
  private async replay(from: number, to: number): Promise<JsMsg[]> {
    const oc = await this.js.consumers.get(this.o.stream, {
      deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1, ...(this.subjects.length ? { filter_subjects: this.subjects.length === 1 ? this.subjects[0] : this.subjects } : {}),
    });
    const out: JsMsg[] = [];
    for (;;) {
      const iter = await oc.fetch({ max_messages: FETCH_MAX, expires: 1000 });
      let n = 0, done = false;
      for await (const m of iter) {
        n++;
        if (m.seq <= to) out.push(m);
        if (m.seq >= to || m.info.pending === 0) done = true;
      }
      if (done || n === 0) return out;
    }
  }

  async commit(end: Offset): Promise<void> {
    const to = seqOf(end);
    if (to <= this.committed) return;
    this.committed = to;
    for (const [seq, m] of this.buffer) if (seq <= to) { m.ack(); this.buffer.delete(seq); }
    await this.nc.flush();
    await rm(join(this.ctx.dir, 'batches'), { recursive: true, force: true });
  }

  async prepareForAvailableNow(): Promise<void> {
    this.frozenAt = (await this.jsm.streams.info(this.o.stream)).state.last_seq;
  }

  /** Messages held but not committed go back to the server at once (nak), for the next run. */
  async stop(): Promise<void> {
    for (const m of this.buffer.values()) m.nak();
    this.buffer.clear();
    await this.nc.flush().catch(() => {});
    await this.nc.close().catch(() => {});
  }
}

/** One subject as filter_subject, which servers before 2.10 know; several need filter_subjects (2.10). */
function subjectFilter(subjects: readonly string[]): { filter_subject?: string; filter_subjects?: string[] } {
  if (subjects.length === 0) return {};
  return subjects.length === 1 ? { filter_subject: subjects[0] } : { filter_subjects: [...subjects] };
}

/** A JSON text on one line: raw CR and LF can only be whitespace in valid JSON (inside strings they are escaped), so they become spaces. */
function oneLine(data: Uint8Array): Buffer {
  const b = Buffer.from(data);
  if (!b.includes(NL) && !b.includes(CR)) return b;
  const c = Buffer.from(b);
  for (let i = 0; i < c.length; i++) if (c[i] === NL || c[i] === CR) c[i] = SPACE;
  return c;
}
