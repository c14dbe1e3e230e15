// Cache: the input's partitions are kept in the block stores by the first job that computes them and read by later jobs (df.cache()).
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export interface Cache {
  readonly kind: 'cache';
  readonly input: LogicalPlan;
  /**
   * The session's id for the cached data ([A-Za-z0-9_-]). Rules MUST NOT move anything across a
   * Cache node (filters, limits, column pruning): every job must plan the same input below it,
   * or the partitions kept by one job would not be the rows another expects.
   */
  readonly id: string;
  /** Shown in explain() and the web UI's storage page. */
  readonly name: string;
  readonly schema: readonly FieldJSON[];
}

export function cache(input: LogicalPlan, id: string, name: string): Cache {
  return Object.freeze({ kind: 'cache', input, id, name, schema: input.schema });
}
