// A first-come-first-served station with c identical servers, on one sample path: when each customer starts and leaves.

/**
 * Serves customers in order of `arrivals` (ascending; equal times in index order) on `c` servers,
 * each taking the next free server: customer i starts at max(arrival, earliest free server) and
 * leaves `services[i]` later. This is exactly what an event-driven simulation of a FCFS c-server
 * queue does, without the event list (a min-heap of server free times stands in for it).
 * `arrivals` MUST be sorted; the result's `end` is not (servers overtake each other).
 */
export function serveFcfs(arrivals: Float64Array, services: Float64Array, c: number): { start: Float64Array; end: Float64Array } {
  const n = arrivals.length;
  const start = new Float64Array(n), end = new Float64Array(n);
  const free = new Float64Array(c); // a binary min-heap of the times servers become free
  for (let i = 0; i < n; i++) {
    const s = Math.max(arrivals[i], free[0]);
    start[i] = s;
    end[i] = s + services[i];
    // Replace the root (the server just taken) and sift it down.
    free[0] = end[i];
    let at = 0;
    for (;;) {
      const l = 2 * at + 1, r = l + 1;
      let m = at;
      if (l < c && free[l] < free[m]) m = l;
      if (r < c && free[r] < free[m]) m = r;
      if (m === at) break;
      const t = free[at]; free[at] = free[m]; free[m] = t;
      at = m;
    }
  }
  return { start, end };
}

/** Indices of `times` in ascending order (stable): the order customers reach the next station. */
export function orderOf(times: Float64Array): Uint32Array {
  const idx = new Uint32Array(times.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => times[a] - times[b] || a - b);
}
