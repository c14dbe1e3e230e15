// Column values as text: for the csv and json sinks (in the forms their readers, Quiver's and DuckDB's, read back) and for show().
import * as arrow from 'apache-arrow';
import { MS_PER_DAY, isoDateText, isoTimestampText } from '../calendar.ts';
import { isValid } from '../compute/take.ts';

/**
 * 'csv': plain text; 'json': JSON text; 'show': text for a person (show()). All three write
 * int64/uint64 exactly as digits, dates as YYYY-MM-DD and timestamps zone-less in UTC
 * (timestamp_ms carries no zone, as in Parquet and Arrow), years outside 0000-9999 in the
 * expanded form '+275760-09-13' which Quiver's readers accept.
 *   csv:  floats always with a '.', an exponent or a name (23.0, 1e+300, NaN, Infinity, -Infinity)
 *         so that no reader takes a float column for integers; timestamps 'YYYY-MM-DD HH:MM:SS.fff';
 *         binary base64; lists as JSON arrays.
 *   json: int64 as numbers (exact digits, even beyond 2^53); floats with a '.' as in csv, but
 *         NaN and ±Infinity, which JSON cannot hold, as null; strings, dates, timestamps
 *         and base64 binary as strings.
 *   show: timestamps 'YYYY-MM-DD HH:MM:SS' with '.fff' only when the milliseconds are not zero;
 *         binary as 0x hex; lists as [a, b]; structs as {a: 1, b: x}; maps as {k -> v} (as Spark).
 * Structs are JSON objects in 'json' (and 'csv', whose writer refuses them first); maps are JSON
 * objects whose member names are the keys' text.
 */
export type TextStyle = 'csv' | 'json' | 'show';

/** Returns `(i) => text of row i, or null` for a null. */
export function valueFormatter(d: arrow.Data, style: TextStyle): (i: number) => string | null {
  const fmt = formatValid(d, style);
  if (d.nullCount === 0) return fmt;
  return (i) => (isValid(d, i) ? fmt(i) : null);
}

/** Milliseconds since the epoch as 'YYYY-MM-DD HH:MM:SS.fff' (UTC, no zone); `trim` drops a '.000'. */
export function timestampText(ms: bigint, trim = false): string {
  const iso = isoTimestampText(ms);
  const t = iso.indexOf('T');
  const text = `${iso.slice(0, t)} ${iso.slice(t + 1, -1)}`;
  return trim && text.endsWith('.000') ? text.slice(0, -4) : text;
}

