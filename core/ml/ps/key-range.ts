// Key-range sharding of a flat parameter vector: shard i owns the contiguous keys [from, to), sizes balanced to within one key.
import { PlanError } from '../../../ops/errors.ts';

export interface KeyRange {
  shard: number;
  from: number;
  to: number;
}

/**
 * Cuts keys [0, keys) into `shards` contiguous ranges whose sizes differ by at most one. Each
 * shard MUST hold at least one key: a server with nothing to serve is a configuration mistake.
 */
export function keyRanges(keys: number, shards: number): KeyRange[] {
  if (!Number.isInteger(shards) || shards < 1) throw new PlanError(`servers must be a whole number >= 1, got ${JSON.stringify(shards)}`);
  if (shards > keys) throw new PlanError(`servers: ${shards} shards for ${keys} parameters leaves some shard empty; use at most ${keys}`);
  const base = Math.floor(keys / shards), extra = keys % shards;
  const out: KeyRange[] = [];
  let at = 0;
  for (let i = 0; i < shards; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push({ shard: i, from: at, to: at + n });
    at += n;
  }
  return out;
}

/** The shard that owns `key` (binary search over the ranges). */
export function shardOf(ranges: readonly KeyRange[], key: number): number {
  let lo = 0, hi = ranges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ranges[mid].from <= key) lo = mid; else hi = mid - 1;
  }
  if (key < ranges[lo].from || key >= ranges[lo].to) throw new PlanError(`key ${key} is outside the parameter vector [0, ${ranges[ranges.length - 1].to})`);
  return lo;
}
