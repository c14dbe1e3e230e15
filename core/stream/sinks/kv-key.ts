// KV keys from key columns: which column types make a key, how each value is written (kvKey), and the check that a key is legal in a JetStream KV bucket.
import * as arrow from 'apache-arrow';
import { DataError, PlanError } from '../../../ops/errors.ts';
import { valueFormatter } from '../../../ops/sinks/format-values.ts';
import { typeToString, type FieldJSON, type TypeJSON } from '../../../ops/types.ts';

/** A key's parts are joined by '.', the KV token separator (so `nats kv` watches of `label.>` work). */
export const KEY_SEPARATOR = '.';

/** What the server takes in a KV key (nats.js's rule), and no empty token. */
const LEGAL = /^[-/=.\w]+$/;

const KEY_TYPES: readonly TypeJSON[] = ['utf8', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'date32', 'timestamp_ms'];

/** A part as the sink writes it: `'cat'`, `42`, `true`, a date `'2024-01-01'`, a timestamp (a Date or epoch ms) as UTC ISO 8601 basic form `20240101T100000Z`. */
export type KeyPart = string | number | bigint | boolean | Date;

/** Checks `keys` name columns of `schema` whose type makes a key; returns their indexes. */
export function checkKeyColumns(schema: readonly FieldJSON[], keys: readonly string[], what: string): number[] {
  if (keys.length === 0) throw new PlanError(`${what}: give option('keys', ['col', ...]): the columns whose values make each row's key`);
  return keys.map((k) => {
    const i = schema.findIndex((f) => f.name === k);
    if (i < 0) throw new PlanError(`${what}: key column '${k}' is not an output column; the columns are ${schema.map((f) => f.name).join(', ')}`);
    const t = schema[i].type;
    if (!KEY_TYPES.includes(t)) {
      throw new PlanError(`${what}: key column '${k}' has type ${typeToString(t)}; a key is made of strings, integers, booleans, dates or timestamps (cast it, e.g. col('${k}').cast('utf8'))`);
    }
    return i;
  });
}

/** 'YYYY-MM-DD HH:MM:SS.fff' or an ISO string -> '20240101T100000Z' ('.fff' kept when not zero). */
function basicTimestamp(text: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z?$/.exec(text);
  if (!m) return text;
  const frac = m[7] && Number(m[7]) !== 0 ? `.${m[7]}` : '';
  return `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}${m[6]}${frac}Z`;
}

function partText(p: KeyPart): string {
  if (p instanceof Date) return basicTimestamp(p.toISOString());
  return String(p);
}

/** Throws unless `key` is a legal KV key; `where` says which row and columns made it. */
function checkLegal(key: string, where: () => string): void {
  if (!LEGAL.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw new DataError(`KV key ${JSON.stringify(key)} (${where()}) is not legal: a key holds letters, digits and - / _ = . only, with no empty part; `
      + 'key the rows by columns whose values are legal, or filter out the rows that are not');
  }
}

/** The key the sink writes for these values of its key columns, for reads that serve the table: kvKey(['cat', new Date(...)]) -> 'cat.20240101T100000Z'. */
export function kvKey(parts: readonly KeyPart[]): string {
  const key = parts.map(partText).join(KEY_SEPARATOR);
  checkLegal(key, () => `from ${JSON.stringify(parts.map(partText))}`);
  return key;
}

/** Each row's key from the key columns `cols` (indexes) of batch `b`; a null key value or an illegal key is a DataError naming the column and row. */
export function batchKeys(b: arrow.RecordBatch, cols: readonly number[], names: readonly string[], batchId: number): string[] {
  const fmts = cols.map((c) => {
    const d = b.data.children[c];
    const f = valueFormatter(d, 'csv');
    return d.typeId === arrow.Type.Timestamp ? (i: number) => { const s = f(i); return s === null ? null : basicTimestamp(s); } : f;
  });
  const out: string[] = new Array(b.numRows);
  for (let i = 0; i < b.numRows; i++) {
    let key = '';
    for (let c = 0; c < fmts.length; c++) {
      const s = fmts[c](i);
      if (s === null) throw new DataError(`batch ${batchId}: key column '${names[c]}' is null in a row; a KV key needs every key value: filter the nulls out or fill them (fn.coalesce)`);
      key += (c > 0 ? KEY_SEPARATOR : '') + s;
    }
    checkLegal(key, () => `batch ${batchId}, key columns ${names.join(', ')}`);
    out[i] = key;
  }
  return out;
}
