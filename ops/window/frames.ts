// Window partitions, peer groups and frame bounds over rows already sorted by partition keys, then order keys.
import type { WindowFrame } from '../expr/window-spec.ts';
import { compareRows, type KeyColumn, type SortOrder } from '../sort/sort-keys.ts';

/** Rows [start, end) of one window partition. */
export interface Segment {
  readonly start: number;
  readonly end: number;
}

/** Peer groups: rows with equal order keys; each row's group is [peerStart[i], peerEnd[i]). */
export interface Peers {
  readonly peerStart: Int32Array;
  readonly peerEnd: Int32Array;
}

/** The window partitions of `n` sorted rows: a new one wherever a partition key changes. */
export function segmentsOf(keys: readonly KeyColumn[], orders: readonly SortOrder[], n: number): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || (keys.length > 0 && compareRows(orders, keys, i - 1, keys, i) !== 0)) {
      if (i > start) out.push({ start, end: i });
      start = i;
    }
  }
  return out;
}

/** Peer groups within each segment (no order keys: the whole segment is one group). */
export function peersOf(segments: readonly Segment[], keys: readonly KeyColumn[], orders: readonly SortOrder[], n: number): Peers {
  const peerStart = new Int32Array(n), peerEnd = new Int32Array(n);
  for (const { start, end } of segments) {
    let g = start;
    for (let i = start + 1; i <= end; i++) {
      if (i === end || (keys.length > 0 && compareRows(orders, keys, i - 1, keys, i) !== 0)) {
        for (let j = g; j < i; j++) { peerStart[j] = g; peerEnd[j] = i; }
        g = i;
      }
    }
  }
  return { peerStart, peerEnd };
}

/** The single order key of a RANGE frame with value offsets, as numbers (dates in days, timestamps in ms). */
export interface RangeKey {
  readonly values: Float64Array;
  readonly valid: Uint8Array | null;
  readonly ascending: boolean;
}

/** Each row's frame [lo[i], hi[i]); hi >= lo, and both never decrease within a segment (WindowExec's sliding aggregates rely on it). */
export interface FrameBounds {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/**
 * Frame bounds of every row. ROWS offsets count rows, clamped to the segment. RANGE: 0 is the
 * row's peer group; an offset selects the non-null keys within [key + start, key + end]
 * (descending: [key - end, key - start]); a row whose key is null frames its null peers.
 * GROUPS offsets count peer groups (clamped to the segment; 0 is the row's group). Unbounded
 * ends are the segment's. `key` MUST be given for RANGE frames with offsets.
 */
export function frameBounds(frame: WindowFrame, segments: readonly Segment[], peers: Peers, key: RangeKey | null, n: number): FrameBounds {
  const lo = new Int32Array(n), hi = new Int32Array(n);
  const { peerStart, peerEnd } = peers;
  for (const { start: ps, end: pe } of segments) {
    let nnS = ps, nnE = pe;
    if (key?.valid) {
      while (nnS < pe && !key.valid[nnS]) nnS++;
      nnE = nnS;
      while (nnE < pe && key.valid[nnE]) nnE++;
    }
    // GROUPS: the start row of each peer group of the segment, and each row's group number.
    const groupStarts: number[] = [];
    const groupOf = frame.unit === 'groups' ? new Int32Array(pe - ps) : null;
    if (groupOf) for (let i = ps; i < pe; i++) { if (peerStart[i] === i) groupStarts.push(i); groupOf[i - ps] = groupStarts.length - 1; }
    const groupEdge = (g: number): number => (g <= 0 ? ps : g >= groupStarts.length ? pe : groupStarts[g]);
    for (let i = ps; i < pe; i++) {
      let a: number, b: number;
      const s = frame.start, e = frame.end;
      if (frame.unit === 'rows') {
        a = s === 'unbounded' ? ps : Math.min(pe, Math.max(ps, i + s));
        b = e === 'unbounded' ? pe : Math.min(pe, Math.max(ps, i + e + 1));
      } else if (groupOf) {
        const g = groupOf[i - ps];
        a = s === 'unbounded' ? ps : groupEdge(g + s);
        b = e === 'unbounded' ? pe : groupEdge(g + e + 1);
      } else {
        const isNull = key !== null && key.valid !== null && !key.valid[i];
        a = s === 'unbounded' ? ps : s === 0 || isNull || key === null ? peerStart[i] : boundary(key, nnS, nnE, key.values[i], s, true);
        b = e === 'unbounded' ? pe : e === 0 || isNull || key === null ? peerEnd[i] : boundary(key, nnS, nnE, key.values[i], e, false);
      }
      lo[i] = a;
      hi[i] = Math.max(a, b);
    }
  }
  return { lo, hi };
}

/** First row in [from, to) inside the frame (start) or past it (end), by binary search over sorted non-null keys. */
function boundary(key: RangeKey, from: number, to: number, v: number, offset: number, start: boolean): number {
  const vals = key.values;
  const asc = key.ascending;
  const t = asc ? v + offset : v - offset;
  // Monotone predicate over the sorted keys: true from the answer on.
  const past = start
    ? (x: number) => (asc ? x >= t : x <= t)
    : (x: number) => (asc ? x > t : x < t);
  let l = from, r = to;
  while (l < r) {
    const m = (l + r) >>> 1;
    if (past(vals[m])) r = m;
    else l = m + 1;
  }
  return l;
}
