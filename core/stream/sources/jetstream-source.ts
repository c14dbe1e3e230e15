// JetStreamSource: q.readStream.jetstream(): a durable pull consumer of a NATS JetStream stream; offsets are stream sequence numbers, acks follow the batch's commit.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, PlanError, TransportError } from '../../../ops/errors.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import { fileScan } from '../../api/file-scan.ts';
import { tableFromRows } from '../../api/ingest.ts';
import { connectCluster, type ClusterAuth } from '../../cluster/connect.ts';
import type { Offset } from '../offsets.ts';
import type { Source, SourceBatch, SourceContext } from '../source.ts';
import { EMPTY_MESSAGE, deliverDeadLetters, lineOf, stagedFile, writeStagedLines, type DeadLetter, type StagedLines } from './jetstream-dead-letters.ts';
import { OutageClock, retryOutage } from './nats-outage.ts';

export interface JetStreamOptions extends Omit<ClusterAuth, 'cluster'> {
  /** The stream (it MUST exist: create it with the retention the data needs). */
  stream: string;
  /** Subjects of the stream to read (default: all of it). */
  subjects?: string | string[];
  /**
   * The durable consumer: made if missing, acking all up to a message (one ack commits a batch);
   * one made before with explicit acks is acked message by message. Its ack floor is where a
   * query without a checkpoint starts.
   */
  durable: string;
  /** 'json': each message one JSON object read with `schema` (the json reader's rules and modes); 'bytes': subject, sequence, timestamp, data. */
  format: 'json' | 'bytes';
  schema?: FieldJSON[] | string;
  /** At most this many messages per batch (default 100000). */
  maxMessagesPerBatch?: number;
  /** How long the server waits for an ack before it redelivers (default 30 s); a batch longer than that gets (ignored) redeliveries. */
  ackWaitMs?: number;
  /**
   * json, a message that is not a JSON object of the schema (or is empty): 'failfast' (default)
   * stops the query with a DataError naming the stream, the message's stream sequence and subject,
   * and the reason; 'permissive' skips it and, once its batch is committed, delivers it with its
   * reason to `deadLetter` and acks it with the batch.
   */
  mode?: 'failfast' | 'permissive';
  /** Where permissive mode puts bad messages: `{ subject }` or `{ path }` (see DeadLetter); required with it. */
  deadLetter?: DeadLetter;
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
const NL = 10, CR = 13, SPACE = 32, TAB = 9;
/** An empty message is staged as a line the json reader finds bad in its place (a blank line it would skip); its reason is then EMPTY_MESSAGE. */
const EMPTY_LINE = Buffer.from('""');

/**
 * Reading: messages the durable consumer delivers to this process are kept (by sequence) until
 * their batch commits, then acked; nothing is acked before. Messages the consumer delivered but
 * this process never got (those delivered to the run before a restart, or lost with a connection
 * to a server that restarted) come again only after ackWait, so a batch over such a range reads
 * it by sequence with an ordered consumer: a range gives the same messages whenever it is read
 * (while the stream keeps them). While the server is unreachable, a poll finds nothing new and
 * a batch's reads and acks are retried, for up to MAX_OUTAGE_MS; acks sent while disconnected
 * are lost, so they are sent again once the server answers.
 *
 * json: a batch is staged as a JSON-lines file (line n: its nth message) read by the json
 * reader, whose errors (failfast) are restated with the message's stream sequence
 * (explainError); in permissive mode its quarantine under the source's directory gives the
 * dead letters, delivered at commit before the acks.
 */
export class JetStreamSource implements Source {
  readonly description: string;
  private readonly buffer = new Map<number, JsMsg>();
  private committed: number;
  private frozenAt: number | null = null;
  private readonly maxMessages: number;
  private readonly subjects: string[];
  /** Sequences up to here were delivered but are not all in `buffer`: batches over them read by sequence. */
  private readUpTo: number;
  /** The highest sequence a fetch brought. */
  private received = 0;
  /** Acked, but maybe lost with the connection: acked again once the server answers. */
  private unconfirmed: JsMsg[] = [];
  private readonly outage: OutageClock;
  /** Where the lines of this run's staged files came from (failfast errors name the message). */
  private readonly staged = new Map<string, StagedLines>();
  /** Pulls run one at a time (one may run in the background while a batch runs): this is the last. */
  private pulling: Promise<void> = Promise.resolve();
  /** Messages of `buffer` in the batch being read (getBatch to commit): a pull fetches up to a batch's worth beyond them. */
  private heldForBatch = 0;

