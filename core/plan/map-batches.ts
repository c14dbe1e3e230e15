// MapBatches: a user function over each RecordBatch, loaded by every worker as { module, export }.
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

/** Where executors load user code from: never code carried over the network. */
export interface UdfRef {
  /** Absolute path or package specifier importable by every worker. */
  readonly module: string;
  readonly export: string;
}

export interface MapBatches {
  readonly kind: 'mapBatches';
  readonly input: LogicalPlan;
  readonly udf: UdfRef;
  /** Output schema the UDF promises; checked on every batch it returns. */
  readonly schema: readonly FieldJSON[];
  /** JSON options passed to the UDF as its second argument. */
  readonly options: Readonly<Record<string, unknown>>;
}

export function mapBatches(input: LogicalPlan, udf: UdfRef, schema: readonly FieldJSON[], options: Readonly<Record<string, unknown>> = {}): MapBatches {
  return Object.freeze({ kind: 'mapBatches', input, udf, schema, options });
}
