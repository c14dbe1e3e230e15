// JSON's nested values: inference of structs and lists from sampled objects, and the list, struct and map column builders.
//
// Inference: an object is a struct whose fields are the keys seen over the sample (in first-seen
// order, each nullable; a key missing from a row reads as null), an array a list of its elements'
// merged type. Values that disagree (an object here, a number there; a list and a struct) merge to
// utf8, which holds each value's JSON text, as before structs existed. A key never seen with a
// value other than null, and an array only ever empty, read as utf8 too.
//
// Builders: every nested builder keeps its children in step with its committed rows, so that a
// record that fails half way (a bad value deep inside) is dropped whole by truncate(rows): a list
// or map truncates its children to its committed offset, a struct its fields to its length.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { isMap, isStruct, isList, listElement, typeToString, type FieldJSON, type TypeJSON } from '../types.ts';
import { BuilderBase, makeBuilder, type ColumnBuilder } from './builders.ts';
import { kindToType, mergeKinds, type InferredKind } from './values.ts';

/** A value's inferred shape: a primitive kind, a list of one shape, or a struct of named shapes. */
export type Inferred = InferredKind | { readonly list: Inferred } | { readonly struct: ReadonlyMap<string, Inferred> };

/** The shape of one parsed JSON value; `primitive` classifies numbers, strings and booleans. */
export function inferValue(v: unknown, primitive: (v: unknown) => InferredKind): Inferred {
  if (Array.isArray(v)) return { list: v.reduce<Inferred>((t, x) => mergeInferred(t, inferValue(x, primitive)), 'null') };
  if (typeof v === 'object' && v !== null) {
    const fields = new Map<string, Inferred>();
    for (const [k, x] of Object.entries(v)) fields.set(k, mergeInferred(fields.get(k) ?? 'null', inferValue(x, primitive)));
    return { struct: fields };
  }
  return primitive(v);
}

export function mergeInferred(a: Inferred, b: Inferred): Inferred {
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (typeof a === 'string' && typeof b === 'string') return mergeKinds(a, b);
  if (typeof a === 'object' && typeof b === 'object') {
    if ('list' in a && 'list' in b) return { list: mergeInferred(a.list, b.list) };
    if ('struct' in a && 'struct' in b) {
      const fields = new Map(a.struct);
      for (const [k, t] of b.struct) fields.set(k, mergeInferred(fields.get(k) ?? 'null', t));
      return { struct: fields };
    }
  }
  return 'utf8';
}

export function inferredType(t: Inferred): TypeJSON {
  if (typeof t === 'string') return kindToType(t);
  if ('list' in t) return t.list === 'null' ? 'utf8' : { list: inferredType(t.list) };
  if (t.struct.size === 0) return 'utf8';
  return { struct: [...t.struct].map(([name, f]) => ({ name, type: inferredType(f), nullable: true })) };
}

/** Appends a parsed JSON value to its column; returns why it cannot, or null. */
export type ValueReader = (v: unknown) => string | null;

/** A column being read: its builder and the reader that appends one value to it. */
export interface JsonColumn {
  readonly builder: ColumnBuilder | NestedBuilder;
  readonly read: ValueReader;
}

/** Builds the column for `field`; `primitive` makes the reader of a primitive column's builder. */
export function jsonColumn(field: FieldJSON, capacity: number, primitive: (b: ColumnBuilder) => ValueReader): JsonColumn {
  const t = field.type;
  if (typeof t !== 'object') {
    const builder = makeBuilder(field, capacity);
    return { builder, read: primitive(builder) };
  }
  const child = (name: string, type: TypeJSON, nullable: boolean) => jsonColumn({ name, type, nullable }, capacity, primitive);
  let builder: NestedBuilder;
  if (isStruct(t)) builder = new StructBuilder(field, capacity, t.struct.map((f) => child(f.name, f.type, f.nullable)));
  else if (isMap(t)) builder = new MapBuilder(field, capacity, child('key', t.map.key, false), child('value', t.map.value, true));
  else if (isList(t) && 'list' in t) builder = new ListBuilder(field, capacity, child('item', listElement(t), true));
  else throw new InternalError(`json: no reader for ${typeToString(t)} (the schema option refuses it)`);
  const nested = builder;
  return {
    builder,
    read: (v) => {
      if (v === null || v === undefined) {
        if (!field.nullable) return `expected ${describe(t)}, found ${v === null ? 'null' : 'no value'} (the column is not nullable)`;
        nested.appendNull();
        return null;
      }
      return nested.append(v);
    },
  };
}

