// The stable sort permutation of one batch's keys: a radix sort of numeric keys (ops/sort/radix-order.ts),
// for fewer rows a packed native sort when it fits, else a comparator.
//
// Comparator sorts in JS cost a function call per comparison. When every key can be replaced
// by an integer rank (numbers, bools, dates, timestamps; not strings), the ranks and the row
// index are packed into one float64 below 2^53 and sorted by the engine's native numeric
// sort: the index in the low bits makes the order stable and is read back from the result.
import { RADIX_MIN_ROWS, radixOrder } from './radix-order.ts';
import { cmpF64, compareRows, KeyTag, type KeyColumn, type SortOrder } from './sort-keys.ts';

const MAX_EXACT = 2 ** 53;

/** Which algorithm sorts: 'auto' picks by row count and key types; the others force one where it applies (tests compare them). */
export type SortPath = 'auto' | 'radix' | 'packed' | 'compare';

/** The permutation that sorts rows [0, n) of `keys` (stable: ties keep row order). */
export function sortIndices(orders: readonly SortOrder[], keys: readonly KeyColumn[], n: number, path: SortPath = 'auto'): Int32Array {
  if (orders.length > 0 && n > 1) {
    if (path === 'radix' || (path === 'auto' && n >= RADIX_MIN_ROWS)) {
      const order = radixOrder(orders, keys, n);
      if (order) return order;
    }
    if (path === 'packed' || path === 'auto') {
      const order = packedOrder(orders, keys, n);
      if (order) return order;
    }
  }
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (orders.length === 0) return idx;
  return idx.sort((x, y) => compareRows(orders, keys, x, keys, y) || x - y);
}

/** Ranks of one key: rank[i] in [0, card), ordered as the key orders rows (direction and nulls applied). */
interface Ranks {
  readonly rank: Float64Array;
  readonly card: number;
}

function packedOrder(orders: readonly SortOrder[], keys: readonly KeyColumn[], n: number): Int32Array | null {
  const idxSpan = 2 ** Math.ceil(Math.log2(n));
  let span = idxSpan;
  const ranks: Ranks[] = [];
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    if (key.tag === KeyTag.Bytes) return null;
    if (key.tag === KeyTag.AllNull) continue;
    const r = rankKey(key, orders[k], n);
    span *= r.card;
    if (span > MAX_EXACT) return null;
    ranks.push(r);
  }
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let k = 0; k < ranks.length; k++) c = c * ranks[k].card + ranks[k].rank[i];
    packed[i] = c * idxSpan + i;
  }
  packed.sort();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = packed[i] % idxSpan;
  return out;
}

function rankKey(key: KeyColumn & { tag: KeyTag.F64 | KeyTag.Big }, order: SortOrder, n: number): Ranks {
  const valid = key.valid;
  const r = key.tag === KeyTag.F64 ? rankF64(key.values, valid, n) : rankBig(key.values, valid, n);
  const { rank } = r;
  let card = r.card;
  if (!order.ascending) for (let i = 0; i < n; i++) rank[i] = card - 1 - rank[i];
  if (valid !== null) {
    // One more rank for null, before or after every value.
    if (order.nullsFirst) for (let i = 0; i < n; i++) rank[i] = valid[i] ? rank[i] + 1 : 0;
    else for (let i = 0; i < n; i++) if (!valid[i]) rank[i] = card;
    card++;
  }
  return { rank, card };
}

/** Ascending ranks of valid rows (null rows get 0, fixed up by the caller). */
function rankF64(values: Float64Array, valid: Uint8Array | null, n: number): Ranks {
  let min = Infinity, max = -Infinity, integral = true;
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    const v = values[i];
    if (!Number.isInteger(v)) { integral = false; break; }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const rank = new Float64Array(n);
  if (integral && min <= max && max - min < 4 * n + 1024) {
    // Small integer range (ints, dates, bools): the offset from the minimum is a rank.
    for (let i = 0; i < n; i++) rank[i] = valid !== null && !valid[i] ? 0 : values[i] - min;
    return { rank, card: max - min + 1 };
  }
  // Dense ranks: sort the distinct values natively, then binary-search each row.
  const vs = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (valid === null || valid[i]) vs[m++] = values[i];
  const sorted = vs.subarray(0, m).sort();
  let u = 0;
  for (let i = 0; i < m; i++) if (u === 0 || cmpF64(sorted[u - 1], sorted[i]) !== 0) sorted[u++] = sorted[i];
  const uniq = sorted.subarray(0, u);
  // The native sort puts NaN last; it ranks after every number, as the order wants.
  const nanRank = u > 0 && Number.isNaN(uniq[u - 1]) ? u - 1 : -1;
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    const v = values[i];
    if (v !== v) { rank[i] = nanRank; continue; }
    let lo = 0, hi = nanRank >= 0 ? nanRank : u;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (uniq[mid] < v) lo = mid + 1; else hi = mid; }
    rank[i] = lo;
  }
  return { rank, card: Math.max(u, 1) };
}

function rankBig(values: BigInt64Array | BigUint64Array, valid: Uint8Array | null, n: number): Ranks {
  const vs = new (values.constructor as BigInt64ArrayConstructor)(n) as BigInt64Array | BigUint64Array;
  let m = 0;
  for (let i = 0; i < n; i++) if (valid === null || valid[i]) vs[m++] = values[i];
  const sorted = vs.subarray(0, m).sort();
  let u = 0;
  for (let i = 0; i < m; i++) if (u === 0 || sorted[u - 1] !== sorted[i]) sorted[u++] = sorted[i];
  const rank = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    const v = values[i];
    let lo = 0, hi = u;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < v) lo = mid + 1; else hi = mid; }
    rank[i] = lo;
  }
  return { rank, card: Math.max(u, 1) };
}
