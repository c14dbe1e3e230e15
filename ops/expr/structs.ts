// Struct kernels: a field of each row (getField), rows built from columns (struct), and nested values as JSON text (toJson).
//
// Arrow JS slices a struct's children with it: row i of the struct is row i of each child, and
// only the struct's own null bitmap is read at d.offset + i (through validity()).
import * as arrow from 'apache-arrow';
import { takeData } from '../compute/take.ts';
import { valueFormatter } from '../sinks/format-values.ts';
import { getBit, validity } from './bits.ts';
import { Utf8Builder } from './utf8.ts';

/** Field `index` of each struct row; null where the struct is null. */
export function structField(d: arrow.Data, index: number): arrow.Data {
  const child = d.children[index].length === d.length ? d.children[index] : d.children[index].slice(0, d.length);
  const v = validity(d);
  if (v === null) return child;
  const n = d.length;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = getBit(v, i) ? i : -1;
  return takeData(child, rows);
}

/** One struct row per row of `fields` (each of `n` rows); never null itself. */
export function makeStruct(type: arrow.DataType, fields: readonly arrow.Data[], n: number): arrow.Data {
  return arrow.makeData({ type, length: n, nullCount: 0, children: fields } as any);
}

/** Each value of a struct, map or list as JSON text (as the json writer writes it); null stays null. */
export function jsonText(d: arrow.Data): arrow.Data {
  const n = d.length;
  const text = valueFormatter(d, 'json');
  const b = new Utf8Builder(n);
  for (let i = 0; i < n; i++) {
    const s = text(i);
    if (s === null) b.pushNull(); else b.pushString(s);
  }
  return b.finish();
}
