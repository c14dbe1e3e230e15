// One-row Arrow Data for a literal value of a given TypeJSON.
import * as arrow from 'apache-arrow';
import { PlanError } from '../errors.ts';
import { isNumeric, toArrowType, typeToString, type TypeJSON } from '../types.ts';
import { makeValues, nullData } from './bits.ts';
import { boolData } from './compare.ts';
import { parseDate, parseTimestamp } from './format.ts';
import { floatLiteralNumber, type LiteralValue } from './node.ts';
import { fromNumbers } from './num.ts';
import { encoder } from './utf8.ts';

/** The literal as 1-row Data; dates and timestamps also accept ISO strings, floats their non-finite names. */
export function literalData(value: LiteralValue, t: TypeJSON): arrow.Data {
  if (value === null) return nullData(t, 1);
  const bad = () => new PlanError(`literal ${JSON.stringify(value)} is not a valid ${typeToString(t)}`);
  if (t === 'bool') return boolData(Uint8Array.of(value ? 1 : 0), 1, null);
  if (t === 'utf8' || t === 'binary') {
    const bytes = encoder.encode(String(value));
    return arrow.makeData({ type: toArrowType(t), length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, bytes.length), data: bytes } as any);
  }
  if ((t === 'int64' || t === 'uint64') && typeof value === 'string') {
    const Ctor = t === 'int64' ? BigInt64Array : BigUint64Array;
    return makeValues(toArrowType(t), 1, Ctor.of(BigInt(value)), null);
  }
  if (t === 'date32' || t === 'timestamp_ms') {
    const x = typeof value === 'number' ? value : t === 'date32' ? parseDate(String(value)) : parseTimestamp(String(value));
    if (x === null) throw bad();
    return fromNumbers(t, [x], 1, null);
  }
  if (t === 'float32' || t === 'float64') {
    const x = floatLiteralNumber(value);
    if (x === null) throw bad();
    return fromNumbers(t, [x], 1, null);
  }
  if (isNumeric(t) && typeof value === 'number') return fromNumbers(t, [Math.trunc(value)], 1, null);
  throw bad();
}
