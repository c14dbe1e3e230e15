// dateFormat: date32 / timestamp_ms rows printed through a Spark-style pattern (the same letters the parser reads).
import type * as arrow from 'apache-arrow';
import { getBit, validity } from './bits.ts';
import { civilFromDays, MS_PER_DAY } from './calendar.ts';
import { MONTHS, tokenizeDateFormat, type FormatPart } from './date-format.ts';
import { numbersOf } from './num.ts';
import { Utf8Builder } from './utf8.ts';

const pad = (x: number, width: number): string => (x < 0 ? `-${String(-x).padStart(width, '0')}` : String(x).padStart(width, '0'));
const title = (s: string): string => s[0].toUpperCase() + s.slice(1);

/** Prints one instant (UTC) given as its day number and milliseconds within the day. */
function printer(parts: readonly FormatPart[]): (day: number, msOfDay: number) => string {
  const ymd = new Int32Array(3);
  return (day, msOfDay) => {
    civilFromDays(day, ymd);
    const h = Math.floor(msOfDay / 3_600_000), mi = Math.floor(msOfDay / 60_000) % 60, s = Math.floor(msOfDay / 1000) % 60, ms = msOfDay % 1000;
    let out = '';
    for (const p of parts) {
      if ('text' in p) { out += p.text; continue; }
      const n = p.count;
      switch (p.field) {
        case 'year': out += pad(ymd[0], n); break;
        case 'year2': out += pad(((ymd[0] % 100) + 100) % 100, 2); break;
        case 'month': out += pad(ymd[1], n); break;
        case 'monthName': out += n === 3 ? title(MONTHS[ymd[1] - 1].slice(0, 3)) : title(MONTHS[ymd[1] - 1]); break;
        case 'day': out += pad(ymd[2], n); break;
        case 'hour': out += pad(h, n); break;
        case 'hour12': out += pad(((h + 11) % 12) + 1, n); break;
        case 'ampm': out += h < 12 ? 'AM' : 'PM'; break;
        case 'minute': out += pad(mi, n); break;
        case 'second': out += pad(s, n); break;
        case 'fraction': out += String(ms).padStart(3, '0').padEnd(n, '0').slice(0, n); break;
      }
    }
    return out;
  };
}

/**
 * Each row as text in `format` (see tokenizeDateFormat; the caller MUST have checked it at plan
 * time); null rows stay null.
 */
export function formatColumn(d: arrow.Data, type: 'date32' | 'timestamp_ms', format: string): arrow.Data {
  const n = d.length;
  const A = numbersOf(d);
  const v = validity(d);
  const print = printer(tokenizeDateFormat(format));
  const b = new Utf8Builder(n, n * format.length);
  for (let i = 0; i < n; i++) {
    if (v && !getBit(v, i)) { b.pushNull(); continue; }
    if (type === 'date32') { b.pushString(print(A[i], 0)); continue; }
    const day = Math.floor(A[i] / MS_PER_DAY);
    b.pushString(print(day, A[i] - day * MS_PER_DAY));
  }
  return b.finish();
}
