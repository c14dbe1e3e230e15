// SQL LIKE / ILIKE and RLIKE: patterns compiled once; %-only patterns match UTF-8 bytes (prefix, suffix, contains, ordered parts), others a RegExp.
import type * as arrow from 'apache-arrow';
import { DataError, PlanError } from '../errors.ts';
import { andValidity, byteLen, getBit, validity } from './bits.ts';
import { boolData, compareUtf8Scalar } from './compare.ts';
import { indexOfBytes, matchBytes } from './strings.ts';
import { bufferOf, encoder } from './utf8.ts';

/** A parsed LIKE pattern: literal runs and the wildcards between them. */
type Token = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'one' } | { readonly kind: 'many' };

/**
 * Splits a LIKE pattern into text and wildcards: `%` any run, `_` one character, `escape`
 * followed by any character that character itself (so `\%`, `\_`, `\\`). An empty `escape`
 * means none. Throws PlanError when the pattern ends with a lone escape character.
 */
export function parseLike(pattern: string, escape: string): Token[] {
  const out: Token[] = [];
  let text = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (escape !== '' && c === escape) {
      if (i + 1 >= chars.length) {
        throw new PlanError(`LIKE pattern '${pattern}' ends with the escape character '${escape}'; write it twice for a literal '${escape}'`);
      }
      text += chars[++i];
      continue;
    }
    if (c !== '%' && c !== '_') { text += c; continue; }
    if (text) { out.push({ kind: 'text', text }); text = ''; }
    // Runs of % are one %.
    if (c === '_') out.push({ kind: 'one' });
    else if (out.at(-1)?.kind !== 'many') out.push({ kind: 'many' });
  }
  if (text) out.push({ kind: 'text', text });
  return out;
}

// Only syntax characters: the 'u' flag refuses other escapes such as \-.
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The pattern as an anchored RegExp over JS strings ('_' one code point, '%' anything including newlines). */
function likeRegExp(tokens: readonly Token[]): RegExp {
  const body = tokens.map((t) => (t.kind === 'text' ? escapeRe(t.text) : t.kind === 'one' ? '.' : '.*')).join('');
  return new RegExp(`^${body}$`, 'su');
}

/** Lowercases the text of a pattern (ILIKE compares lower(str) LIKE lower(pattern)). */
export function lowerTokens(tokens: readonly Token[]): Token[] {
  return tokens.map((t) => (t.kind === 'text' ? { kind: 'text', text: t.text.toLowerCase() } : t));
}

/** A compiled literal pattern: Utf8 Data in, bool Data out (null rows stay null). */
export type LikeKernel = (d: arrow.Data) => arrow.Data;

/**
 * Picks the cheapest matcher for a pattern: equality, startsWith, endsWith, contains, ordered
 * parts (`a%b%c`: prefix, suffix, then each middle part by indexOf after the previous one),
 * all on bytes (UTF-8 is self-synchronizing, so a byte match of valid UTF-8 is a character
 * match); a pattern with `_` runs as a RegExp over the row strings.
 */
export function likeKernel(tokens: readonly Token[]): LikeKernel {
  if (tokens.some((t) => t.kind === 'one')) {
    const re = likeRegExp(tokens);
    return (d) => testStrings(d, null, () => re);
  }
  const parts = tokens.filter((t) => t.kind === 'text').map((t) => encoder.encode((t as { text: string }).text));
  const anchoredStart = tokens.length > 0 && tokens[0].kind === 'text';
  const anchoredEnd = tokens.length > 0 && tokens[tokens.length - 1].kind === 'text';
  const empty = new Uint8Array(0);
  if (tokens.length === 0) return (d) => compareUtf8Scalar('eq', d, empty);
  if (tokens.length === 1) {
    // One text and no %, or % alone.
    return anchoredStart ? (d) => compareUtf8Scalar('eq', d, parts[0]) : (d) => matchBytes('startsWith', d, null, empty);
  }
  if (tokens.length === 2) return anchoredStart ? (d) => matchBytes('startsWith', d, null, parts[0]) : (d) => matchBytes('endsWith', d, null, parts[0]);
  if (tokens.length === 3 && !anchoredStart && !anchoredEnd) return (d) => matchBytes('contains', d, null, parts[0]);
  return (d) => orderedParts(d, parts, anchoredStart, anchoredEnd);
}

