// StreamExecution: runs a streaming plan as micro-batches: offsets logged before each batch, the sink given it, the commit logged after; resumes from the logs.
import { DataError, PlanError } from '../../ops/errors.ts';
import type { Session } from '../api/session.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { StreamScan } from '../plan/stream-scan.ts';
import type { Checkpoint } from './checkpoint.ts';
import { sameOffset, type Offset, type OffsetRecord } from './offsets.ts';
import { PhaseTimer, perSecond, sumKnown, type StreamingQueryProgress } from './progress.ts';
import type { Sink } from './sink.ts';
import type { Source, SourceBatch } from './source.ts';
import { openSource } from './sources/open-source.ts';
import { StreamingAggregation, type StateOperatorProgress } from './streaming-aggregation.ts';
import type { StatefulAggregate } from './stateful-aggregate.ts';
import { streamScansOf, substituteBatches } from './substitute.ts';

export interface ExecutionIdentity {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
}

/** The spec of a StreamScan as the checkpoint records it (sources are matched by it on restart). */
function describe(scan: StreamScan): string {
  return JSON.stringify(scan.source);
}

export class StreamExecution {
  private readonly scans: StreamScan[];
  private sources: Source[] = [];
  /** Where the next batch starts, per source (the last batch's ends). */
  private ends: Offset[] = [];
  private nextBatchId = 0;
  /** A batch the offsets log holds but the commits log does not: it runs first, with the same ranges. */
  private pending: OffsetRecord | null = null;
  private lastBatchStartMs: number | null = null;
  /** The streaming aggregate's state, or null for a stateless query. */
  private readonly aggregation: StreamingAggregation | null;
  /** The watermark of the next new batch (max event time seen - delay), null until an event was seen. */
  private watermarkMs: number | null = null;

  constructor(private readonly session: Session, private readonly plan: LogicalPlan, private readonly sink: Sink,
    private readonly checkpoint: Checkpoint, private readonly identity: ExecutionIdentity, stateful: StatefulAggregate | null = null) {
    this.scans = streamScansOf(plan);
    this.aggregation = stateful === null ? null : new StreamingAggregation(session, stateful, checkpoint.stateDir());
  }

  /** Opens every source and reads the logs: where to start, and which batch to run again. */
  async open(): Promise<void> {
    for (const [i, scan] of this.scans.entries()) {
      this.sources.push(await openSource(scan.source, scan.schema, { session: this.session, dir: this.checkpoint.sourceDir(i) }));
    }
    const latest = await this.checkpoint.offsets.latest();
    if (latest === null) {
      this.ends = await Promise.all(this.sources.map((s) => s.initialOffset()));
      return;
    }
    this.checkSameSources(latest.entry);
    const committed = await this.checkpoint.commits.latest();
    const lastCommitted = committed?.batchId ?? -1;
    if (lastCommitted === latest.batchId) {
      this.ends = latest.entry.sources.map((s) => s.end);
      this.nextBatchId = latest.batchId + 1;
      this.watermarkMs = committed?.entry.nextWatermarkMs ?? latest.entry.watermarkMs ?? null;
      await this.aggregation?.restore(latest.batchId);
      // The crash may have come between the commits log and the sources' commit.
      await Promise.all(this.sources.map((s, i) => s.commit(this.ends[i])));
    } else if (lastCommitted === latest.batchId - 1) {
      this.pending = latest.entry;
      this.ends = latest.entry.sources.map((s) => s.start);
      this.nextBatchId = latest.batchId;
      this.watermarkMs = latest.entry.watermarkMs ?? null;
      await this.aggregation?.restore(latest.batchId - 1);
    } else {
      throw new DataError(`the offsets log ends at batch ${latest.batchId} but the commits log at ${lastCommitted}: the checkpoint is damaged; start the query with a new checkpointLocation`, { file: this.checkpoint.dir });
    }
  }

  private checkSameSources(rec: OffsetRecord): void {
    const want = rec.sources.map((s) => s.description);
    const have = this.scans.map(describe);
    if (want.length !== have.length || want.some((d, i) => d !== have[i])) {
      throw new PlanError(`checkpointLocation ${this.checkpoint.dir} was written by a query reading [${want.join(', ')}], this one reads [${have.join(', ')}]; a restarted query must read the same sources: use a new checkpointLocation for a changed query`);
    }
  }

