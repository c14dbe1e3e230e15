// Scalar UDF calls: the compiled node that hands a batch's argument columns to user code, and the check of what comes back.
import * as arrow from 'apache-arrow';
import { DataError } from '../errors.ts';
import { concatData } from '../compute/batch.ts';
import { fromArrowType, isFloat, isInteger, isMap, isStruct, toArrowType, typeEquals, typeToString, type TypeJSON } from '../types.ts';
import { describe, loadedUdf, udfWhere } from '../udf-registry.ts';
import type { Node } from './compiled.ts';
import type { ExprNode } from './node.ts';

/**
 * A call of a user function over each batch: `f(...argVectors, { numRows })`. The result MUST
 * be an arrow Vector of exactly `returnType`, a typed array, or a JS array (null for a null
 * value), of batch.numRows values; anything else fails the task with a DataError naming the
 * function. The function is looked up at the first batch (the task runner preloads it), never
 * at compile time, so plans that are only planned never call it.
 */
export function compileUdf(e: ExprNode & { kind: 'udf' }, args: readonly Node[]): Node {
  const where = udfWhere('udf', e.udf);
  return {
    type: e.returnType,
    constant: null,
    evaluate(batch) {
      const f = loadedUdf(e.udf);
      const vectors = args.map((a) => arrow.makeVector(a.evaluate(batch)));
      let out: unknown;
      try {
        out = f(...vectors, { numRows: batch.numRows });
      } catch (err) {
        throw new DataError(`${where} threw: ${(err as Error)?.message ?? String(err)}`, {}, { cause: err });
      }
      return valuesToData(out, e.returnType, batch.numRows, where);
    },
  };
}

/**
 * `out` (a Vector, typed array or JS array from user code) as Data of `type` with `n` rows;
 * DataError saying what came back and what was expected otherwise. Shared with UDAFs' finish().
 * A typed array of the type's Arrow storage (Float64Array for float64, Int32Array of days for
 * date32) is used as is; in other arrays int64 values may be numbers or bigints, date32 and
 * timestamp_ms values Dates or epoch milliseconds (Arrow JS's convention), list values arrays.
 */
export function valuesToData(out: unknown, type: TypeJSON, n: number, where: string): arrow.Data {
  const want = `${n} value(s) of type ${typeToString(type)}`;
  if (out instanceof Promise) throw new DataError(`${where} returned a Promise, expected ${want}; a UDF must be synchronous`);
  if (out instanceof arrow.Vector) {
    let got: TypeJSON | string;
    try { got = fromArrowType(out.type); } catch { got = String(out.type); }
    if ((typeof got === 'string' && !isTypeName(got)) || !typeEquals(got as TypeJSON, type)) {
      throw new DataError(`${where} returned a Vector of type ${typeof got === 'string' ? got : typeToString(got)}, expected ${typeToString(type)}; build it with the promised type or change returnType`);
    }
    if (out.length !== n) throw new DataError(`${where} returned a Vector of ${out.length} value(s), expected ${n} (one per input row)`);
    const d = out.data.length === 1 ? out.data[0] : concatData(out.data);
    // Same logical type, but keep the plan's Arrow type exactly (list child names, time units).
    return d.type.toString() === toArrowType(type).toString() ? d : arrow.makeData({ ...d, type: toArrowType(type) } as never);
  }
  if (ArrayBuffer.isView(out) && !(out instanceof DataView)) {
    const a = out as unknown as ArrayLike<number | bigint>;
    if (a.length !== n) throw new DataError(`${where} returned a ${out.constructor.name} of ${a.length} value(s), expected ${n} (one per input row)`);
    if (!isInteger(type) && !isFloat(type) && type !== 'date32' && type !== 'timestamp_ms') {
      throw new DataError(`${where} returned a ${out.constructor.name}, expected ${want}; return an array or a Vector for non-numeric types`);
    }
    // Arrow's own storage (Float64Array for float64, Int32Array of days for date32): used as is.
    const t = toArrowType(type) as arrow.DataType & { ArrayType: unknown };
    if (out.constructor === t.ArrayType) return arrow.makeData({ type: t, length: n, nullCount: 0, data: out } as never);
    return fromJs(Array.from(a), type, where);
  }
  if (Array.isArray(out)) {
    if (out.length !== n) throw new DataError(`${where} returned an array of ${out.length} value(s), expected ${n} (one per input row)`);
    return fromJs(out, type, where);
  }
  throw new DataError(`${where} returned ${describe(out)}, expected ${want} as an arrow Vector, a typed array or an array`);
}

const TYPE_NAMES = new Set(['null', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64', 'utf8', 'binary', 'date32', 'timestamp_ms']);
const isTypeName = (s: string): boolean => TYPE_NAMES.has(s);

/** JS values as Data of `type`, each checked against it (arrow's builders would coerce silently). */
function fromJs(values: readonly unknown[], type: TypeJSON, where: string): arrow.Data {
  const ok = checker(type);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (!ok(v)) throw new DataError(`${where} returned ${JSON.stringify(typeof v === 'bigint' ? String(v) : v) ?? String(v)} (${typeof v}) at row ${i}, expected a value of type ${typeToString(type)} or null`);
  }
  const t = toArrowType(type);
  const norm = isInteger(type) && (type === 'int64' || type === 'uint64') ? values.map((v) => (typeof v === 'number' ? BigInt(v) : v ?? null)) : values.map((v) => v ?? null);
  const vec = arrow.vectorFromArray(norm as unknown[], t);
  return vec.data.length === 1 ? vec.data[0] : concatData(vec.data);
}

function checker(type: TypeJSON): (v: unknown) => boolean {
  // Structs are plain objects (a property per field), maps JS Maps, lists arrays; their insides are arrow's to convert.
  if (isStruct(type)) return (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
  if (isMap(type)) return (v) => v instanceof Map;
  if (typeof type === 'object') return (v) => Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof arrow.Vector;
  if (isInteger(type)) return (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
  if (isFloat(type)) return (v) => typeof v === 'number';
  switch (type) {
    case 'bool': return (v) => typeof v === 'boolean';
    case 'utf8': return (v) => typeof v === 'string';
    case 'binary': return (v) => v instanceof Uint8Array;
    case 'date32': case 'timestamp_ms': return (v) => typeof v === 'number' || v instanceof Date;
    default: return () => false;
  }
}
