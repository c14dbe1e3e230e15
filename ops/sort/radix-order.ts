// Radix order: the stable sort permutation of numeric keys by an LSD radix sort over 16-bit digits.
//
// Each key becomes 64 bits whose unsigned order is the key's order (float64 bits with the sign
// folded, int64 with its sign bit flipped, every bit inverted for a descending key), sorted a
// 16-bit digit at a time from the least significant digit of the last key to the most
// significant digit of the first; a digit every row shares costs one counting pass and no
// scatter. Nulls are one more digit per nullable key (0 or 1, by NULLS FIRST/LAST) above its
// value digits. Every pass is stable, so ties keep row order. Linear in rows, against the two
// native sorts and a binary search per row of the packed path.
import { KeyTag, type KeyColumn, type SortOrder } from './sort-keys.ts';

const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;

/** Rows from which the radix sort pays for its 64 Ki-bucket counts (below, the other paths are faster). */
export const RADIX_MIN_ROWS = 4096;

/**
 * The permutation that sorts rows [0, n) of `keys` (stable), or null when a key is not numeric
 * (strings and binary sort by the comparator).
 */
export function radixOrder(orders: readonly SortOrder[], keys: readonly KeyColumn[], n: number): Int32Array | null {
  for (const k of keys) if (k.tag === KeyTag.Bytes) return null;
  const sorter = new RadixSorter(n);
  const words = new Uint32Array(2 * n);
  for (let k = keys.length - 1; k >= 0; k--) {
    const key = keys[k];
    const order = orders[k];
    if (key.tag === KeyTag.F64 || key.tag === KeyTag.Big) {
      sortableWords(key, order.ascending, words);
      // Little-endian words: word 2i is the low half of row i's 64 bits, 2i+1 the high half.
      for (const [word, shift] of [[0, 0], [0, 16], [1, 0], [1, 16]] as const) sorter.passWords(words, word, shift);
    }
    if (key.valid !== null) sorter.passFlags(key.valid, order.nullsFirst);
  }
  return sorter.order;
}

/** Row i's key as two little-endian 32-bit words whose unsigned order is the key's (null rows all zero). */
function sortableWords(key: KeyColumn & { tag: KeyTag.F64 | KeyTag.Big }, ascending: boolean, words: Uint32Array): void {
  const n = words.length >> 1;
  const valid = key.valid;
  const flip = ascending ? 0 : 0xffffffff;
  if (key.tag === KeyTag.F64) {
    const f = new Float64Array(words.buffer, words.byteOffset, n);
    const src = key.values;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      // -0 equals 0, and every NaN is one value (greater than every number).
      f[i] = v === 0 ? 0 : v !== v ? NaN : v;
    }
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1];
      if (hi & 0x80000000) {
        words[2 * i + 1] = ~hi ^ flip;
        words[2 * i] = ~words[2 * i] ^ flip;
      } else {
        words[2 * i + 1] = (hi | 0x80000000) ^ flip;
        words[2 * i] ^= flip;
      }
    }
  } else {
    const src = key.values;
    new BigInt64Array(words.buffer, words.byteOffset, n).set(src instanceof BigInt64Array ? src : new BigInt64Array(src.buffer, src.byteOffset, n));
    const sign = src instanceof BigInt64Array ? 0x80000000 : 0;
    for (let i = 0; i < n; i++) {
      words[2 * i + 1] = (words[2 * i + 1] ^ sign) ^ flip;
      words[2 * i] ^= flip;
    }
  }
  if (valid !== null) for (let i = 0; i < n; i++) if (!valid[i]) { words[2 * i] = 0; words[2 * i + 1] = 0; }
}

/** The permutation under construction, one stable counting-sort pass at a time. */
class RadixSorter {
  order: Int32Array;
  private spare: Int32Array;
  private readonly digits: Uint16Array;
  private readonly counts = new Int32Array(BUCKETS);

  constructor(private readonly n: number) {
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.spare = new Int32Array(n);
    this.digits = new Uint16Array(n);
  }

  /** One pass over the 16 bits at `shift` of word `word` (0 low, 1 high) of each row. */
  passWords(words: Uint32Array, word: 0 | 1, shift: 0 | 16): void {
    const { n, digits } = this;
    for (let i = 0; i < n; i++) digits[i] = words[2 * i + word] >>> shift;
    this.pass(BUCKETS);
  }

  /** One pass over a null flag: nulls (valid 0) before or after the rest. */
  passFlags(valid: Uint8Array, nullsFirst: boolean): void {
    const { n, digits } = this;
    const nullDigit = nullsFirst ? 0 : 1;
    for (let i = 0; i < n; i++) digits[i] = valid[i] ? 1 - nullDigit : nullDigit;
    this.pass(2);
  }

  /** A stable counting sort of `order` by `digits` (indexed by row), skipped when every row has the same digit. */
  private pass(buckets: number): void {
    const { n, digits, counts } = this;
    counts.fill(0, 0, buckets);
    for (let i = 0; i < n; i++) counts[digits[i]]++;
    if (counts[digits[0]] === n) return;
    let at = 0;
    for (let d = 0; d < buckets; d++) { const c = counts[d]; counts[d] = at; at += c; }
    const from = this.order, to = this.spare;
    for (let i = 0; i < n; i++) {
      const r = from[i];
      to[counts[digits[r]]++] = r;
    }
    this.order = to;
    this.spare = from;
  }
}
