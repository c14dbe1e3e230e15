// Spark-compatible text forms of numbers, dates and timestamps, and the parsers for CAST.
import { civilFromDays, daysFromCivil, daysInMonth } from './calendar.ts';

const MS_PER_DAY = 86_400_000;

/** Java's Double.toString: "1.0", "0.001", "1.0E7", "1.0E-4", "NaN", "Infinity". */
export function formatDouble(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  return javaStyle(x, String(x), x.toExponential());
}

/** Java's Float.toString: the shortest digits that round-trip through float32. */
export function formatFloat(x: number): string {
  if (x !== x || !Number.isFinite(x) || x === 0) return formatDouble(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) {
      const y = Number(s);
      return javaStyle(y, String(y), y.toExponential());
    }
  }
  return formatDouble(x);
}

function javaStyle(x: number, plain: string, exp: string): string {
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) return plain.includes('.') || plain.includes('e') ? plain : `${plain}.0`;
  const [m, e] = exp.split('e');
  return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
}

const ymd = new Int32Array(3);

/** Days since the epoch as YYYY-MM-DD. */
export function formatDate(days: number): string {
  civilFromDays(days, ymd);
  const y = ymd[0];
  const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  return `${ys}-${pad2(ymd[1])}-${pad2(ymd[2])}`;
}

function isoDate(d: Date): string {
  const y = d.getUTCFullYear();
  const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  return `${ys}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

const pad2 = (k: number) => String(k).padStart(2, '0');

/** Milliseconds since the epoch as Spark prints them (UTC): YYYY-MM-DD HH:MM:SS[.fff]. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const frac = ((ms % 1000) + 1000) % 1000;
  const base = `${isoDate(d)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return frac ? `${base}.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : base;
}

const TRUE = new Set(['t', 'true', 'y', 'yes', '1']);
const FALSE = new Set(['f', 'false', 'n', 'no', '0']);

export function parseBool(s: string): boolean | null {
  const l = s.toLowerCase();
  return TRUE.has(l) ? true : FALSE.has(l) ? false : null;
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;

export function parseFloat64(s: string): number | null {
  if (FLOAT_RE.test(s)) return Number(s.replace(/[dDfF]$/, ''));
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return null;
}

const INT_RE = /^([+-]?\d+)(\.\d*)?$/;
const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  int64: [-9223372036854775808, 9223372036854775807],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295], uint64: [0, 18446744073709551615],
};

/** Integer text (a fraction is truncated, as Spark does); out of range -> null. */
export function parseInteger(s: string, type: string): number | null {
  const m = INT_RE.exec(s);
  if (!m) return null;
  const [lo, hi] = INT_RANGE[type];
  const big = BigInt(m[1]);
  const x = Number(big);
  if (type === 'int64' || type === 'uint64') {
    const min = type === 'int64' ? -(2n ** 63n) : 0n;
    const max = type === 'int64' ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    return big < min || big > max ? null : x;
  }
  return x < lo || x > hi ? null : x;
}

const DATE_RE = /^([+-]?\d{4,})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[ T].*)?$/;

/** 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' (anything after a space or 'T' ignored) -> days. */
export function parseDate(s: string): number | null {
  if (s.length === 10) {
    const fast = isoDay(s);
    if (fast !== undefined) return fast;
  }
  const m = DATE_RE.exec(s);
  if (!m) return null;
  const ms = civil(Number(m[1]), m[2] ? Number(m[2]) : 1, m[3] ? Number(m[3]) : 1);
  return ms === null ? null : ms / MS_PER_DAY;
}

/** Exactly 'YYYY-MM-DD' read by character codes (the common case, no RegExp or Date); undefined when it is another shape. */
function isoDay(s: string): number | null | undefined {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  let y = 0, m = 0, d = 0;
  for (let k = 0; k < 10; k++) {
    if (k === 4 || k === 7) continue;
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return undefined;
    if (k < 4) y = y * 10 + c;
    else if (k < 7) m = m * 10 + c;
    else d = d * 10 + c;
  }
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return daysFromCivil(y, m, d);
}

const TS_RE = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** 'YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|+HH:MM]' -> ms since the epoch (UTC when no zone). */
export function parseTimestamp(s: string): number | null {
  const m = TS_RE.exec(s);
  if (!m) {
    const d = /^[+-]?\d{4,}(-\d{1,2})?$/.test(s) ? parseDate(s) : null;
    return d === null ? null : d * MS_PER_DAY;
  }
  const day = civil(Number(m[1]), Number(m[2]), Number(m[3]));
  if (day === null) return null;
  const h = Number(m[4] ?? 0), mi = Number(m[5] ?? 0), sec = Number(m[6] ?? 0);
  if (h > 23 || mi > 59 || sec > 59) return null;
  const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000 + 1e-6) : 0;
  let zone = 0;
  if (m[8] && m[8] !== 'Z') {
    const z = m[8];
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    zone = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return day + ((h * 60 + mi) * 60 + sec) * 1000 + frac - zone;
}

/** ms at midnight UTC of a valid calendar date, or null when the date does not exist. */
function civil(y: number, mo: number, d: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
  return dt.getTime();
}
