// Spark-style datetime patterns (yyyy-MM-dd HH:mm:ss ...) compiled once into a parser from text to epoch milliseconds.
import type * as arrow from 'apache-arrow';
import { PlanError } from '../errors.ts';
import { allValid, clearBit, getBit, validity } from './bits.ts';
import { daysFromCivil, daysInMonth, MS_PER_DAY } from './calendar.ts';
import { fromNumbers } from './num.ts';
import { bufferOf } from './utf8.ts';

/** Parses one string; null when it does not match the pattern or names a date that does not exist. */
export type DateParser = (s: string) => number | null;

type Field = 'year' | 'year2' | 'month' | 'monthName' | 'day' | 'hour' | 'hour12' | 'ampm' | 'minute' | 'second' | 'fraction';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Letter runs the parser understands: letter -> (run length -> [field, regexp]). */
function token(letter: string, count: number): [Field, string] | null {
  switch (letter) {
    case 'y': return count === 2 ? ['year2', '(\\d{2})'] : ['year', count === 4 ? '([+-]?\\d{4,})' : '([+-]?\\d{1,})'];
    case 'M': return count >= 3 ? ['monthName', '([A-Za-z]{3,9})'] : ['month', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 'd': return ['day', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 'H': return ['hour', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 'h': return ['hour12', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 'a': return ['ampm', '([AaPp][Mm])'];
    case 'm': return ['minute', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 's': return ['second', count === 2 ? '(\\d{2})' : '(\\d{1,2})'];
    case 'S': return ['fraction', `(\\d{1,${count}})`];
    default: return null;
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Compiles `format` (letters yyyy yy MM M MMM dd d HH H hh h a mm m ss s S..., text in single
 * quotes, any other non-letter literal). Throws PlanError naming an unsupported letter. Missing
 * fields default to 1970-01-01 00:00:00; the result is UTC milliseconds.
 */
export function compileDateFormat(format: string): DateParser {
  let re = '';
  const fields: Field[] = [];
  for (let i = 0; i < format.length;) {
    const c = format[i];
    if (c === "'") {
      const close = format.indexOf("'", i + 1);
      if (close < 0) throw new PlanError(`date format '${format}': the quote at position ${i + 1} is never closed`);
      re += close === i + 1 ? "'" : escapeRe(format.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) { re += escapeRe(c); i++; continue; }
    let j = i;
    while (j < format.length && format[j] === c) j++;
    const t = token(c, j - i);
    if (t === null) {
      throw new PlanError(`date format '${format}': pattern letter '${c}' is not supported; use yyyy, yy, MM, MMM, dd, HH, hh, a, mm, ss, SSS, and quote literal text ('T')`);
    }
    fields.push(t[0]);
    re += t[1];
    i = j;
  }
  const rx = new RegExp(`^${re}$`);
  return (s) => {
    const m = rx.exec(s);
    if (!m) return null;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0, pm: boolean | null = null, h12 = -1;
    for (let k = 0; k < fields.length; k++) {
      const g = m[k + 1];
      switch (fields[k]) {
        case 'year': y = Number(g); break;
        case 'year2': y = 2000 + Number(g); break;
        case 'month': mo = Number(g); break;
        case 'monthName': {
          const name = g.toLowerCase();
          const idx = MONTHS.findIndex((x) => x === name || x.slice(0, 3) === name);
          if (idx < 0) return null;
          mo = idx + 1;
          break;
        }
        case 'day': d = Number(g); break;
        case 'hour': h = Number(g); break;
        case 'hour12': h12 = Number(g); break;
        case 'ampm': pm = g.toLowerCase() === 'pm'; break;
        case 'minute': mi = Number(g); break;
        case 'second': sec = Number(g); break;
        case 'fraction': ms = Math.floor(Number(`0.${g}`) * 1000 + 1e-6); break;
      }
    }
    if (h12 >= 0) {
      if (h12 < 1 || h12 > 12) return null;
      h = (h12 % 12) + (pm ? 12 : 0);
    }
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
    return daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
  };
}

/** Parses every row of a Utf8 column with `parse`; rows that do not parse become null (Spark's non-ANSI mode). */
export function parseColumn(d: arrow.Data, parse: DateParser, to: 'date32' | 'timestamp_ms'): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const buf = bufferOf(d);
  const v = validity(d);
  const valid = v ? v.slice() : allValid(n);
  const R = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!getBit(valid, i)) continue;
    const ms = parse(buf.toString('utf8', offs[i], offs[i + 1]));
    if (ms === null || (to === 'date32' && Math.abs(ms / MS_PER_DAY) > 2147483647)) clearBit(valid, i);
    else R[i] = to === 'date32' ? Math.floor(ms / MS_PER_DAY) : ms;
  }
  return fromNumbers(to, R, n, valid);
}
