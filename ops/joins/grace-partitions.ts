// Grace hash join partitioning: both join inputs hash-partitioned into spill files, joined one partition at a time.
//
// A task's rows already share their shuffle hash modulo the shuffle's partition count, so the
// spill partition of a row MUST NOT be a function of that remainder alone: graceSlots rehashes
// the row hash (ops/compute/hash.ts hashColumns) through fmix32 with a seed per level, which
// spreads rows of one shuffle partition evenly and spreads them anew at every level.
import * as arrow from 'apache-arrow';
import { batchBytes, concatBatches, makeBatch } from '../compute/batch.ts';
import { fmix32, hashColumns, nullBits } from '../compute/hash.ts';
import { takeBatch } from '../compute/take.ts';
import type { TaskContext } from '../exec-plan.ts';
import { SpillFile, type SpillWriter } from '../spill.ts';

/**
 * Spill partitions of the first round, and at most of any later one (a later round knows the
 * size it splits and uses fewer: each costs two files to write and read back).
 */
export const GRACE_FANOUT = 16;
/**
 * Partitioning rounds before a partition that still does not fit is declared skewed: 16^3 =
 * 4096-fold reduction. Past it the rows share one key (or a handful): no seed can split them.
 */
export const GRACE_MAX_LEVELS = 3;

/** The seed of round `level`: distinct per level, and distinct from the shuffle's (none). */
function levelSeed(level: number): number {
  return Math.imul(level + 1, 0x9e3779b9) ^ 0x6a09e667;
}

/**
 * The spill partition (0..fanout-1) of rows [0, n) of the (aligned) key columns `keys` in
 * round `level`. Rows with a null key never match, so they need not meet their equals:
 * they go round robin from `nullStart`, so that many nulls do not look like one skewed key.
 * Equal keys of different numeric types land together (hashColumns hashes numbers by value).
 */
export function graceSlots(keys: readonly arrow.Data[], n: number, level: number, nullStart: number, fanout = GRACE_FANOUT): Int32Array {
  const h = hashColumns(keys, n);
  const seed = levelSeed(level);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = fmix32(h[i] ^ seed) % fanout;
  let next = nullStart;
  const isNull = nullRows(keys, n);
  if (isNull) for (let i = 0; i < n; i++) if (isNull[i]) out[i] = next++ % fanout;
  return out;
}

/** 1 for each row with a null in some key column; null when no row has one. */
function nullRows(keys: readonly arrow.Data[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const d of keys) {
    if (d.typeId === arrow.Type.Null) return new Uint8Array(n).fill(1);
    const bits = nullBits(d);
    if (!bits) continue;
    out ??= new Uint8Array(n);
    for (let i = 0; i < n; i++) { const j = d.offset + i; if ((bits[j >> 3] & (1 << (j & 7))) === 0) out[i] = 1; }
  }
  return out;
}

/**
 * One join input split into `fanout` spill partitions, one spill file each. Batches are
 * buffered per partition and appended to the files (one IPC batch per partition) whenever the
 * buffers together pass `flushAt` bytes, so memory stays under flushAt plus one input batch.
 * Every file MUST be deleted (deleteAll, in a `finally`), or it outlives the task until its
 * spill directory is removed.
 */
export class GracePartitions {
  /** Rows and in-memory bytes (batchBytes) added to each partition so far. */
  readonly rows: number[];
  readonly bytes: number[];
  private readonly writers: (SpillWriter | null)[];
  private readonly files: (SpillFile | null)[];
  private buffers: arrow.RecordBatch[][];
  private buffered = 0;
  private nulls = 0;

  /** `keysOf` gives the aligned key columns of a batch; both join inputs MUST align alike. */
  constructor(readonly schema: arrow.Schema, readonly level: number, private readonly keysOf: (b: arrow.RecordBatch) => arrow.Data[],
    private readonly ctx: TaskContext, private readonly flushAt: number, readonly fanout = GRACE_FANOUT) {
    this.rows = new Array(fanout).fill(0);
    this.bytes = new Array(fanout).fill(0);
    this.writers = new Array(fanout).fill(null);
    this.files = new Array(fanout).fill(null);
    this.buffers = Array.from({ length: fanout }, () => []);
  }

  async add(b: arrow.RecordBatch): Promise<void> {
    const n = b.numRows;
    if (n === 0) return;
    const fanout = this.fanout;
    const slots = graceSlots(this.keysOf(b), n, this.level, this.nulls, fanout);
    this.nulls += n;
    const start = new Int32Array(fanout + 1);
    for (let i = 0; i < n; i++) start[slots[i] + 1]++;
    for (let k = 0; k < fanout; k++) start[k + 1] += start[k];
    const order = new Int32Array(n);
    const fill = start.slice(0, fanout);
    for (let i = 0; i < n; i++) order[fill[slots[i]]++] = i;
    for (let k = 0; k < fanout; k++) {
      const len = start[k + 1] - start[k];
      if (len === 0) continue;
      const part = len === n ? b : takeBatch(b, order.subarray(start[k], start[k + 1]));
      const bytes = batchBytes(part);
      this.buffers[k].push(part);
      this.rows[k] += len;
      this.bytes[k] += bytes;
      this.buffered += bytes;
    }
    if (this.buffered > this.flushAt) await this.flush();
  }

