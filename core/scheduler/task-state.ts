// One partition of one stage over its attempts: what runs, where it failed, and the outcomes waiting to be read.
import type { Stage } from '../physical/phys-node.ts';
import type { Launched, MapOutput, Outcome, Slot } from '../runtime/runtime.ts';

export interface Attempt<Out extends MapOutput = MapOutput> {
  attempt: number;
  slot: Slot;
  /** performance.now() when sent. */
  started: number;
  speculative: boolean;
  launched: Launched<Out>;
}

/** An attempt's outcome, or the error that ends the job (the launcher could not go on). */
export type Reported<Out extends MapOutput = MapOutput> = Outcome<Out> | { kind: 'fatal'; error: unknown };

export class TaskState<Out extends MapOutput = MapOutput> {
  nextAttempt = 0;
  /** Failed attempts (the task's own errors), counted against maxTaskAttempts. */
  failures = 0;
  /** Sends that were not the task's fault (executor lost, input lost, output dropped). */
  resends = 0;
  /** Finished, or given up with the job: outcomes from now on are only noted. */
  done = false;
  readonly running = new Map<number, Attempt<Out>>();
  readonly failedOn = new Set<string>();
  private readonly queue: { a: Attempt<Out>; o: Reported<Out> }[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly stage: Stage, readonly partition: number) {}

  push(a: Attempt<Out>, o: Reported<Out>): void {
    this.queue.push({ a, o });
    this.wake?.();
  }

  /** Outcomes that arrived but were not read (the task finished first). */
  takeQueued(): { a: Attempt<Out>; o: Reported<Out> }[] {
    return this.queue.splice(0);
  }

  async next(): Promise<{ a: Attempt<Out>; o: Reported<Out> }> {
    while (this.queue.length === 0) await new Promise<void>((r) => { this.wake = r; });
    this.wake = null;
    return this.queue.shift()!;
  }
}
