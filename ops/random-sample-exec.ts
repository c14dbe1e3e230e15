// RandomSampleExec: keeps each row with probability `fraction` (Bernoulli), or repeats it a Poisson(fraction) number of times (with replacement).
import type * as arrow from 'apache-arrow';
import { fmix32 } from './compute/hash.ts';
import { mulberry32 } from './compute/random.ts';
import { takeBatch } from './compute/take.ts';
import { PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';

export interface RandomSampleOptions {
  readonly fraction: number;
  readonly withReplacement: boolean;
  /** An integer; with the partition number it seeds the partition's generator. */
  readonly seed: number;
}

/** Past this many expected copies, Knuth's product method for a Poisson draw is slow and loses precision. */
const MAX_POISSON_MEAN = 64;

/**
 * Spark's df.sample per partition. The generator is seeded from (seed, partition) and draws one
 * number per row in the partition's order (a Poisson draw: one or more), so the same input
 * partition gives the same rows on every run and retry, whatever the batch sizes. Rows that
 * are all kept pass through untouched; batches with none kept are skipped.
 */
export class RandomSampleExec implements ExecPlan {
  readonly name = 'RandomSampleExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];

  constructor(readonly opts: RandomSampleOptions, readonly child: ExecPlan) {
    const f = opts.fraction;
    if (!(f >= 0) || (!opts.withReplacement && f > 1) || f > MAX_POISSON_MEAN) {
      throw new PlanError(`sample: fraction ${f} is out of range: [0, 1] without replacement, [0, ${MAX_POISSON_MEAN}] with`);
    }
    this.schema = child.schema;
    this.children = [child];
  }

  display(): string {
    return `RandomSampleExec: fraction=${this.opts.fraction} withReplacement=${this.opts.withReplacement} seed=${this.opts.seed}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const { fraction, withReplacement, seed } = this.opts;
    const hi = Math.floor(seed / 2 ** 32) | 0;
    const rand = mulberry32(fmix32((seed >>> 0) ^ fmix32(hi ^ 0x5bd1e995) ^ fmix32(partition + 0x9e3779b9)));
    const limit = Math.exp(-fraction);
    for await (const batch of this.child.execute(partition, ctx)) {
      const n = batch.numRows;
      if (n === 0) continue;
      let keep = new Int32Array(withReplacement ? Math.max(16, Math.ceil(n * fraction * 1.5)) : n);
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (!withReplacement) {
          if (rand() < fraction) keep[m++] = i;
          continue;
        }
        // Knuth: the number of uniforms whose running product stays above e^-fraction.
        let k = 0;
        for (let p = rand(); p > limit; p *= rand()) k++;
        if (m + k > keep.length) { const b = new Int32Array(Math.max(m + k, keep.length * 2)); b.set(keep.subarray(0, m)); keep = b; }
        for (let j = 0; j < k; j++) keep[m++] = i;
      }
      if (m === 0) continue;
      if (m === n && !withReplacement) { yield batch; continue; }
      yield takeBatch(batch, keep.subarray(0, m));
    }
  }
}
