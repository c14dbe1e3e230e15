// Text (and byte) -> typed value conversion for csv and json, UTF-8 checks, and the type lattice used by schema inference.
import { validDays } from '../calendar.ts';
import type { PrimitiveTypeName } from '../types.ts';

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// Years are four digits, or ISO-8601's expanded form that the writers (and toISOString) use
// outside 0000-9999: a sign and six to nine digits ('+275760', '-000001'); nine reach any int64 millisecond.
const DATE_RE = /^(\d{4}|[+-]\d{6,9})-(\d{2})-(\d{2})$/;
const TS_RE = /^(\d{4}|[+-]\d{6,9})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const INT_RANGE: Partial<Record<PrimitiveTypeName, [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};
const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n, U64_MAX = (1n << 64n) - 1n;

/** Integer text for an int type: a number for <= 32 bits, a bigint for 64 bits; null if invalid or out of range. */
export function parseIntText(s: string, type: PrimitiveTypeName): number | bigint | null {
  if (!INT_RE.test(s)) return null;
  if (type === 'int64' || type === 'uint64') {
    const v = BigInt(s);
    return type === 'int64' ? (v < I64_MIN || v > I64_MAX ? null : v) : (v < 0n || v > U64_MAX ? null : v);
  }
  const v = Number(s);
  const r = INT_RANGE[type]!;
  return v < r[0] || v > r[1] ? null : v;
}

/** Decimal or exponent notation, NaN, Infinity, -Infinity; null otherwise (Number() is too lenient: '', ' ', '0x1'). */
export function parseFloatText(s: string): number | null {
  if (FLOAT_RE.test(s)) return Number(s);
  switch (s) {
    case 'NaN': return NaN;
    case 'Infinity': case '+Infinity': case 'inf': case '+inf': return Infinity;
    case '-Infinity': case '-inf': return -Infinity;
  }
  return null;
}

/** 'true' / 'false' in any case. */
export function parseBoolText(s: string): boolean | null {
  if (s.length === 4 && s.toLowerCase() === 'true') return true;
  if (s.length === 5 && s.toLowerCase() === 'false') return false;
  return null;
}

/** 'YYYY-MM-DD' (or '+YYYYYY-MM-DD') -> days since 1970-01-01; null for a day that does not exist or overflows int32. */
export function parseDateText(s: string): number | null {
  const m = DATE_RE.exec(s);
  if (!m) return null;
  const days = validDays(Number(m[1]), Number(m[2]), Number(m[3]));
  return days === null || days < -2147483648 || days > 2147483647 ? null : days;
}

/** ISO-8601-like date-time (a missing zone means UTC) -> epoch milliseconds; null when a field is out of range. */
export function parseTimestampText(s: string): bigint | null {
  const m = TS_RE.exec(s);
  if (!m) return null;
  const days = validDays(Number(m[1]), Number(m[2]), Number(m[3]));
  const h = Number(m[4] ?? 0), mi = Number(m[5] ?? 0), sec = Number(m[6] ?? 0);
  if (days === null || h > 23 || mi > 59 || sec > 59) return null;
  const frac = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let tod = ((h * 60 + mi) * 60 + sec) * 1000 + frac;
  const z = m[8];
  if (z && z !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const hhmm = z.slice(1).replace(':', '');
    tod -= sign * (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(2))) * 60000;
  }
  // BigInt: past +-285,000 years the milliseconds are no longer exact as a double.
  const ms = BigInt(days) * 86_400_000n + BigInt(tod);
  return ms < I64_MIN || ms > I64_MAX ? null : ms;
}

/** Text shown for a value in 'expected int32, found ...' messages. */
export function describeType(t: PrimitiveTypeName): string {
  switch (t) {
    case 'bool': return 'bool (true or false)';
    case 'date32': return 'date32 (YYYY-MM-DD)';
    case 'timestamp_ms': return 'timestamp_ms (YYYY-MM-DD[THH:MM:SS[.fff]][Z|+HH:MM])';
    default: return t;
  }
}

/**
 * Inference lattice for text formats: 'null' (no value seen) < int32 < int64 < float64; bool
 * stands alone; utf8 is the top. Values too large for int64 are float64.
 */