  /** availableNow/once: the sources stop at what they hold now. */
  async prepareForAvailableNow(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.prepareForAvailableNow()));
  }

  /** One trigger: the pending batch, or a new one when a source has data. Returns its progress, or null when there was nothing to do. */
  async runTrigger(onData: () => void): Promise<StreamingQueryProgress | null> {
    const startMs = Date.now();
    const t0 = performance.now();
    const timer = new PhaseTimer();
    const rec = this.pending ?? await this.nextBatch(timer, startMs);
    this.pending = null;
    if (rec === null) return null;
    onData();
    const { rows, outputRows, state } = await this.runBatch(rec, timer);
    timer.durationMs.triggerExecution = Math.round(performance.now() - t0);
    // Between batches (idle polls do not count), as Spark's inputRowsPerSecond.
    const sinceLast = this.lastBatchStartMs === null ? null : startMs - this.lastBatchStartMs;
    this.lastBatchStartMs = startMs;
    const total = sumKnown(rows);
    const ms = timer.durationMs.triggerExecution;
    return {
      id: this.identity.id, runId: this.identity.runId, name: this.identity.name, timestamp: new Date(startMs).toISOString(),
      batchId: rec.batchId, numInputRows: total, inputRowsPerSecond: perSecond(total, sinceLast), processedRowsPerSecond: perSecond(total, ms),
      durationMs: timer.durationMs,
      sources: rec.sources.map((s, i) => ({
        description: this.sources[i].description, startOffset: s.start, endOffset: s.end,
        numInputRows: rows[i], inputRowsPerSecond: perSecond(rows[i], sinceLast), processedRowsPerSecond: perSecond(rows[i], ms),
      })),
      sink: { description: this.sink.description, numOutputRows: outputRows },
      eventTime: { watermark: rec.watermarkMs === undefined || rec.watermarkMs === null ? null : new Date(rec.watermarkMs).toISOString() },
      stateOperators: state === null ? [] : [state],
    };
  }

  /** Asks the sources how far they are; with news, logs the new batch's ranges (write-ahead) and returns them. */
  private async nextBatch(timer: PhaseTimer, startMs: number): Promise<OffsetRecord | null> {
    const latest = await timer.time('latestOffset', () => Promise.all(this.sources.map((s, i) => s.latestOffset(this.ends[i]))));
    if (latest.every((o, i) => sameOffset(o, this.ends[i]))) return null;
    const rec: OffsetRecord = {
      batchId: this.nextBatchId, timestampMs: startMs, watermarkMs: this.watermarkMs,
      sources: this.scans.map((scan, i) => ({ index: i, description: describe(scan), start: this.ends[i], end: latest[i] })),
    };
    const written = await timer.time('walCommit', () => this.checkpoint.offsets.add(rec.batchId, rec));
    if (!written) throw new PlanError(`${this.checkpoint.dir}: offsets for batch ${rec.batchId} were written by someone else; is another query running with this checkpointLocation?`);
    return rec;
  }

  /** getBatch per source, the substituted plan to the sink, then the commits log and the sources' commit. */
  private async runBatch(rec: OffsetRecord, timer: PhaseTimer): Promise<{ rows: (number | null)[]; outputRows: number | null; state: StateOperatorProgress | null }> {
    const batches: SourceBatch[] = [];
    const release: (() => void)[] = [];
    try {
      await timer.time('getBatch', async () => {
        for (const [i, s] of rec.sources.entries()) batches.push(await this.batchOf(i, s.start, s.end));
      });
      release.push(...batches.map((b) => () => b.release()));
      let plan = substituteBatches(this.plan, new Map(this.scans.map((scan, i) => [scan.id, batches[i].plan])));
      let state: StateOperatorProgress | null = null;
      let nextWatermarkMs = rec.watermarkMs ?? null;
      const outputRows = await timer.time('addBatch', async () => {
        if (this.aggregation !== null) {
          const a = await this.aggregation.run(plan, rec.watermarkMs ?? null);
          release.push(a.release);
          ({ plan, progress: state, nextWatermarkMs } = a);
        }
        return this.sink.addBatch(rec.batchId, plan);
      });
      await timer.time('commitOffsets', async () => {
        // The state after a batch is saved before the batch counts as done: a restart re-runs it from the state before.
        await this.aggregation?.save(rec.batchId);
        await this.checkpoint.commits.add(rec.batchId, { batchId: rec.batchId, timestampMs: Date.now(), nextWatermarkMs });
        this.watermarkMs = nextWatermarkMs;
        this.ends = rec.sources.map((s) => s.end);
        this.nextBatchId = rec.batchId + 1;
        await Promise.all(this.sources.map((s, i) => s.commit(this.ends[i])));
        await this.checkpoint.purge(rec.batchId);
      });
      return { rows: batches.map((b) => b.rows), outputRows, state };
    } catch (e) {
      throw this.sources.reduce<unknown>((err, s) => (s.explainError ? s.explainError(err) : err), e);
    } finally {
      for (const r of release) r();
    }
  }

  /** A source's rows in (start, end]; an empty range is an empty table of its schema, without asking it. */
  private async batchOf(i: number, start: Offset, end: Offset): Promise<SourceBatch> {
    if (!sameOffset(start, end)) return this.sources[i].getBatch(start, end);
    const plan = this.session.registerTable([], this.sources[i].schema, 1);
    return { plan, rows: 0, release: () => this.session.dropTable(plan) };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.sources.map((s) => s.stop()));
  }
}
