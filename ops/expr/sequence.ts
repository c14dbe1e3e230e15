// sequence(start, stop): the list of integers start, start + 1, ..., stop per row (Spark's sequence with step 1).
import * as arrow from 'apache-arrow';
import { DataError } from '../errors.ts';
import { andValidity, countNulls, getBit, validity } from './bits.ts';
import { numbersOf } from './num.ts';

const LIST_INT32 = new arrow.List(new arrow.Field('item', new arrow.Int32(), true));

/** Most elements one batch may produce: past this a typo'd bound would exhaust memory. */
const MAX_ELEMENTS = 1 << 28;

/**
 * `start` and `stop` MUST be int32 Data of one length. A null bound gives a null list; stop
 * before start an empty one. Lists of more than MAX_ELEMENTS elements in one batch are a DataError.
 */
export function sequenceList(start: arrow.Data, stop: arrow.Data): arrow.Data {
  const n = start.length;
  const a = numbersOf(start), b = numbersOf(stop);
  const valid = andValidity(validity(start), validity(stop), n);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!valid || getBit(valid, i)) total += Math.max(0, b[i] - a[i] + 1);
    if (total > MAX_ELEMENTS) throw new DataError(`sequence: a batch would hold more than ${MAX_ELEMENTS} elements (row ${i}: ${a[i]} to ${b[i]})`);
    offsets[i + 1] = total;
  }
  const values = new Int32Array(total);
  for (let i = 0; i < n; i++) for (let j = offsets[i], v = a[i]; j < offsets[i + 1]; j++, v++) values[j] = v;
  const child = arrow.makeData({ type: new arrow.Int32(), length: total, nullCount: 0, data: values });
  const nulls = countNulls(valid, n);
  return arrow.makeData({ type: LIST_INT32, length: n, nullCount: nulls, nullBitmap: nulls ? valid! : undefined, valueOffsets: offsets, child });
}
