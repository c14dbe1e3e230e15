// Arena planning for the fast CPU runner: byte offsets for buffers with known sizes and lifetimes, buffers alive at the same step never overlapping.

/** A buffer alive from step `first` to step `last` (inclusive) that needs `bytes`. */
export interface ArenaRequest {
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
}

/** Rounds up to a multiple of 64 (a cache line). */
const line = (b: number): number => (b + 63) & ~63;

/**
 * Places every request (largest first, each at the lowest offset clear of the placed ones
 * whose lifetimes overlap it: TFLite's greedy-by-size plan). Returns the offsets, in request
 * order, and the arena's size. Each buffer is followed by at least 64 bytes no other buffer
 * alive with it uses, so vector over-reads past a buffer's end stay harmless.
 */
export function planArena(reqs: readonly ArenaRequest[]): { offsets: number[]; size: number } {
  const order = reqs.map((_, i) => i).sort((a, b) => reqs[b].bytes - reqs[a].bytes || a - b);
  const offsets = new Array<number>(reqs.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const r = reqs[i], need = line(r.bytes) + 64;
    const busy = placed
      .filter((j) => reqs[j].first <= r.last && r.first <= reqs[j].last)
      .map((j) => [offsets[j], offsets[j] + line(reqs[j].bytes) + 64] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [s, e] of busy) {
      if (at + need <= s) break;
      at = Math.max(at, e);
    }
    offsets[i] = at;
    placed.push(i);
    size = Math.max(size, at + need);
  }
  return { offsets, size };
}
