// singleValue(x): a group's only value; a second row in the group is a DataError (a scalar subquery's rows).
import type * as arrow from 'apache-arrow';
import { DataError } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { growU8, type Accumulator } from './accumulator.ts';
import { FirstLastAccumulator } from './first-last.ts';

/**
 * What SQL asks of a scalar subquery (DuckDB's and Spark's run-time check): its value when it
 * returns one row, null for none, and an error for more. Every partial state row stands for at
 * least one input row, so a group met twice, raw or merged, has more than one.
 */
export class SingleValueAccumulator implements Accumulator {
  private readonly first: FirstLastAccumulator;
  private seen = new Uint8Array(64);

  constructor(type: TypeJSON) {
    this.first = new FirstLastAccumulator(true, type);
  }

  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    this.mark(ids, n, nGroups);
    this.first.update(ids, n, arg, nGroups);
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.mark(ids, n, nGroups);
    this.first.merge(ids, n, state, nGroups);
  }

  private mark(ids: Int32Array, n: number, nGroups: number): void {
    const seen = (this.seen = growU8(this.seen, nGroups));
    for (let i = 0; i < n; i++) {
      if (seen[ids[i]]) throw new DataError('a scalar subquery returned more than one row; add an aggregate, a LIMIT 1 or a condition that keeps one row');
      seen[ids[i]] = 1;
    }
  }

  state(nGroups: number): arrow.Data[] { return this.first.state(nGroups); }
  finish(nGroups: number): arrow.Data { return this.first.finish(nGroups); }
  bytes(): number { return this.first.bytes() + this.seen.byteLength; }
}