  private constructor(private readonly o: JetStreamOptions, readonly schema: readonly FieldJSON[], private readonly ctx: SourceContext,
    private readonly nc: NatsConnection, private readonly jsm: JetStreamManager, private readonly js: JetStreamClient, private readonly consumer: Consumer,
    private readonly ackFloorAtOpen: number, deliveredAtOpen: number, private readonly ackAll: boolean) {
    this.committed = ackFloorAtOpen;
    this.readUpTo = deliveredAtOpen;
    this.maxMessages = o.maxMessagesPerBatch ?? DEFAULT_MAX_MESSAGES;
    this.subjects = o.subjects === undefined ? [] : Array.isArray(o.subjects) ? o.subjects : [o.subjects];
    this.description = `JetStreamSource[${o.stream}${this.subjects.length ? ` ${this.subjects.join(',')}` : ''} durable=${o.durable}]`;
    this.outage = new OutageClock(`readStream.jetstream: stream '${o.stream}'`);
  }

  private get stagedDir(): string { return join(this.ctx.dir, 'batches'); }
  /** Where the json reader quarantines bad lines of staged files in permissive mode. */
  private get badDir(): string { return join(this.ctx.dir, 'bad'); }
  private get deadLetters(): boolean { return this.o.format === 'json' && this.o.mode === 'permissive' && this.o.deadLetter !== undefined; }

  static async open(o: JetStreamOptions, schema: readonly FieldJSON[], ctx: SourceContext): Promise<JetStreamSource> {
    const nc = await connectCluster({ ...o, cluster: 'stream' } as ClusterAuth, `quiver-stream-${o.durable}`);
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(o.stream);
      } catch (e) {
        throw new PlanError(`readStream.jetstream: no stream '${o.stream}' on ${String(o.servers)} (${(e as Error).message}); create it first (nats stream add, or jsm.streams.add)`, { cause: e });
      }
      const dl = o.deadLetter;
      if (dl !== undefined && 'subject' in dl) {
        try {
          await jsm.streams.find(dl.subject);
        } catch (e) {
          throw new PlanError(`readStream.jetstream: no JetStream stream captures the dead-letter subject '${dl.subject}' (${(e as Error).message}); add one (nats stream add, or jsm.streams.add) with the retention dead letters need`, { cause: e });
        }
      }
      const subjects = o.subjects === undefined ? [] : Array.isArray(o.subjects) ? o.subjects : [o.subjects];
      try {
        await jsm.consumers.info(o.stream, o.durable);
      } catch {
        await jsm.consumers.add(o.stream, {
          durable_name: o.durable, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.All, max_ack_pending: -1,
          ack_wait: (o.ackWaitMs ?? 30_000) * 1_000_000, ...subjectFilter(subjects),
        });
      }
      const js = jetstream(nc);
      const consumer = await js.consumers.get(o.stream, o.durable);
      const info = await consumer.info();
      return new JetStreamSource(o, schema, ctx, nc, jsm, js, consumer, info.ack_floor.stream_seq, info.delivered.stream_seq, info.config.ack_policy === AckPolicy.All);
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
    try {
      await this.pullInTurn();
      this.outage.ok();
    } catch (e) {
      // Unreachable for now: nothing new; the query polls again.
      this.outage.failed(e);
    }
    // A range delivered but not all received is read by sequence: no more sequences than a batch may hold messages.
    const readTo = this.frozenAt === null ? this.readUpTo : Math.min(this.readUpTo, this.frozenAt);
    if (from < readTo) return { seq: Math.min(readTo, from + this.maxMessages) };
    const seqs = [...this.buffer.keys()].filter((s) => s > from && (this.frozenAt === null || s <= this.frozenAt)).sort((a, b) => a - b);
    if (seqs.length === 0) return start;
    return { seq: seqs[Math.min(seqs.length, this.maxMessages) - 1] };
  }