/** Rows holding `parts` in order, the first at the start and the last at the end when anchored. */
function orderedParts(d: arrow.Data, parts: readonly Uint8Array[], anchoredStart: boolean, anchoredEnd: boolean): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const out = new Uint8Array(byteLen(n));
  const first = anchoredStart ? 1 : 0;
  const last = anchoredEnd ? parts.length - 1 : parts.length;
  const head = anchoredStart ? parts[0] : null;
  const tail = anchoredEnd ? parts[parts.length - 1] : null;
  for (let i = 0; i < n; i++) {
    let pos = offs[i], end = offs[i + 1];
    if (head) {
      if (end - pos < head.length || !same(bytes, pos, head)) continue;
      pos += head.length;
    }
    if (tail) {
      if (end - pos < tail.length || !same(bytes, end - tail.length, tail)) continue;
      end -= tail.length;
    }
    let ok = true;
    for (let k = first; k < last && ok; k++) {
      const p = parts[k];
      const at = indexOfBytes(bytes, pos, end, p, 0, p.length);
      if (at < 0) ok = false;
      else pos = at + p.length;
    }
    if (ok) out[i >> 3] |= 1 << (i & 7);
  }
  const v = validity(d);
  return boolData(out, n, v ? v.slice() : null);
}

function same(x: Uint8Array, a: number, y: Uint8Array): boolean {
  for (let k = 0; k < y.length; k++) if (x[a + k] !== y[k]) return false;
  return true;
}

/**
 * Tests each row's string against the RegExp `reOf` gives for its row (a literal pattern: the
 * same one; a pattern column: compiled per distinct pattern). Null when the string or the
 * pattern is null.
 */
export function testStrings(d: arrow.Data, patterns: arrow.Data | null, reOf: (pattern: string | null) => RegExp): arrow.Data {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const buf = bufferOf(d);
  const po = patterns ? (patterns.valueOffsets as Int32Array) : null;
  const pbuf = patterns ? bufferOf(patterns) : null;
  const valid = andValidity(validity(d), patterns ? validity(patterns) : null, n);
  const out = new Uint8Array(byteLen(n));
  for (let i = 0; i < n; i++) {
    if (valid && !getBit(valid, i)) continue;
    const re = reOf(pbuf ? pbuf.toString('utf8', po![i], po![i + 1]) : null);
    if (re.test(buf.toString('utf8', offs[i], offs[i + 1]))) out[i >> 3] |= 1 << (i & 7);
  }
  return boolData(out, n, valid);
}

/**
 * A per-row pattern compiler with a small cache (pattern columns usually repeat a few
 * patterns). `compile` MUST throw PlanError for a bad pattern; it is reported as a DataError.
 */
export function patternCache(compile: (p: string) => RegExp, what: string): (p: string | null) => RegExp {
  const cache = new Map<string, RegExp>();
  return (p) => {
    const key = p ?? '';
    let re = cache.get(key);
    if (re === undefined) {
      try { re = compile(key); } catch (err) {
        throw new DataError(`${what} pattern '${key}' in a row is invalid: ${(err as Error).message}`, {}, { cause: err });
      }
      if (cache.size > 1024) cache.clear();
      cache.set(key, re);
    }
    return re;
  };
}

/** A LIKE pattern as an anchored RegExp (the per-row path), case-folded for ILIKE. */
export function likePatternRegExp(pattern: string, escape: string, lower: boolean): RegExp {
  const tokens = parseLike(pattern, escape);
  return likeRegExp(lower ? lowerTokens(tokens) : tokens);
}

/** An RLIKE pattern: a JS regular expression found anywhere in the string. */
export function rlikeRegExp(pattern: string): RegExp {
  try { return new RegExp(pattern); } catch (err) {
    throw new PlanError(`invalid regular expression '${pattern}': ${(err as Error).message}`, { cause: err });
  }
}