  /** Writes what is still buffered and closes the files; call once after the last add. */
  async finish(): Promise<void> {
    await this.flush();
    for (let k = 0; k < this.fanout; k++) {
      const w = this.writers[k];
      if (!w) continue;
      this.files[k] = await w.finish();
      this.writers[k] = null;
      this.ctx.metrics.add('spills', 1);
      this.ctx.metrics.add('spillBytes', this.files[k]!.bytes);
    }
  }

  /** Partition k's batches (after finish), in the order they were added. */
  async *read(k: number): AsyncGenerator<arrow.RecordBatch> {
    const file = this.files[k];
    if (file) yield* file.read();
  }

  /** Partition k (after finish) read whole into one batch. */
  async load(k: number): Promise<arrow.RecordBatch> {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of this.read(k)) {
      this.ctx.signal?.throwIfAborted();
      batches.push(b);
    }
    return concatBatches(this.schema, batches);
  }

  /** Deletes partition k's file. */
  async delete(k: number): Promise<void> {
    const w = this.writers[k], f = this.files[k];
    this.writers[k] = null;
    this.files[k] = null;
    this.buffers[k] = [];
    await Promise.all([w?.abort(), f?.delete()]);
  }

  async deleteAll(): Promise<void> {
    await Promise.all(this.files.map((_, k) => this.delete(k)));
  }

  private async flush(): Promise<void> {
    for (let k = 0; k < this.fanout; k++) {
      const batches = this.buffers[k];
      if (batches.length === 0) continue;
      this.buffers[k] = [];
      this.writers[k] ??= await SpillFile.open(this.ctx.spillDir, this.schema);
      // Exactly this input's schema: an IPC writer closes the stream on any schema difference.
      const b = concatBatches(this.schema, batches);
      this.writers[k]!.write(makeBatch(this.schema, b.data.children, b.numRows));
    }
    this.buffered = 0;
  }
}

/** What graceJoin needs from the join operator. */
export interface GraceJoinSteps<T> {
  readonly ctx: TaskContext;
  /** How many parts a build partition of `rows` rows and `bytes` bytes (batchBytes) must be split into to fit in memory with its table (1: it fits). */
  partsNeeded(rows: number, bytes: number): number;
  /** Whether a partition with no build rows still needs its probe rows (outer and anti joins). */
  readonly probeWithoutBuild: boolean;
  /** A new, empty partitioning of the build or the probe input for round `level`. */
  partitions(side: 'build' | 'probe', level: number, fanout: number): GracePartitions;
  /** Makes a loaded build partition ready to probe (its hash table); null when that is over budget. */
  prepare(build: arrow.RecordBatch): T | null;
  /** Joins one prepared build partition with its probe rows. */
  join(prepared: T, probe: AsyncIterable<arrow.RecordBatch>): AsyncIterable<arrow.RecordBatch>;
  /** The error for a partition still over budget after GRACE_MAX_LEVELS rounds; `sample` is its first build batch. */
  skewed(sample: arrow.RecordBatch, rows: number, bytes: number): Error;
}

/**
 * Joins spilled `build` and `probe` (partitioned alike in round build.level) one partition at
 * a time; a partition whose build rows do not fit is split again with the next round's seed.
 * Deletes every file of `build` and `probe` (and of any further round) however it ends.
 */
export async function* graceJoin<T>(build: GracePartitions, probe: GracePartitions, steps: GraceJoinSteps<T>): AsyncGenerator<arrow.RecordBatch> {
  const { ctx } = steps;
  try {
    for (let k = 0; k < build.fanout; k++) {
      ctx.signal?.throwIfAborted();
      if (build.rows[k] === 0 && !steps.probeWithoutBuild) { await Promise.all([build.delete(k), probe.delete(k)]); continue; }
      let prepared: T | null = null;
      const need = steps.partsNeeded(build.rows[k], build.bytes[k]);
      if (need <= 1) prepared = steps.prepare(await build.load(k));
      if (prepared !== null) {
        await build.delete(k);
        yield* steps.join(prepared, probe.read(k));
        await probe.delete(k);
        continue;
      }
      if (build.level + 1 >= GRACE_MAX_LEVELS) {
        let sample: arrow.RecordBatch | null = null;
        for await (const b of build.read(k)) { sample = b; break; }
        throw steps.skewed(sample!, build.rows[k], build.bytes[k]);
      }
      // Twice the parts it needs, as hashing does not split evenly; a table over budget needs a few.
      const fanout = Math.min(GRACE_FANOUT, Math.max(4, 2 * need));
      const subBuild = steps.partitions('build', build.level + 1, fanout);
      const subProbe = steps.partitions('probe', build.level + 1, fanout);
      ctx.metrics.add('joinSpillPartitions', fanout);
      try {
        await repartition(build, k, subBuild);
        await repartition(probe, k, subProbe);
      } catch (e) {
        await Promise.all([subBuild.deleteAll(), subProbe.deleteAll()]);
        throw e;
      }
      yield* graceJoin(subBuild, subProbe, steps);
    }
  } finally {
    await Promise.all([build.deleteAll(), probe.deleteAll()]);
  }
}

/** Moves partition k of `from` into `to` (the next round), deleting k's files. */
async function repartition(from: GracePartitions, k: number, to: GracePartitions): Promise<void> {
  for await (const b of from.read(k)) await to.add(b);
  await to.finish();
  await from.delete(k);
}
