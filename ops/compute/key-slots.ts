// KeySlots: the open-addressing slot array of a KeyTable (linear probing, load <= 1/2), shared by its probe paths.
//
// A slot holds [group id + 1, hash]; 0 marks a free slot, so a fresh (zeroed) array is empty
// without a fill pass: a table sized for a large join build costs no time until it is touched.

/** Rows a vectorized probe guesses and settles at a time (see resolve). */
const RESOLVE_CHUNK = 4096;

/** Multiplier that spreads a hash over the slots (Fibonacci hashing: the top bits index). */
export const GOLDEN = 0x9e3779b1;

/** A lookup into at least this many groups first asks a bit filter of their hashes (see guess). */
const FILTER_MIN_GROUPS = 16_384;
/** Filter bits per group when it is made: about one absent key in nine passes it. */
const FILTER_BITS_PER_GROUP = 8;
/** Another multiplier for the filter's bit, so that it is not the slot index over again. */
const FILTER_MIX = 0x85ebca6b;

export class KeySlots {
  /** Interleaved [group id + 1, hash] per slot; read it anew after every add() (rehash replaces it). */
  slots: Int32Array;
  mask: number;
  /** 32 - log2(slot count): `Math.imul(hash, GOLDEN) >>> shift` is a hash's home slot. */
  shift: number;
  /** Each group's hash, in group order, for rehashing. */
  private hashes = new Int32Array(16);
  /** Number of groups. */
  count = 0;
  /**
   * One bit per FILTER_MIX-spread hash of every group (made by the first lookup into a big table,
   * kept up by add): a clear bit means no group has that hash. Null until then.
   */
  private filter: Int32Array | null = null;
  private filterShift = 0;
  /** Groups the filter was sized for: past twice that it is made anew, larger. */
  private filterGroups = 0;

