// TensorProto -> ConstTensor: float32, int64 and bool initializers from raw_data or the typed fields; every other type or external data refused.
import onnxProto from 'onnx-proto';
import { DataError, PlanError } from '../../errors.ts';
import type { ConstTensor } from './model.ts';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

/** An int64 field (a number, or a Long when protobufjs found the long package) as a number; throws past 2^53. */
export function toInt(v: number | { toNumber(): number; high: number; low: number }): number {
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 value ${n} is out of the range Quiver handles`);
  return n;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decodes `t`. `what` names it in messages ("initializer 'w'"). float32 comes from raw_data
 * (little-endian) or float_data, int64 from raw_data or int64_data; a count that does not
 * match the dims is a DataError, another dtype or external data a PlanError.
 */
export function tensorFromProto(t: onnxProto.onnx.ITensorProto, what: string, file: string): ConstTensor {
  const shape = (t.dims ?? []).map(toInt);
  if (shape.some((d) => d < 0)) throw new DataError(`${what} has dims [${shape.join(', ')}]; dims must be >= 0`, { file });
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    const loc = t.externalData?.find((e) => e.key === 'location')?.value;
    throw new PlanError(`${file}: ${what} keeps its data in an external file${loc ? ` ('${loc}')` : ''}; Quiver loads self-contained models only: save the model with its tensors inside (onnx.save_model(model, path, save_as_external_data=False))`);
  }
  const count = product(shape);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const dtype = t.dataType ?? 0;
  const bad = (got: number) => new DataError(`${what} has ${got} values, but its dims [${shape.join(', ')}] hold ${count}`, { file });
  if (dtype === DataType.FLOAT) {
    let data: Float32Array;
    if (raw) {
      if (raw.length !== count * 4) throw bad(raw.length / 4);
      // Copy: the decoder's bytes are a view into the file at any alignment.
      data = new Float32Array(Uint8Array.from(raw).buffer);
    } else {
      data = Float32Array.from(t.floatData ?? []);
      if (data.length !== count) throw bad(data.length);
    }
    return { dtype: 'float32', shape, data };
  }
  if (dtype === DataType.INT64) {
    let data: number[];
    if (raw) {
      if (raw.length !== count * 8) throw bad(raw.length / 8);
      data = Array.from(new BigInt64Array(Uint8Array.from(raw).buffer), (v) => Number(v));
    } else {
      data = (t.int64Data ?? []).map(toInt);
      if (data.length !== count) throw bad(data.length);
    }
    return { dtype: 'int64', shape, data };
  }
  if (dtype === DataType.BOOL) {
    // bool is one byte per element in raw_data, an int32 per element in int32_data.
    const data = raw ? Array.from(raw, (v) => (v ? 1 : 0)) : (t.int32Data ?? []).map((v) => (v ? 1 : 0));
    if (data.length !== count) throw bad(data.length);
    return { dtype: 'bool', shape, data };
  }
  const name = DataType[dtype] ?? `type ${dtype}`;
  throw new PlanError(`${file}: ${what} is ${name}; Quiver reads float32, int64 and bool tensors only (convert the model's weights to float32)`);
}