export type InferredKind = 'null' | 'int32' | 'int64' | 'float64' | 'bool' | 'utf8';

export function classifyText(s: string): InferredKind {
  if (INT_RE.test(s)) {
    if (s.length <= 10) { const v = Number(s); if (v >= -2147483648 && v <= 2147483647) return 'int32'; }
    return parseIntText(s, 'int64') !== null ? 'int64' : 'float64';
  }
  if (parseFloatText(s) !== null) return 'float64';
  if (parseBoolText(s) !== null) return 'bool';
  return 'utf8';
}

const NUMERIC_RANK: Partial<Record<InferredKind, number>> = { int32: 1, int64: 2, float64: 3 };

export function mergeKinds(a: InferredKind, b: InferredKind): InferredKind {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  const ra = NUMERIC_RANK[a], rb = NUMERIC_RANK[b];
  if (ra !== undefined && rb !== undefined) return ra > rb ? a : b;
  return 'utf8';
}

/** The column type an inferred kind becomes ('null': no value seen -> utf8, as Spark does). */
export function kindToType(k: InferredKind): PrimitiveTypeName {
  return k === 'null' ? 'utf8' : k;
}

/**
 * Why bytes [a, b) are not valid UTF-8 (naming the first bad byte and what to do), or null when
 * they are. Overlong forms, surrogates and code points past U+10FFFF are invalid, as in
 * TextDecoder with fatal: true.
 */
export function invalidUtf8(buf: Uint8Array, a: number, b: number): string | null {
  let i = a;
  while (i < b) {
    const c = buf[i];
    if (c < 0x80) { i++; continue; }
    let n = 0, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
    let ok = n > 0 && i + n < b;
    for (let k = 1; ok && k <= n; k++) {
      const d = buf[i + k];
      if (d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) ok = false;
    }
    if (!ok) {
      const hex = `0x${c.toString(16).toUpperCase().padStart(2, '0')}`;
      return `invalid UTF-8: byte ${hex} at byte ${i - a + 1} of the value (a string MUST be UTF-8: convert the file, e.g. with iconv -f latin1 -t utf-8)`;
    }
    i += n + 1;
  }
  return null;
}

/** 'true' / 'false' in any case, from bytes. */
export function parseBoolBytes(buf: Buffer, a: number, b: number): boolean | null {
  const n = b - a;
  if (n !== 4 && n !== 5) return null;
  const c = buf[a] | 0x20;
  if (n === 4 && c === 116 && (buf[a + 1] | 0x20) === 114 && (buf[a + 2] | 0x20) === 117 && (buf[a + 3] | 0x20) === 101) return true;
  if (n === 5 && c === 102 && (buf[a + 1] | 0x20) === 97 && (buf[a + 2] | 0x20) === 108 && (buf[a + 3] | 0x20) === 115 && (buf[a + 4] | 0x20) === 101) return false;
  return null;
}

/**
 * Fast path for [sign] digits [. digits] with at most 15 digits: the digits as an integer are
 * exact, and one division by an exact power of ten rounds correctly (Clinger's fast path).
 * Returns null for anything else (exponents, long mantissas, NaN...): the caller parses the text.
 */
export function parseSimpleDecimal(buf: Buffer, a: number, b: number): number | null {
  let i = a, neg = false;
  if (i < b && (buf[i] === 45 || buf[i] === 43)) { neg = buf[i] === 45; i++; }
  let m = 0, digits = 0, frac = -1;
  for (; i < b; i++) {
    const c = buf[i];
    if (c === 46) { if (frac >= 0) return null; frac = 0; continue; }
    const d = c - 48;
    if (d < 0 || d > 9) return null;
    m = m * 10 + d;
    digits++;
    if (frac >= 0) frac++;
  }
  if (digits === 0 || digits > 15) return null;
  const v = frac > 0 ? m / POW10[frac] : m;
  return neg ? -v : v;
}

const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** Optional sign and up to 10 digits, straight from bytes; null for anything else. */
export function parseSmallInt(buf: Buffer, a: number, b: number): number | null {
  let i = a, neg = false;
  if (i < b && (buf[i] === 45 || buf[i] === 43)) { neg = buf[i] === 45; i++; }
  if (i === b || b - i > 10) return null;
  let v = 0;
  for (; i < b; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}
