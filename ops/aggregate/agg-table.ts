// AggTable: a KeyTable of group keys plus one Accumulator per aggregate; the in-memory core of HashAggregateExec.
import type * as arrow from 'apache-arrow';
import { KeyTable } from '../compute/key-table.ts';
import type { Accumulator } from './accumulator.ts';
import type { AggSpec } from './agg-spec.ts';
import { makeAccumulator } from './make-accumulator.ts';

export class AggTable {
  private readonly keys: KeyTable | null;
  private readonly accs: Accumulator[];
  private ids = new Int32Array(0);
  /** Groups when there are no group keys: 0 until a row arrives, then 1. */
  private globalGroups = 0;

  /**
   * `keyTypes` MUST be the output types of the group columns (keysData() returns them);
   * `capacity`: groups expected, when known (a table for one batch), so the key table does not rehash on the way.
   */
  constructor(keyTypes: readonly arrow.DataType[], readonly specs: readonly AggSpec[], capacity = 0) {
    this.keys = keyTypes.length ? new KeyTable(keyTypes, { nullKeys: 'group', capacity }) : null;
    this.accs = specs.map(makeAccumulator);
  }

  /** Number of groups. */
  get size(): number {
    return this.keys ? this.keys.size : this.globalGroups;
  }

  /** Raw rows: group key columns and one argument per aggregate (null for countStar). */
  update(keyCols: readonly arrow.Data[], args: readonly (arrow.Data | null)[], n: number): void {
    if (n === 0) return;
    const ids = this.groupIds(keyCols, n);
    const g = this.size;
    for (let a = 0; a < this.accs.length; a++) this.accs[a].update(ids, n, args[a], g);
  }

  /** Partial-state rows: group key columns and each aggregate's state columns. */
  merge(keyCols: readonly arrow.Data[], states: readonly (readonly arrow.Data[])[], n: number): void {
    if (n === 0) return;
    const ids = this.groupIds(keyCols, n);
    const g = this.size;
    for (let a = 0; a < this.accs.length; a++) this.accs[a].merge(ids, n, states[a], g);
  }

  /** Makes the single global group exist (no group keys): aggregates of empty input have one row. */
  ensureGlobalGroup(): void {
    if (!this.keys) this.globalGroups = 1;
  }

  /** Estimated bytes held, compared with ctx.memoryBudget. */
  bytes(): number {
    let n = (this.keys?.estimatedBytes() ?? 0) + this.ids.byteLength;
    for (const a of this.accs) n += a.bytes();
    return n;
  }

  /** Group key columns, then every aggregate's state columns (the partial schema's order). */
  stateColumns(): arrow.Data[] {
    const g = this.size;
    return [...(this.keys?.keysAsData() ?? []), ...this.accs.flatMap((a) => a.state(g))];
  }

  /** Group key columns, then every aggregate's final value. */
  finalColumns(): arrow.Data[] {
    const g = this.size;
    return [...(this.keys?.keysAsData() ?? []), ...this.accs.map((a) => a.finish(g))];
  }

  private groupIds(keyCols: readonly arrow.Data[], n: number): Int32Array {
    if (this.ids.length < n) this.ids = new Int32Array(Math.max(n, 1024));
    if (!this.keys) {
      this.globalGroups = 1;
      return this.ids.fill(0, 0, n);
    }
    return this.keys.insert(keyCols, n, this.ids);
  }
}

/** The partial state of each of n raw rows as its own group (partial aggregation skipped): one state row per input row. */
export function rowStates(specs: readonly AggSpec[], args: readonly (arrow.Data | null)[], n: number): arrow.Data[] {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return specs.flatMap((s, a) => {
    const acc = makeAccumulator(s);
    acc.update(ids, n, args[a], n);
    return acc.state(n);
  });
}