/** Shortest text that reads back as this float32 (String() would print the float64 widening: 0.1 -> 0.10000000149011612). */
export function float32Text(v: number): string {
  if (!Number.isFinite(v) || Object.is(v, -0)) return floatText(v);
  for (let p = 1; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function formatValid(d: arrow.Data, style: TextStyle): (i: number) => string {
  const values = d.values as any;
  const json = style === 'json';
  switch (d.typeId) {
    case arrow.Type.Null: return () => (json ? 'null' : '');
    case arrow.Type.Bool: return (i) => { const j = d.offset + i; return (values[j >> 3] & (1 << (j & 7))) !== 0 ? 'true' : 'false'; };
    case arrow.Type.Int: {
      if ((d.type as arrow.Int).bitWidth < 64) return (i) => String(values[i]);
      return (i) => (values[i] as bigint).toString();
    }
    case arrow.Type.Float: {
      const f = (d.type as arrow.Float).precision === arrow.Precision.SINGLE ? float32Text : floatText;
      // A whole float keeps a '.0' in files: '23' would make other readers type the column as integers.
      const pointed = (v: number) => { const s = f(v); return /[.eEIN]/.test(s) ? s : `${s}.0`; };
      if (json) return (i) => (Number.isFinite(values[i]) ? pointed(values[i]) : 'null');
      if (style === 'csv') return (i) => pointed(values[i]);
      return (i) => f(values[i]);
    }
    case arrow.Type.Utf8: case arrow.Type.LargeUtf8: {
      const offs = d.valueOffsets as any;
      const buf = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      return (i) => {
        const s = buf.toString('utf8', Number(offs[i]), Number(offs[i + 1]));
        return json ? JSON.stringify(s) : s;
      };
    }
    case arrow.Type.Binary: {
      const offs = d.valueOffsets as Int32Array;
      const buf = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      if (style === 'show') return (i) => `0x${buf.toString('hex', offs[i], offs[i + 1])}`;
      return (i) => { const s = buf.toString('base64', offs[i], offs[i + 1]); return json ? `"${s}"` : s; };
    }
    case arrow.Type.Date: {
      const days = (d.type as arrow.Date_).unit === arrow.DateUnit.DAY;
      return (i) => {
        const s = isoDateText(days ? values[i] : Math.floor(Number(values[i]) / MS_PER_DAY));
        return json ? `"${s}"` : s;
      };
    }
    case arrow.Type.Timestamp: {
      const unit = (d.type as arrow.Timestamp).unit;
      // In bigint: int64 milliseconds beyond 2^53 are not exact as doubles.
      const toMs = (v: bigint): bigint => {
        switch (unit) {
          case arrow.TimeUnit.SECOND: return v * 1000n;
          case arrow.TimeUnit.MILLISECOND: return v;
          default: {
            const per = unit === arrow.TimeUnit.MICROSECOND ? 1000n : 1_000_000n;
            const q = v / per;
            return v % per < 0n ? q - 1n : q;
          }
        }
      };
      const trim = style === 'show';
      return (i) => {
        const s = timestampText(toMs(BigInt(values[i])), trim);
        return json ? `"${s}"` : s;
      };
    }
    case arrow.Type.List: case arrow.Type.FixedSizeList: {
      const child = d.children[0];
      const inner = valueFormatter(child, style === 'show' ? 'show' : 'json');
      const sepr = style === 'show' ? ', ' : ',';
      const none = style === 'show' ? 'NULL' : 'null';
      const offs = d.valueOffsets as Int32Array | undefined;
      const size = d.typeId === arrow.Type.FixedSizeList ? (d.type as arrow.FixedSizeList).listSize : 0;
      return (i) => {
        const a = offs ? offs[i] : i * size, b = offs ? offs[i + 1] : (i + 1) * size;
        const parts: string[] = [];
        for (let k = a; k < b; k++) parts.push(inner(k) ?? none);
        return `[${parts.join(sepr)}]`;
      };
    }
    case arrow.Type.Struct: {
      // A struct's children are sliced with it: row i is row i of each child.
      const names = d.type.children.map((f: arrow.Field) => f.name);
      const inner = d.children.map((c) => valueFormatter(c, style === 'show' ? 'show' : 'json'));
      if (style === 'show') return (i) => `{${names.map((n: string, k: number) => `${n}: ${inner[k](i) ?? 'NULL'}`).join(', ')}}`;
      return (i) => `{${names.map((n: string, k: number) => `${JSON.stringify(n)}:${inner[k](i) ?? 'null'}`).join(',')}}`;
    }
    case arrow.Type.Map: {
      const offs = d.valueOffsets as Int32Array;
      const [kd, vd] = d.children[0].children;
      const show = style === 'show';
      const keyText = valueFormatter(kd, show ? 'show' : 'csv');
      const value = valueFormatter(vd, show ? 'show' : 'json');
      return (i) => {
        const parts: string[] = [];
        for (let k = offs[i]; k < offs[i + 1]; k++) {
          const key = keyText(k) ?? 'null';
          parts.push(show ? `${key} -> ${value(k) ?? 'NULL'}` : `${JSON.stringify(key)}:${value(k) ?? 'null'}`);
        }
        return `{${parts.join(show ? ', ' : ',')}}`;
      };
    }
  }
  const vec = new arrow.Vector([d]);
  return (i) => (json ? JSON.stringify(vec.get(i)) ?? 'null' : String(vec.get(i)));
}

/** Shortest round-tripping text; keeps the sign of -0. */
function floatText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}
