// Column values as text for the csv and json sinks, in the forms the csv and json readers read back.
import * as arrow from 'apache-arrow';
import { MS_PER_DAY, isoDateText, isoTimestampText } from '../calendar.ts';
import { isValid } from '../compute/take.ts';

/**
 * Returns `(i) => text of row i, or null`. `json` selects JSON text (strings quoted, int64
 * beyond 2^53 as strings, NaN/Infinity as strings, lists as arrays); otherwise plain text for
 * csv (lists as JSON arrays). Dates are YYYY-MM-DD, timestamps ISO-8601 in UTC (years outside
 * 0000-9999 in the expanded form '+275760-09-13', which the readers accept), binary base64.
 */
export function valueFormatter(d: arrow.Data, json: boolean): (i: number) => string | null {
  const fmt = formatValid(d, json);
  if (d.nullCount === 0) return fmt;
  return (i) => (isValid(d, i) ? fmt(i) : null);
}

function formatValid(d: arrow.Data, json: boolean): (i: number) => string {
  const values = d.values as any;
  switch (d.typeId) {
    case arrow.Type.Null: return () => (json ? 'null' : '');
    case arrow.Type.Bool: return (i) => { const j = d.offset + i; return (values[j >> 3] & (1 << (j & 7))) !== 0 ? 'true' : 'false'; };
    case arrow.Type.Int: {
      if ((d.type as arrow.Int).bitWidth < 64) return (i) => String(values[i]);
      return (i) => {
        const v = values[i] as bigint;
        return json && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) ? `"${v}"` : v.toString();
      };
    }
    case arrow.Type.Float: {
      const f = floatText;
      return json ? (i) => { const s = f(values[i]); return Number.isFinite(values[i]) ? s : `"${s}"`; } : (i) => f(values[i]);
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
      return (i) => {
        const s = isoTimestampText(toMs(BigInt(values[i])));
        return json ? `"${s}"` : s;
      };
    }
    case arrow.Type.List: case arrow.Type.FixedSizeList: {
      const child = d.children[0];
      const inner = valueFormatter(child, true);
      const offs = d.valueOffsets as Int32Array | undefined;
      const size = d.typeId === arrow.Type.FixedSizeList ? (d.type as arrow.FixedSizeList).listSize : 0;
      return (i) => {
        const a = offs ? offs[i] : i * size, b = offs ? offs[i + 1] : (i + 1) * size;
        const parts: string[] = [];
        for (let k = a; k < b; k++) parts.push(inner(k) ?? 'null');
        return `[${parts.join(',')}]`;
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
