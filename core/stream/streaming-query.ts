// StreamingQuery: the handle df.writeStream...start() returns: runs the triggers, reports status and progress, stops, surfaces a failure.
import type { Checkpoint } from './checkpoint.ts';
import type { StreamingQueryProgress, StreamingQueryStatus } from './progress.ts';
import type { Sink } from './sink.ts';
import type { StreamExecution } from './stream-execution.ts';
import type { Trigger } from './trigger.ts';

/** Progress records kept in recentProgress (as Spark's spark.sql.streaming.numRecentProgressUpdates). */
const RECENT_PROGRESS = 100;
/** How often a query with trigger processingTime 0 asks its sources for news while idle. */
const IDLE_POLL_MS = 100;

export class StreamingQuery {
  /** Stays the same across restarts from one checkpoint. */
  readonly id: string;
  private statusNow: StreamingQueryStatus = { message: 'Initializing sources', isDataAvailable: false, isTriggerActive: false };
  private readonly progress: StreamingQueryProgress[] = [];
  private error: unknown = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly ended: Promise<void>;
  /** Callers of processAllAvailable, released by the first idle trigger that began after they asked. */
  private idleWaiters: { since: number; done: () => void }[] = [];
  private triggers = 0;

  constructor(readonly name: string | null, /** New for each start. */ readonly runId: string, private readonly exec: StreamExecution, private readonly sink: Sink,
    checkpoint: Checkpoint, private readonly trigger: Trigger, private readonly onEnd: (q: StreamingQuery) => void,
    /** Called with each batch's progress (the session's streamProgress event, and the console line when the session is not quiet). */
    private readonly onProgress: ((p: StreamingQueryProgress) => void) | null = null) {
    this.id = checkpoint.queryId;
    this.ended = this.run();
  }

  get status(): StreamingQueryStatus { return { ...this.statusNow }; }
  /** The last batch's progress, or null before the first. */
  get lastProgress(): StreamingQueryProgress | null { return this.progress.at(-1) ?? null; }
  /** The last 100 batches' progress, oldest first. */
  get recentProgress(): StreamingQueryProgress[] { return [...this.progress]; }
  get isActive(): boolean { return this.statusNow.message !== 'Stopped'; }
  /** What stopped the query, or null. */
  get exception(): unknown { return this.error; }

  private async run(): Promise<void> {
    try {
      await this.exec.open();
      if (this.trigger.kind !== 'processingTime') await this.exec.prepareForAvailableNow();
      while (!this.stopping) {
        const begun = performance.now();
        const triggerNo = ++this.triggers;
        this.statusNow = { message: 'Processing new data', isDataAvailable: this.statusNow.isDataAvailable, isTriggerActive: true };
        const p = await this.exec.runTrigger(() => { this.statusNow = { ...this.statusNow, isDataAvailable: true }; });
        if (p) {
          this.progress.push(p);
          this.onProgress?.(p);
          if (this.progress.length > RECENT_PROGRESS) this.progress.shift();
        } else {
          this.statusNow = { message: 'Waiting for data to arrive', isDataAvailable: false, isTriggerActive: false };
          for (const w of this.idleWaiters.filter((x) => x.since < triggerNo)) w.done();
          this.idleWaiters = this.idleWaiters.filter((x) => x.since >= triggerNo);
          if (this.trigger.kind !== 'processingTime') break;
        }
        if (this.trigger.kind === 'once' && p) break;
        if (this.trigger.kind === 'processingTime') {
          const interval = this.trigger.intervalMs > 0 ? this.trigger.intervalMs : p ? 0 : IDLE_POLL_MS;
          const wait = interval - (performance.now() - begun);
          if (p) this.statusNow = { message: 'Waiting for next trigger', isDataAvailable: true, isTriggerActive: false };
          if (wait > 0) await this.sleep(wait);
        }
      }
    } catch (e) {
      this.error = e;
    } finally {
      await this.exec.stop();
      await this.sink.stop().catch(() => {});
      this.statusNow = { message: 'Stopped', isDataAvailable: false, isTriggerActive: false };
      for (const w of this.idleWaiters.splice(0)) w.done();
      this.onEnd(this);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(() => { this.wake = null; res(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; res(); };
    });
  }

  /**
   * Resolves once the query has ended: true, or false when `timeoutMs` passed first. A query
   * that failed rejects with its error (the batch's, as thrown).
   */
  async awaitTermination(timeoutMs?: number): Promise<boolean> {
    if (timeoutMs === undefined) {
      await this.ended;
    } else {
      let t: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([this.ended.then(() => false), new Promise<boolean>((r) => { t = setTimeout(() => r(true), timeoutMs); })]);
      clearTimeout(t);
      if (timedOut) return false;
    }
    if (this.error !== null) throw this.error;
    return true;
  }

  /**
   * Resolves once everything the sources held when it was called is processed and committed
   * (a trigger that began after the call found nothing new), or the query stopped; rejects with
   * the query's error. For tests: with a source that never runs dry it may wait for ever.
   */
  async processAllAvailable(): Promise<void> {
    if (this.isActive) {
      await new Promise<void>((done) => {
        this.idleWaiters.push({ since: this.triggers, done });
        this.wake?.();
      });
    }
    if (this.error !== null) throw this.error;
  }

  /** Stops after the batch in progress (its commit completes, or a restart runs it again) and closes the sources. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.ended;
  }
}
