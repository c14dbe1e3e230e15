// Which rows a worker trains on next: each epoch's partitions handed out one at a time, a partition cut into minibatches in order; a lost worker's unfinished rows handed to others.
export interface Slice {
  partition: number;
  /** Positions [from, to) in the partition's order for the epoch. */
  from: number;
  to: number;
}

interface Range {
  partition: number;
  next: number;
  end: number;
}

export class WorkQueue {
  private pending: Range[] = [];
  private readonly current = new Map<string, Range>();
  /** Rows given back after a worker was lost (over all epochs). */
  reassignedRows = 0;

  constructor(readonly partitionRows: readonly number[], readonly batchSize: number) {}

  /** Queues every partition for a new epoch, in `order`. */
  startEpoch(order: readonly number[]): void {
    this.pending = order.filter((p) => this.partitionRows[p] > 0).map((p) => ({ partition: p, next: 0, end: this.partitionRows[p] }));
    this.current.clear();
  }

  /**
   * The next minibatch for `worker`: the rest of its partition, else the first queued range of
   * a partition it already holds, else the first queued one; null when nothing is left.
   */
  take(worker: string, holds: ReadonlySet<number>): Slice | null {
    let r = this.current.get(worker);
    if (!r || r.next >= r.end) {
      if (this.pending.length === 0) { this.current.delete(worker); return null; }
      let i = this.pending.findIndex((x) => holds.has(x.partition));
      if (i < 0) i = 0;
      r = this.pending.splice(i, 1)[0];
      this.current.set(worker, r);
    }
    const s: Slice = { partition: r.partition, from: r.next, to: Math.min(r.end, r.next + this.batchSize) };
    r.next = s.to;
    return s;
  }

  /** A lost worker: its unfinished slices and the rest of its partition go to the front of the queue. */
  giveBack(worker: string, running: readonly Slice[]): void {
    const r = this.current.get(worker);
    this.current.delete(worker);
    const back: Range[] = running.map((s) => ({ partition: s.partition, next: s.from, end: s.to }));
    if (r && r.next < r.end) back.push(r);
    for (const b of back) this.reassignedRows += b.end - b.next;
    this.pending.unshift(...back);
  }

  /** Whether take(worker) would hand out rows now. */
  hasWork(worker: string): boolean {
    const r = this.current.get(worker);
    return (r !== undefined && r.next < r.end) || this.pending.length > 0;
  }

  /** Nothing left to hand out this epoch. */
  get drained(): boolean {
    return this.pending.length === 0 && [...this.current.values()].every((r) => r.next >= r.end);
  }
}
