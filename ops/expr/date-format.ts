// Spark-style datetime patterns (yyyy-MM-dd HH:mm:ss ...) compiled once into a parser from text to epoch milliseconds.
import type * as arrow from 'apache-arrow';
import { PlanError } from '../errors.ts';
import { allValid, clearBit, getBit, validity } from './bits.ts';
import { daysFromCivil, daysInMonth, MS_PER_DAY } from './calendar.ts';
import { fromNumbers } from './num.ts';
import { bufferOf } from './utf8.ts';

/** Parses one string; null when it does not match the pattern or names a date that does not exist. */
export type DateParser = (s: string) => number | null;

export type Field = 'year' | 'year2' | 'month' | 'monthName' | 'day' | 'hour' | 'hour12' | 'ampm' | 'minute' | 'second' | 'fraction';

/** A pattern's pieces: literal text, or a field with its letter-run length (MM: count 2) and the RegExp that parses it. */
export type FormatPart = { readonly text: string } | { readonly field: Field; readonly count: number; readonly re: string };

export const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

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
 * Splits `format` into text and fields (letters yyyy yy MM M MMM MMMM dd d HH H hh h a mm m ss s
 * S..., text in single quotes, '' for a quote, any other non-letter literal). Throws PlanError
 * naming an unsupported letter or an unclosed quote.
 */
export function tokenizeDateFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  for (let i = 0; i < format.length;) {
    const c = format[i];
    if (c === "'") {
      // '' is a quote, in quoted text or out of it.
      if (format[i + 1] === "'") { parts.push({ text: "'" }); i += 2; continue; }
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= format.length) throw new PlanError(`date format '${format}': the quote at position ${i + 1} is never closed`);
        if (format[j] === "'") {
          if (format[j + 1] !== "'") break;
          text += "'";
          j += 2;
          continue;
        }
        text += format[j++];
      }
      parts.push({ text });
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) { parts.push({ text: c }); i++; continue; }
    let j = i;
    while (j < format.length && format[j] === c) j++;
    const t = token(c, j - i);
    if (t === null) {
      throw new PlanError(`date format '${format}': pattern letter '${c}' is not supported; use yyyy, yy, MM, MMM, dd, HH, hh, a, mm, ss, SSS, and quote literal text ('T')`);
    }
    parts.push({ field: t[0], count: j - i, re: t[1] });
    i = j;
  }
  return parts;
}

/**
 * Compiles `format` (see tokenizeDateFormat) into a parser. Missing fields default to
 * 1970-01-01 00:00:00; the result is UTC milliseconds.
 */
export function compileDateFormat(format: string): DateParser {
  const parts = tokenizeDateFormat(format);
  const fields: Field[] = [];
  let re = '';
  for (const p of parts) {
    if ('text' in p) re += escapeRe(p.text);
    else { re += p.re; fields.push(p.field); }
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