const describe = (t: TypeJSON): string => (isStruct(t) || isMap(t) ? 'an object' : isList(t) ? 'an array' : String(t));
const clip = (v: unknown): string => { const s = JSON.stringify(v) ?? String(v); return s.length > 80 ? `${s.slice(0, 80)}...` : s; };

/** A growable Int32 offsets buffer: offsets[length] is the committed end of the children. */
class Offsets {
  a = new Int32Array(17);
  set(i: number, x: number): void {
    if (i >= this.a.length) { const b = new Int32Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[i] = x;
  }
}

abstract class NestedBuilder extends BuilderBase {
  /** Appends a non-null value; returns why it cannot (the caller then truncates the record away), or null. */
  abstract append(v: unknown): string | null;
}

class ListBuilder extends NestedBuilder {
  private readonly offsets = new Offsets();
  constructor(field: FieldJSON, capacity: number, private readonly item: JsonColumn) { super(field, capacity); }

  append(v: unknown): string | null {
    if (!Array.isArray(v)) return `expected an array, found ${clip(v)}`;
    for (let i = 0; i < v.length; i++) {
      const why = this.item.read(v[i]);
      if (why !== null) return `element ${i}: ${why}`;
    }
    this.offsets.set(this.length + 1, this.item.builder.length);
    this.markValid();
    return null;
  }

  protected pushNullValue(): void { this.offsets.set(this.length + 1, this.offsets.a[this.length]); }
  protected truncateValues(n: number): void { this.item.builder.truncate(this.offsets.a[n]); }

  finish(): arrow.Data {
    const n = this.length;
    const out = arrow.makeData({
      type: this.type, length: n, nullCount: this.nulls, nullBitmap: this.bitmap(),
      valueOffsets: this.offsets.a.slice(0, n + 1), child: this.item.builder.finish(),
    } as any);
    this.resetBase();
    return out;
  }
}

class StructBuilder extends NestedBuilder {
  constructor(field: FieldJSON, capacity: number, private readonly fields: readonly JsonColumn[]) { super(field, capacity); }

  append(v: unknown): string | null {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected an object, found ${clip(v)}`;
    const o = v as Record<string, unknown>;
    for (const f of this.fields) {
      const name = f.builder.field.name;
      // Own keys only: a field named 'constructor' must not read Object.prototype.
      const why = f.read(Object.hasOwn(o, name) ? o[name] : undefined);
      if (why !== null) return `field '${name}': ${why}`;
    }
    this.markValid();
    return null;
  }

  protected pushNullValue(): void { for (const f of this.fields) f.builder.appendNull(); }
  protected truncateValues(n: number): void { for (const f of this.fields) f.builder.truncate(n); }

  finish(): arrow.Data {
    const out = arrow.makeData({
      type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.bitmap(),
      children: this.fields.map((f) => f.builder.finish()),
    } as any);
    this.resetBase();
    return out;
  }
}

/** A map from a JSON object: its member names are the keys (read as the key type: '1' is an integer key), its members the values. */
class MapBuilder extends NestedBuilder {
  private readonly offsets = new Offsets();
  constructor(field: FieldJSON, capacity: number, private readonly key: JsonColumn, private readonly value: JsonColumn) { super(field, capacity); }

  append(v: unknown): string | null {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected an object, found ${clip(v)}`;
    for (const [k, x] of Object.entries(v)) {
      const why = this.key.read(k) ?? this.value.read(x);
      if (why !== null) return `key ${JSON.stringify(k)}: ${why}`;
    }
    this.offsets.set(this.length + 1, this.key.builder.length);
    this.markValid();
    return null;
  }

  protected pushNullValue(): void { this.offsets.set(this.length + 1, this.offsets.a[this.length]); }
  protected truncateValues(n: number): void {
    const m = this.offsets.a[n];
    this.key.builder.truncate(m);
    this.value.builder.truncate(m);
  }

  finish(): arrow.Data {
    const n = this.length;
    const entries = arrow.makeData({
      type: this.type.children[0].type, length: this.key.builder.length, nullCount: 0,
      children: [this.key.builder.finish(), this.value.builder.finish()],
    } as any);
    const out = arrow.makeData({
      type: this.type, length: n, nullCount: this.nulls, nullBitmap: this.bitmap(),
      valueOffsets: this.offsets.a.slice(0, n + 1), child: entries,
    } as any);
    this.resetBase();
    return out;
  }
}
