// The internal compiled-node contract shared by the evaluator and its kernels.
import type * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { validity } from './bits.ts';
import { numbersOf } from './num.ts';

/** A compiled sub-expression. `evaluate` MUST return Data of `type` with batch.numRows rows. */
export interface Node {
  readonly type: TypeJSON;
  /** The 1-row value when the expression reads no column (constant-folded), else null. */
  readonly constant: arrow.Data | null;
  evaluate(batch: arrow.RecordBatch): arrow.Data;
}

export function isConstNull(n: Node): boolean {
  return n.constant !== null && (n.type === 'null' || validity(n.constant) !== null);
}

/** The number held by a constant numeric/bool/temporal node (NaN when null). */
export function numberOf(n: Node): number {
  if (!n.constant) throw new InternalError('numberOf: not a constant');
  if (isConstNull(n)) return NaN;
  return numbersOf(n.constant)[0];
}

/** The UTF-8 bytes of a constant utf8 node, or null when it is null. */
export function utf8BytesOrNull(n: Node): Uint8Array | null {
  if (!n.constant) throw new InternalError('utf8BytesOf: not a constant');
  if (isConstNull(n)) return null;
  const offs = n.constant.valueOffsets as Int32Array;
  return (n.constant.values as Uint8Array).subarray(offs[0], offs[1]);
}

export function utf8BytesOf(n: Node): Uint8Array {
  return utf8BytesOrNull(n) ?? new Uint8Array(0);
}

/** The JS string of a constant utf8 node, or null. */
export function stringOf(n: Node): string | null {
  const b = utf8BytesOrNull(n);
  return b === null ? null : new TextDecoder().decode(b);
}
