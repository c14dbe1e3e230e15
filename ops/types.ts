// Column types: the JSON form used in plans (TypeJSON) and its mapping to Arrow DataTypes.
import * as arrow from 'apache-arrow';
import { PlanError } from './errors.ts';

/**
 * The closed set of types Quiver plans with. Plans carry TypeJSON (it crosses the network);
 * operators work on the Arrow DataType from `toArrowType`. int64/uint64 are exact in storage;
 * arithmetic on them is done in float64 (exact up to 2^53).
 */
export type PrimitiveTypeName =
  | 'null' | 'bool'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'float32' | 'float64'
  | 'utf8' | 'binary' | 'date32' | 'timestamp_ms';

/**
 * Nested types: lists, fixed-size lists, structs (named fields, in order; names unique) and maps
 * (entries of a non-null key and a nullable value, as Arrow's Map with unsorted keys).
 */
export type TypeJSON =
  | PrimitiveTypeName
  | { list: TypeJSON }
  | { fixedList: TypeJSON; size: number }
  | { struct: readonly StructFieldJSON[] }
  | { map: { key: TypeJSON; value: TypeJSON } };

/** A struct's field: its name, type and whether it may be null. */
export interface StructFieldJSON {
  readonly name: string;
  readonly type: TypeJSON;
  readonly nullable: boolean;
}

export interface FieldJSON {
  name: string;
  type: TypeJSON;
  nullable: boolean;
  /**
   * Logical plans only: the relation name a field was given by df.alias('n1') (core/plan/
   * subquery-alias.ts), so that col('n1.x') finds it. Operators ignore it; names stay unique.
   */
  qualifier?: string;
}

export function toArrowType(t: TypeJSON): arrow.DataType {
  if (typeof t === 'object') {
    if ('list' in t) return new arrow.List(new arrow.Field('item', toArrowType(t.list), true));
    if ('fixedList' in t) return new arrow.FixedSizeList(t.size, new arrow.Field('item', toArrowType(t.fixedList), true));
    if ('struct' in t) return new arrow.Struct(t.struct.map((f) => new arrow.Field(f.name, toArrowType(f.type), f.nullable)));
    if ('map' in t) return mapArrowType(t.map.key, t.map.value);
  }
  switch (t) {
    case 'null': return new arrow.Null();
    case 'bool': return new arrow.Bool();
    case 'int8': return new arrow.Int8();
    case 'int16': return new arrow.Int16();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'uint8': return new arrow.Uint8();
    case 'uint16': return new arrow.Uint16();
    case 'uint32': return new arrow.Uint32();
    case 'uint64': return new arrow.Uint64();
    case 'float32': return new arrow.Float32();
    case 'float64': return new arrow.Float64();
    case 'utf8': return new arrow.Utf8();
    case 'binary': return new arrow.Binary();
    case 'date32': return new arrow.DateDay();
    case 'timestamp_ms': return new arrow.TimestampMillisecond();
  }
  throw new PlanError(`unknown type ${JSON.stringify(t)}`);
}

export function fromArrowType(t: arrow.DataType): TypeJSON {
  switch (t.typeId) {
    case arrow.Type.Null: return 'null';
    case arrow.Type.Bool: return 'bool';
    case arrow.Type.Int: {
      const i = t as arrow.Int;
      return `${i.isSigned ? 'int' : 'uint'}${i.bitWidth}` as PrimitiveTypeName;
    }
    case arrow.Type.Float: {
      const f = t as arrow.Float;
      if (f.precision === arrow.Precision.DOUBLE) return 'float64';
      if (f.precision === arrow.Precision.SINGLE) return 'float32';
      break;
    }
    case arrow.Type.Utf8: return 'utf8';
    case arrow.Type.LargeUtf8: return 'utf8';
    case arrow.Type.Binary: return 'binary';
    case arrow.Type.Date: return 'date32';
    case arrow.Type.Timestamp: return 'timestamp_ms';
    case arrow.Type.List: return { list: fromArrowType((t as arrow.List).children[0].type) };
    case arrow.Type.FixedSizeList: {
      const f = t as arrow.FixedSizeList;
      return { fixedList: fromArrowType(f.children[0].type), size: f.listSize };
    }
    case arrow.Type.Struct:
      return { struct: (t as arrow.Struct).children.map((f) => ({ name: f.name, type: fromArrowType(f.type), nullable: f.nullable })) };
    case arrow.Type.Map: {
      const [k, v] = (t as arrow.Map_).children[0].type.children;
      return { map: { key: fromArrowType(k.type), value: fromArrowType(v.type) } };
    }
  }
  throw new PlanError(`unsupported Arrow type ${String(t)}: Quiver handles bool, ints, floats, utf8, binary, date32, timestamp, list, fixed-size list, struct and map`);
}

