// Arrow Data from the typed arrays window functions fill: int32, int64 and float64 columns with an optional validity.
import * as arrow from 'apache-arrow';

function bitmap(valid: Uint8Array | null, n: number): { nullBitmap?: Uint8Array; nullCount: number } {
  if (valid === null) return { nullCount: 0 };
  const bm = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bm[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bm, nullCount: nulls };
}

export function int32Data(values: Int32Array, valid: Uint8Array | null = null): arrow.Data {
  return arrow.makeData({ type: new arrow.Int32(), length: values.length, data: values, ...bitmap(valid, values.length) });
}

export function int64Data(values: BigInt64Array, valid: Uint8Array | null = null): arrow.Data {
  return arrow.makeData({ type: new arrow.Int64(), length: values.length, data: values, ...bitmap(valid, values.length) });
}

export function float64Data(values: Float64Array, valid: Uint8Array | null = null): arrow.Data {
  return arrow.makeData({ type: new arrow.Float64(), length: values.length, data: values, ...bitmap(valid, values.length) });
}