  /** A pull after the ones before it have ended. */
  private pullInTurn(): Promise<void> {
    const p = this.pulling.then(() => this.pull());
    this.pulling = p.catch(() => {});
    return p;
  }

  /** Fetches what the consumer has for this process now: new messages, and redeliveries (acked at once when already committed). */
  private async pull(): Promise<void> {
    const info = await this.consumer.info();
    if (this.unconfirmed.length > 0) {
      for (const m of this.unconfirmed) m.ack();
      await this.nc.flush();
      this.unconfirmed = [];
    }
    // Every fetch has ended: what the consumer delivered past what arrived was lost on the way.
    if (info.delivered.stream_seq > Math.max(this.committed, this.readUpTo, this.received)) this.readUpTo = info.delivered.stream_seq;
    // Redeliveries (of messages another process held) come first and may be acked at once.
    let outstanding = Math.max(0, info.num_ack_pending - this.buffer.size);
    // What the consumer can deliver now: no fetch asks for more, so none waits out its expiry.
    let available = info.num_pending + outstanding;
    // Up to a batch's worth of new messages, in fetches of at most FETCH_MAX (one pull request).
    while (available > 0 && this.buffer.size - this.heldForBatch < this.maxMessages) {
      const want = Math.min(FETCH_MAX, available, this.maxMessages - (this.buffer.size - this.heldForBatch) + outstanding);
      const iter = await this.consumer.fetch({ max_messages: want, expires: 1000 });
      let got = 0;
      for await (const m of iter) {
        got++;
        if (m.seq > this.received) this.received = m.seq;
        if (m.seq <= this.committed) m.ack();
        else this.buffer.set(m.seq, m);
      }
      if (got === 0) return;
      available -= got;
      outstanding = Math.max(0, outstanding - got);
    }
  }

  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const from = seqOf(start), to = seqOf(end);
    const msgs = from < this.readUpTo ? await retryOutage(`readStream.jetstream: reading stream '${this.o.stream}' from sequence ${from + 1}`, () => this.replay(from, Math.min(to, this.readUpTo))) : [];
    let held = 0;
    for (const [seq, m] of this.buffer) if (seq > Math.max(from, this.readUpTo) && seq <= to) { msgs.push(m); held++; }
    msgs.sort((a, b) => a.seq - b.seq);
    // The next batch's messages are fetched while this one runs (its compute is in the workers).
    this.heldForBatch = held;
    void this.pullInTurn().catch(() => {});
    if (this.o.format === 'bytes') {
      const rows = msgs.map((m) => ({ subject: m.subject, sequence: m.seq, timestamp: m.time.getTime(), data: m.data }));
      const plan = this.ctx.session.registerTable(tableFromRows(rows, JETSTREAM_BYTES_SCHEMA), JETSTREAM_BYTES_SCHEMA);
      return { plan, rows: rows.length, release: () => this.ctx.session.dropTable(plan) };
    }
    // Staged as JSON lines, so the json reader's types, modes and errors apply (line n is the batch's nth message).
    const file = stagedFile(this.stagedDir, from, to);
    const lines = linesOf(msgs);
    this.staged.clear();
    this.staged.set(file, lines);
    await mkdir(this.stagedDir, { recursive: true });
    await writeFile(file, jsonLines(msgs));
    if (this.deadLetters) await writeStagedLines(file, lines);
    const permissive = this.o.mode === 'permissive' ? { mode: 'permissive' as const, badRecordsPath: this.badDir } : {};
    const plan = fileScan('json', [file], { schema: [...this.schema], ...permissive });
    return { plan, rows: msgs.length, release: () => {} };
  }

  /** A failfast error of the json reader about a staged line, restated with the message's stream sequence and subject. */
  explainError(e: unknown): unknown {
    for (let c: unknown = e; c instanceof Error; c = c.cause) {
      if (!(c instanceof DataError) || c.location.file === undefined || c.location.line === undefined) continue;
      const lines = this.staged.get(c.location.file);
      if (lines === undefined) continue;
      const column = c.location.column === undefined ? null : String(c.location.column);
      return this.badMessage(lines, c.location.line, column, lines.empty.includes(c.location.line) ? EMPTY_MESSAGE : c.reason, c);
    }
    return e;
  }

  private badMessage(lines: StagedLines, line: number, column: string | null, reason: string, cause?: unknown): DataError {
    const at = lineOf(lines, line);
    const where = at === null ? `stream '${this.o.stream}'` : `stream '${this.o.stream}' sequence ${at.sequence} (subject '${at.subject}')`;
    return new DataError(`readStream.jetstream: ${where}${column === null ? '' : `, column '${column}'`}: ${reason}`, {},
      { cause, fix: "to skip bad messages, read with mode: 'permissive' and a deadLetter ({ subject } or { path })" });
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

  /** Dead letters first (a stop in between delivers them again, to the same effect, from the staged files), then the acks. */
  async commit(end: Offset): Promise<void> {
    const to = seqOf(end);
    if (to <= this.committed) {
      // Acked already (the run before stopped after its acks): its dead letters went out before them.
      await this.dropStaged();
      return;
    }
    if (this.deadLetters) await deliverDeadLetters({ stream: this.o.stream, durable: this.o.durable, deadLetter: this.o.deadLetter! }, this.stagedDir, this.badDir, to, this.js);
    this.committed = to;
    const acked: JsMsg[] = [];
    let last: JsMsg | undefined;
    for (const [seq, m] of this.buffer) {
      if (seq > to) continue;
      this.buffer.delete(seq);
      if (!this.ackAll) { m.ack(); acked.push(m); } else if (last === undefined || seq > last.seq) last = m;
    }
    this.heldForBatch = 0;
    // Acking all up to the batch's last message commits the messages below it that this consumer delivered.
    if (last !== undefined) { last.ack(); acked.push(last); }
    try {
      await this.nc.flush();
    } catch {
      // Disconnected: the acks may be lost; sent again by the next poll that reaches the server.
      this.unconfirmed.push(...acked);
    }
    await this.dropStaged();
  }

  private async dropStaged(): Promise<void> {
    this.staged.clear();
    await rm(this.stagedDir, { recursive: true, force: true });
    await rm(this.badDir, { recursive: true, force: true });
  }

  async prepareForAvailableNow(): Promise<void> {
    this.frozenAt = (await retryOutage(`readStream.jetstream: stream '${this.o.stream}'`, () => this.jsm.streams.info(this.o.stream))).state.last_seq;
  }

  /** Messages held but not committed go back to the server at once (nak), for the next run. */
  async stop(): Promise<void> {
    await this.pulling;
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

/** Where each message of a batch goes in its staged file, and which are empty (only whitespace). */
function linesOf(msgs: readonly JsMsg[]): StagedLines {
  const subjects: string[] = [];
  const index = new Map<string, number>();
  const lines: StagedLines = { seqs: new Array(msgs.length), subjects, subjectOf: new Array(msgs.length), empty: [] };
  for (const [i, m] of msgs.entries()) {
    lines.seqs[i] = m.seq;
    let k = index.get(m.subject);
    if (k === undefined) { k = subjects.length; subjects.push(m.subject); index.set(m.subject, k); }
    lines.subjectOf[i] = k;
    if (isBlank(m.data)) lines.empty.push(i + 1);
  }
  return lines;
}

/** The staged file: message n on line n, in one buffer. */
function jsonLines(msgs: readonly JsMsg[]): Buffer {
  let bytes = 0;
  const datas = msgs.map((m) => {
    const d = isBlank(m.data) ? EMPTY_LINE : oneLine(m.data);
    bytes += d.length + 1;
    return d;
  });
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const d of datas) {
    out.set(d, at);
    at += d.length;
    out[at++] = NL;
  }
  return out;
}

function isBlank(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== SPACE && b !== NL && b !== CR && b !== TAB) return false;
  }
  return true;
}

/** A JSON text on one line: raw CR and LF can only be whitespace in valid JSON (inside strings they are escaped), so they become spaces. */
function oneLine(data: Uint8Array): Uint8Array {
  if (!data.includes(NL) && !data.includes(CR)) return data;
  const c = Buffer.from(data);
  for (let i = 0; i < c.length; i++) if (c[i] === NL || c[i] === CR) c[i] = SPACE;
  return c;
}
