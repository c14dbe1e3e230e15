// The consistency gate: hands out clocks (iteration numbers) to workers as sequential, bounded-delay or eventual consistency allows, and records each clock's start, end and staleness.
//
// Clocks follow Li et al. (OSDI 2014, section 3.3): an iteration's clock is its number in the
// order iterations start. Bounded delay tau: clock t may start only when every clock before
// t - tau has been applied, so t's weights miss at most the updates of clocks t - tau .. t - 1.
// Its staleness is t minus the oldest clock still unapplied when it starts (0 when none is).
// Eventual: no bound. Sequential: a round per clock number; every worker of the round starts
// from the same weights, and the next round starts only after the round's update is committed.
import { InternalError } from '../../../ops/errors.ts';

export type Consistency = 'sequential' | 'bounded-delay' | 'eventual';

export interface ClockRecord {
  clock: number;
  worker: string;
  /** Logical times (one counter for every grant and end) of the start and of the end. */
  startedAt: number;
  endedAt?: number;
  staleness: number;
  /** The update was lost (its worker died, or a shard was unreachable). */
  dropped?: boolean;
}

export class ClockGate {
  private next = 0;
  private tick = 0;
  /** Async: clocks started and not yet ended, by clock. */
  private readonly open = new Map<number, ClockRecord>();
  /** Sequential: the round's workers and whether each has ended its clock. */
  private readonly round = new Map<string, ClockRecord>();
  readonly records: ClockRecord[] = [];
  /** Staleness -> clocks started with it. */
  readonly histogram = new Map<number, number>();

  constructor(readonly consistency: Consistency, readonly maxDelay: number) {}

  /** The sequential round now open. */
  get currentRound(): number { return this.next; }

  /** Starts a clock for `worker` if the consistency model allows it now; null: it must wait. */
  tryStart(worker: string): ClockRecord | null {
    let rec: ClockRecord;
    if (this.consistency === 'sequential') {
      // A worker that ended this round's clock waits for the commit.
      if (this.round.has(worker)) return null;
      rec = { clock: this.next, worker, startedAt: ++this.tick, staleness: 0 };
      this.round.set(worker, rec);
    } else {
      const oldest = this.oldestOpen();
      const staleness = oldest === null ? 0 : this.next - oldest;
      if (this.consistency === 'bounded-delay' && staleness > this.maxDelay) return null;
      rec = { clock: this.next++, worker, startedAt: ++this.tick, staleness };
      this.open.set(rec.clock, rec);
    }
    this.records.push(rec);
    this.histogram.set(rec.staleness, (this.histogram.get(rec.staleness) ?? 0) + 1);
    return rec;
  }

  private oldestOpen(): number | null {
    let m: number | null = null;
    for (const c of this.open.keys()) if (m === null || c < m) m = c;
    return m;
  }

  /** Ends `worker`'s clock (its push applied, or `dropped`). */
  end(worker: string, clock: number, dropped = false): void {
    const rec = this.consistency === 'sequential' ? this.round.get(worker) : this.open.get(clock);
    if (!rec || rec.worker !== worker || rec.clock !== clock || rec.endedAt !== undefined) {
      throw new InternalError(`invariant violated: worker ${worker} ended clock ${clock}, which it was not running`);
    }
    rec.endedAt = ++this.tick;
    if (dropped) rec.dropped = true;
    if (this.consistency !== 'sequential') this.open.delete(clock);
  }

  /** The clocks `worker` is running (a lost worker's are dropped): one under sequential consistency, up to two otherwise (it pushes one while it computes the next). */
  running(worker: string): number[] {
    if (this.consistency === 'sequential') {
      const r = this.round.get(worker);
      return r && r.endedAt === undefined ? [r.clock] : [];
    }
    return [...this.open.values()].filter((r) => r.worker === worker).map((r) => r.clock);
  }

  /** Sequential: every worker of the open round has ended its clock (and there is one). */
  roundEnded(): boolean {
    if (this.consistency !== 'sequential' || this.round.size === 0) return false;
    for (const r of this.round.values()) if (r.endedAt === undefined) return false;
    return true;
  }

  /** Sequential: the round was committed; the next one opens. */
  nextRound(): void {
    this.round.clear();
    this.next++;
  }

  /** Clocks started and not ended. */
  get inFlight(): number {
    if (this.consistency === 'sequential') return [...this.round.values()].filter((r) => r.endedAt === undefined).length;
    return this.open.size;
  }

  /** Largest staleness recorded. */
  get maxStaleness(): number {
    let m = 0;
    for (const k of this.histogram.keys()) m = Math.max(m, k);
    return m;
  }
}
