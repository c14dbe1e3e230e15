// Rendering results: row objects for toArray() (one JS type per column type) and the text table printed by show().
import * as arrow from 'apache-arrow';
import { DataError, PlanError } from '../../ops/errors.ts';
import { valueFormatter } from '../../ops/sinks/index.ts';

export interface ToArrayOptions {
  /**
   * 'number' (default): int64 and uint64 values are numbers; one beyond ±(2^53-1), which a
   * number cannot hold exactly, is a DataError (never a silently rounded value, nor a bigint
   * in some rows only). 'bigint': every int64 and uint64 value is a bigint.
   */
  int64?: 'number' | 'bigint';
}

// Dates beyond ±8.64e15 ms (±275,760 years) do not fit a JS Date.
const DATE_MS_MAX = 8.64e15;

/**
 * The JS value of each type, the mapping toArray() documents: bool -> boolean; int8-int32,
 * uint8-uint32, float32, float64 -> number (NaN, ±Infinity, -0 kept); int64, uint64 -> number
 * (see ToArrayOptions); utf8 -> string; binary -> Uint8Array; date32 -> Date at 00:00 UTC;
 * timestamp_ms -> Date; lists -> arrays of their elements' values; structs -> plain objects
 * (one property per field); maps -> JS Maps (keys of any type, in entry order); null -> null.
 */
function converter(type: arrow.DataType, name: string, o: Required<ToArrayOptions>): (v: any) => unknown {
  switch (type.typeId) {
    case arrow.Type.Int: {
      if ((type as arrow.Int).bitWidth < 64) return (v) => v;
      if (o.int64 === 'bigint') return (v) => BigInt(v);
      return (v) => {
        if (typeof v === 'number') return v;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DataError(`column '${name}' holds ${v}, beyond the integers a JS number holds exactly (±2^53-1); call toArray({ int64: 'bigint' }) to get every int64 as a bigint, or cast the column to utf8`);
        }
        return Number(v);
      };
    }
    case arrow.Type.Date: case arrow.Type.Timestamp:
      return (v) => {
        // Arrow gives epoch milliseconds (a number) for date32 and timestamp_ms.
        const ms = typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Number(v);
        if (!(Math.abs(ms) <= DATE_MS_MAX)) {
          throw new DataError(`column '${name}' holds a ${type.typeId === arrow.Type.Date ? 'date' : 'timestamp'} outside the range of a JS Date (years -271821 to 275760); cast the column to utf8 to see it`);
        }
        return new Date(ms);
      };
    case arrow.Type.List: case arrow.Type.FixedSizeList: {
      const inner = converter((type as arrow.List).children[0].type, name, o);
      return (v) => Array.from(v as Iterable<unknown>, (x) => (x === null || x === undefined ? null : inner(x)));
    }
    case arrow.Type.Struct: {
      const fields = (type as arrow.Struct).children.map((f) => ({ name: f.name, conv: converter(f.type, `${name}.${f.name}`, o) }));
      return (v) => {
        const out: Record<string, unknown> = {};
        for (const f of fields) { const x = v[f.name]; out[f.name] = x === null || x === undefined ? null : f.conv(x); }
        return out;
      };
    }
    case arrow.Type.Map: {
      const [kf, vf] = (type as arrow.Map_).children[0].type.children as arrow.Field[];
      const key = converter(kf.type, name, o), value = converter(vf.type, name, o);
      return (v) => {
        const out = new Map<unknown, unknown>();
        for (const [k, x] of v as Iterable<[unknown, unknown]>) out.set(key(k), x === null || x === undefined ? null : value(x));
        return out;
      };
    }
    default:
      return (v) => v;
  }
}

/** Rows of a table as plain objects, by the mapping above. */
export function rowsOf(t: arrow.Table, options: ToArrayOptions = {}): Record<string, unknown>[] {
  const o: Required<ToArrayOptions> = { int64: options.int64 ?? 'number' };
  if (o.int64 !== 'number' && o.int64 !== 'bigint') throw new PlanError(`toArray: int64 must be 'number' or 'bigint', got ${JSON.stringify(options.int64)}`);
  const fields = t.schema.fields;
  const cols = fields.map((_, i) => t.getChildAt(i)!);
  const convs = fields.map((f) => converter(f.type, f.name, o));
  const out: Record<string, unknown>[] = new Array(t.numRows);
  for (let r = 0; r < t.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++) {
      const v = cols[c].get(r);
      row[fields[c].name] = v === null || v === undefined ? null : convs[c](v);
    }
    out[r] = row;
  }
  return out;
}

/** Each cell of a column as show() prints it ('NULL' for null), chunk by chunk. */
function cellsOf(v: arrow.Vector): string[] {
  const out: string[] = [];
  for (const d of v.data) {
    const fmt = valueFormatter(d, 'show');
    for (let i = 0; i < d.length; i++) out.push(fmt(i) ?? 'NULL');
  }
  return out;
}

/** A boxed text table like Spark's show(): dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS[.fff], int64 exact. */
export function formatTable(t: arrow.Table, maxWidth = 40): string {
  const names = t.schema.fields.map((f) => f.name);
  const cols = names.map((_, i) => cellsOf(t.getChildAt(i)!).map((s) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 3)}...` : s)));
  const rows = Array.from({ length: t.numRows }, (_, r) => cols.map((c) => c[r]));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (cells: string[]) => `|${cells.map((c, i) => ` ${c.padStart(widths[i])} `).join('|')}|`;
  return [line, fmt(names), line, ...rows.map(fmt), line, `${t.numRows} row${t.numRows === 1 ? '' : 's'}`].join('\n');
}
