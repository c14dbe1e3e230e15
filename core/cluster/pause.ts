// Pause detection for timeouts: a process whose event loop was blocked (a long synchronous
// listener, a GC pause, SIGSTOP) must not blame its peers for its own silence.

/** Checks run every `intervalMs`; one that comes much later than that means this process was paused. */
export class PauseDetector {
  private last = Date.now();
  constructor(private readonly intervalMs: number) {}

  /** How long this process was paused since the previous check (0 when this check is on time). */
  check(now: number): number {
    const late = now - this.last - this.intervalMs;
    this.last = now;
    return late > this.intervalMs ? late : 0;
  }
}
