// Turning user data (Arrow tables, row objects) into plain, engine-ready Arrow tables.
import * as arrow from 'apache-arrow';
import { PlanError } from '../../ops/errors.ts';
import { toArrowSchema, type FieldJSON, type TypeJSON } from '../../ops/types.ts';

/** Decodes dictionary columns to plain ones (operators never see dictionaries). */
export function normalizeTable(t: arrow.Table): arrow.Table {
  const hasDict = t.schema.fields.some((f) => arrow.DataType.isDictionary(f.type));
  if (!hasDict) return t;
  const cols: Record<string, arrow.Vector> = {};
  for (const f of t.schema.fields) {
    const v = t.getChild(f.name)!;
    cols[f.name] = arrow.DataType.isDictionary(f.type)
      ? arrow.vectorFromArray(v.toArray() as unknown[], (f.type as arrow.Dictionary).dictionary)
      : v;
  }
  return new arrow.Table(cols);
}

function inferType(values: unknown[], name: string): TypeJSON {
  let t: TypeJSON | null = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    let vt: TypeJSON;
    if (typeof v === 'boolean') vt = 'bool';
    else if (typeof v === 'number') vt = Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 'int32' : Number.isInteger(v) ? 'int64' : 'float64';
    else if (typeof v === 'bigint') vt = 'int64';
    else if (typeof v === 'string') vt = 'utf8';
    else if (v instanceof Date) vt = 'timestamp_ms';
    else if (v instanceof Uint8Array) vt = 'binary';
    else throw new PlanError(`createDataFrame: column '${name}' holds ${typeof v} values; use numbers, strings, booleans, bigints, Dates, Uint8Arrays (binary) or null, or pass an Arrow table`);
    if (t === null) t = vt;
    else if (t !== vt) {
      const nums = new Set(['int32', 'int64', 'float64']);
      if (nums.has(t as string) && nums.has(vt as string)) t = t === 'float64' || vt === 'float64' ? 'float64' : 'int64';
      else throw new PlanError(`createDataFrame: column '${name}' mixes ${t} and ${vt} values; give a schema or make them one type`);
    }
  }
  return t ?? 'utf8';
}

/** A table from plain row objects; the schema is inferred from the values unless given. */
export function tableFromRows(rows: readonly Record<string, unknown>[], schema?: readonly FieldJSON[]): arrow.Table {
  let fields = schema;
  if (!fields) {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k); }
    if (names.length === 0) throw new PlanError('createDataFrame: no columns; pass rows with at least one key, or a schema');
    fields = names.map((n) => ({ name: n, type: inferType(rows.map((r) => r[n]), n), nullable: true }));
  }
  const s = toArrowSchema(fields);
  const cols: Record<string, arrow.Vector> = {};
  for (const f of s.fields) {
    const vals = rows.map((r) => {
      const v = r[f.name];
      if (v === undefined || v === null) return null;
      if (arrow.DataType.isInt(f.type) && (f.type as arrow.Int).bitWidth === 64 && typeof v === 'number') return BigInt(v);
      if (arrow.DataType.isTimestamp(f.type) && v instanceof Date) return v.getTime();
      return v;
    });
    cols[f.name] = arrow.vectorFromArray(vals as any, f.type);
  }
  return new arrow.Table(cols);
}