  /** Room for `capacity` groups before the first rehash. */
  constructor(capacity = 0) {
    let cap = 64;
    while (cap < capacity * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  bytes(): number {
    return this.slots.byteLength + this.hashes.byteLength + (this.filter?.byteLength ?? 0);
  }

  /**
   * Claims free slot `idx` (where a probe for `hash` stopped) for a new group and returns its
   * id. Past half full the slots double: callers MUST re-read slots/mask/shift afterwards.
   */
  add(hash: number, idx: number): number {
    const g = this.count++;
    this.slots[2 * idx] = g + 1;
    this.slots[2 * idx + 1] = hash;
    if (this.filter !== null) this.setFilterBit(this.filter, hash);
    if (g >= this.hashes.length) {
      const h = new Int32Array(this.hashes.length * 2);
      h.set(this.hashes);
      this.hashes = h;
    }
    this.hashes[g] = hash;
    if (this.count * 2 > this.mask + 1) this.rehash();
    return g;
  }

  /**
   * Pass 2 of a vectorized probe: cand[i] = the group in the first or second slot of hash hs[i]
   * when that slot's hash matches (a guess; the caller confirms it by comparing keys), else -2.
   * Rows with cand[i] === -1 (settled: a null key that never matches) stay -1. Two slots: with
   * linear probing at load <= 1/2, a quarter of the keys sit one slot on. With `absent` (a
   * lookup, no groups added), a row whose chain ends in those two slots (the first free, or the
   * second free after another hash) is settled as -1: no group has its key, and no walk is needed;
   * in a table of FILTER_MIN_GROUPS or more, a row whose hash the bit filter lacks is settled so
   * before the slots (which no longer fit in cache) are read.
   */
  guess(hs: Int32Array, cand: Int32Array, n: number, absent = false): void {
    const slots = this.slots, shift = this.shift, mask = this.mask;
    const miss = absent ? -1 : -2;
    // A lookup into a big table asks the filter first: most absent keys are settled without touching the slots.
    const filter = absent && this.count >= FILTER_MIN_GROUPS ? this.hashFilter() : null;
    const fshift = this.filterShift;
    for (let i = 0; i < n; i++) {
      if (cand[i] === -1) continue;
      const hash = hs[i];
      if (filter !== null) {
        const b = Math.imul(hash, FILTER_MIX) >>> fshift;
        if ((filter[b >>> 5] & (1 << (b & 31))) === 0) { cand[i] = -1; continue; }
      }
      const idx = Math.imul(hash, GOLDEN) >>> shift;
      const g = slots[2 * idx] - 1;
      let guess = g < 0 ? miss : slots[2 * idx + 1] === hash ? g : -2;
      if (guess === -2 && g >= 0) {
        const idx2 = (idx + 1) & mask;
        const g2 = slots[2 * idx2] - 1;
        if (g2 < 0) guess = miss;
        else if (slots[2 * idx2 + 1] === hash) guess = g2;
      }
      cand[i] = guess;
    }
  }

  /**
   * Passes 2-4 of a vectorized probe, after pass 1 wrote each row's hash to hs and 0 to cand
   * (-1 for a row settled as absent: a null key that never matches): guess, confirm each guess
   * with `equals(g, i)`, settle the rest. ids[i] gets row i's group, or -1.
   */
  resolve(hs: Int32Array, cand: Int32Array, ids: Int32Array, n: number, add: boolean, equals: (g: number, i: number) => boolean, append: (g: number, i: number) => void): void {
    // In chunks, so that the slots a chunk's guesses loaded are still in cache when its rows settle.
    for (let from = 0; from < n; from += RESOLVE_CHUNK) {
      const to = Math.min(n, from + RESOLVE_CHUNK);
      this.guess(hs.subarray(from, to), cand.subarray(from, to), to - from, !add);
      for (let i = from; i < to; i++) {
        const g = cand[i];
        if (g >= 0) ids[i] = equals(g, i) ? g : -2;
        else ids[i] = g === -1 ? -1 : -2;
      }
      this.settle(hs, ids, from, to, add, equals, append);
    }
  }

  /**
   * Pass 4 of a vectorized probe: every row of [from, to) with ids[i] === -2 walks its chain from its home
   * slot; it gets the group where `equals(g, i)` holds, else (when `add`) a new group whose key
   * `append(g, i)` stores, else -1. Rows are taken in order, so new ids stay in first-seen order.
   */
  settle(hs: Int32Array, ids: Int32Array, from: number, to: number, add: boolean, equals: (g: number, i: number) => boolean, append: (g: number, i: number) => void): void {
    for (let i = from; i < to; i++) {
      if (ids[i] !== -2) continue;
      const hash = hs[i];
      const slots = this.slots, mask = this.mask;
      let idx = Math.imul(hash, GOLDEN) >>> this.shift;
      let found = -1;
      for (;;) {
        const g = slots[2 * idx] - 1;
        if (g < 0) break;
        if (slots[2 * idx + 1] === hash && equals(g, i)) { found = g; break; }
        idx = (idx + 1) & mask;
      }
      if (found < 0 && add) {
        found = this.add(hash, idx);
        append(found, i);
      }
      ids[i] = found;
    }
  }

  /**
   * A new group with this hash, recorded but not placed in a slot (a dense map finds it): the
   * slots are stale until placeAll(), and MUST NOT be probed before.
   */
  addDetached(hash: number): number {
    const g = this.count++;
    if (this.filter !== null) this.setFilterBit(this.filter, hash);
    if (g >= this.hashes.length) {
      const h = new Int32Array(this.hashes.length * 2);
      h.set(this.hashes);
      this.hashes = h;
    }
    this.hashes[g] = hash;
    return g;
  }

  /** The filter of the groups' hashes, made (or made larger) when missing or outgrown. */
  private hashFilter(): Int32Array {
    if (this.filter !== null && this.count <= 2 * this.filterGroups) return this.filter;
    let bits = 1024;
    while (bits < this.count * FILTER_BITS_PER_GROUP) bits *= 2;
    const filter = new Int32Array(bits >>> 5);
    this.filterShift = 32 - Math.log2(bits);
    this.filterGroups = this.count;
    for (let g = 0; g < this.count; g++) this.setFilterBit(filter, this.hashes[g]);
    this.filter = filter;
    return filter;
  }

  private setFilterBit(filter: Int32Array, hash: number): void {
    const b = Math.imul(hash, FILTER_MIX) >>> this.filterShift;
    filter[b >>> 5] |= 1 << (b & 31);
  }

  /** Places every group in fresh slots (after addDetached), with room to grow. */
  placeAll(): void {
    let cap = 64;
    while (cap < this.count * 2 + 2) cap *= 2;
    this.rehash(cap);
  }

  /** Room for `capacity` groups before the next rehash (one rehash now where there is less). */
  reserve(capacity: number): void {
    let cap = this.mask + 1;
    while (cap < capacity * 2) cap *= 2;
    if (cap > this.mask + 1) this.rehash(cap);
  }

  private rehash(cap = (this.mask + 1) * 2): void {
    const slots = new Int32Array(cap * 2);
    const mask = cap - 1;
    const shift = 32 - Math.log2(cap);
    const hashes = this.hashes;
    for (let g = 0; g < this.count; g++) {
      const hash = hashes[g];
      let idx = Math.imul(hash, GOLDEN) >>> shift;
      while (slots[2 * idx] !== 0) idx = (idx + 1) & mask;
      slots[2 * idx] = g + 1;
      slots[2 * idx + 1] = hash;
    }
    this.slots = slots;
    this.mask = mask;
    this.shift = shift;
  }
}