/** Arrow's Map for `map<key, value>`: entries named 'entries' of a non-null 'key' and a nullable 'value' (as Parquet and DuckDB write it). */
function mapArrowType(key: TypeJSON, value: TypeJSON): arrow.Map_ {
  const entries = new arrow.Struct([new arrow.Field('key', toArrowType(key), false), new arrow.Field('value', toArrowType(value), true)]);
  return new arrow.Map_(new arrow.Field('entries', entries, false), false);
}

export function toArrowSchema(fields: readonly FieldJSON[]): arrow.Schema {
  return new arrow.Schema(fields.map((f) => new arrow.Field(f.name, toArrowType(f.type), f.nullable)));
}

export function fromArrowSchema(s: arrow.Schema): FieldJSON[] {
  return s.fields.map((f) => ({ name: f.name, type: fromArrowType(f.type), nullable: f.nullable }));
}

/** Spark/DuckDB-like text: `list<int64>`, `struct<a: int64, b: utf8>`, `map<utf8, int64>` (a not-null field says so). */
export function typeToString(t: TypeJSON): string {
  if (typeof t === 'string') return t;
  if ('list' in t) return `list<${typeToString(t.list)}>`;
  if ('fixedList' in t) return `fixed_list<${typeToString(t.fixedList)}, ${t.size}>`;
  if ('struct' in t) return `struct<${t.struct.map((f) => `${f.name}: ${typeToString(f.type)}${f.nullable ? '' : ' not null'}`).join(', ')}>`;
  return `map<${typeToString(t.map.key)}, ${typeToString(t.map.value)}>`;
}

export type ListTypeJSON = Extract<TypeJSON, { list: unknown } | { fixedList: unknown }>;
export type StructTypeJSON = Extract<TypeJSON, { struct: unknown }>;
export type MapTypeJSON = Extract<TypeJSON, { map: unknown }>;

export const isList = (t: TypeJSON): t is ListTypeJSON => typeof t === 'object' && ('list' in t || 'fixedList' in t);
export const isStruct = (t: TypeJSON): t is StructTypeJSON => typeof t === 'object' && 'struct' in t;
export const isMap = (t: TypeJSON): t is MapTypeJSON => typeof t === 'object' && 'map' in t;
/** Whether `t` is, or holds somewhere inside it, a struct or a map. */
export const hasStructOrMap = (t: TypeJSON): boolean =>
  typeof t === 'object' && (isStruct(t) || isMap(t) || hasStructOrMap('list' in t ? t.list : t.fixedList));

/** The element type of a list or fixed-size list. */
export function listElement(t: ListTypeJSON): TypeJSON {
  return 'list' in t ? t.list : t.fixedList;
}

export function typeEquals(a: TypeJSON, b: TypeJSON): boolean {
  return typeToString(a) === typeToString(b);
}

const INTS: readonly PrimitiveTypeName[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
export const isInteger = (t: TypeJSON): boolean => typeof t === 'string' && INTS.includes(t);
export const isFloat = (t: TypeJSON): boolean => t === 'float32' || t === 'float64';
export const isNumeric = (t: TypeJSON): boolean => isInteger(t) || isFloat(t);
export const isTemporal = (t: TypeJSON): boolean => t === 'date32' || t === 'timestamp_ms';

/**
 * The common type two numeric operands are promoted to (Spark-like): any float -> float64,
 * int64/uint* widen to int64, smaller ints to int32. Null adopts the other side.
 */
export function commonNumericType(a: TypeJSON, b: TypeJSON): TypeJSON | null {
  if (a === 'null') return b === 'null' ? 'int32' : b;
  if (b === 'null') return a;
  if (!isNumeric(a) || !isNumeric(b)) return null;
  if (isFloat(a) || isFloat(b)) return 'float64';
  if (a === 'int64' || b === 'int64' || a === 'uint64' || b === 'uint64' || a === 'uint32' || b === 'uint32') return 'int64';
  return 'int32';
}
