// Values: an in-memory table (createDataFrame), held by the driver under a resource id.
import type { FieldJSON } from '../../ops/types.ts';

export interface Values {
  readonly kind: 'values';
  /** Resource id of the table in the session's registry; partitions are `${id}/${i}`. */
  readonly id: string;
  readonly partitions: number;
  readonly rows: number;
  readonly bytes: number;
  readonly schema: readonly FieldJSON[];
}

export function values(id: string, schema: readonly FieldJSON[], partitions: number, rows: number, bytes: number): Values {
  return Object.freeze({ kind: 'values', id, partitions, rows, bytes, schema });
}
