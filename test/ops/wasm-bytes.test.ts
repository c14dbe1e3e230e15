// The WebAssembly byte kernels (ops/wasm/bytes.wat) against their plain-JS twins, on random and edge inputs.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt, splitAtJs } from '../../ops/expr/split.ts';
import { splitLinesJs } from '../../ops/sources/text.ts';
import { countByteWasm, hashRowsJs, hashRowsWasm, splitLinesWasm } from '../../ops/wasm/bytes.ts';

const enc = new TextEncoder();

function utf8(values: (string | null)[]): arrow.Data {
  return arrow.vectorFromArray(values, new arrow.Utf8()).data[0];
}

function rows(d: arrow.Data): (string | null)[] {
  return [...new arrow.Vector([d])] as (string | null)[];
}

// Bytes rich in the characters the kernels look for, at lengths around the 16-byte vector width.
const textArb = fc.array(fc.constantFrom('a', 'b', ' ', '/', '\n', '\r', 'é', '🦀', 'x'.repeat(15), 'y'.repeat(17)), { maxLength: 60 }).map((a) => a.join(''));

describe('split_lines', () => {
  it('matches the JS twin on random text, with prefixes and suffixes cut off', () => {
    fc.assert(fc.property(textArb, fc.nat(5), fc.nat(5), (s, pre, post) => {
      const b = Buffer.from(enc.encode(s));
      const a = Math.min(pre, b.length), e = Math.max(a, b.length - post);
      const w = splitLinesWasm(b, a, e);
      const j = splitLinesJs(b, a, e);
      expect(w.n).toBe(j.length);
      expect([...w.offsets]).toEqual([...(j.valueOffsets as Int32Array)]);
      expect(Buffer.from(w.bytes).equals(Buffer.from(j.values as Uint8Array))).toBe(true);
    }), { numRuns: 500 });
  });

  it('handles the edges: empty, no final newline, CRLF, a lone CR, empty lines', () => {
    const lines = (s: string) => {
      const r = splitLinesWasm(Buffer.from(s), 0, Buffer.byteLength(s));
      return Array.from({ length: r.n }, (_, i) => Buffer.from(r.bytes.subarray(r.offsets[i], r.offsets[i + 1])).toString());
    };
    expect(lines('')).toEqual([]);
    expect(lines('\n')).toEqual(['']);
    expect(lines('a\nb')).toEqual(['a', 'b']);
    expect(lines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(lines('a\rb\r')).toEqual(['a\rb']);
    expect(lines('\n\n\nz')).toEqual(['', '', '', 'z']);
    const long = 'q'.repeat(100_003);
    expect(lines(`${long}\n${long}`)).toEqual([long, long]);
  });

  it('grows its memory for a large input and still agrees', () => {
    const s = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'z'.repeat(i % 37)}`).join('\n');
    const b = Buffer.from(s);
    const w = splitLinesWasm(b, 0, b.length);
    expect(w.n).toBe(200_000);
    expect(Buffer.from(w.bytes).equals(Buffer.from(splitLinesJs(b, 0, b.length).values as Uint8Array))).toBe(true);
  });
});

describe('count_byte', () => {
  it('counts a byte over any range', () => {
    fc.assert(fc.property(textArb, fc.nat(3), (s, pre) => {
      const b = Buffer.from(s);
      const a = Math.min(pre, b.length);
      let want = 0;
      for (let i = a; i < b.length; i++) if (b[i] === 10) want++;
      expect(countByteWasm(b, a, b.length, 10)).toBe(want);
    }), { numRuns: 300 });
  });
});

describe('split_at1 (fused split(sep).at(k), one-byte separator)', () => {
  const rowsArb = fc.array(fc.option(textArb, { nil: null, freq: 5 }), { maxLength: 40 });

  it('matches the JS twin for every k, with nulls and sliced input', () => {
    fc.assert(fc.property(rowsArb, fc.integer({ min: 0, max: 6 }), fc.constantFrom(' ', '/', '\n', 'x'), fc.nat(3), (vals, k, sep, cut) => {
      let d = utf8(vals);
      if (cut > 0 && cut < d.length) d = d.slice(cut, d.length - cut);
      const s = enc.encode(sep);
      expect(rows(splitAt(d, s, k))).toEqual(rows(splitAtJs(d, s, k)));
    }), { numRuns: 500 });
  });

  it('gives null for missing tokens and empty strings for empty ones', () => {
    const d = utf8(['a b c', 'a', '', null, 'a  c', 'a b ', ' ']);
    const sp = enc.encode(' ');
    expect(rows(splitAt(d, sp, 1))).toEqual(['b', null, null, null, '', 'b', '']);
    expect(rows(splitAt(d, sp, 2))).toEqual(['c', null, null, null, 'c', '', null]);
    expect(rows(splitAt(d, sp, 0))).toEqual(['a', 'a', '', null, 'a', 'a', '']);
  });
});

describe('hash_rows (KeyTable single-bytes-key hash)', () => {
  it('equals the JS twin on every length from 0 to 40 and on random rows', () => {
    const vals = Array.from({ length: 41 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789éé'.slice(0, i));
    const check = (d: arrow.Data) => {
      const a = new Int32Array(d.length), b = new Int32Array(d.length);
      hashRowsWasm(d.valueOffsets as Int32Array, d.values as Uint8Array, d.length, a);
      hashRowsJs(d.valueOffsets as Int32Array, d.values as Uint8Array, d.length, b);
      expect([...a]).toEqual([...b]);
    };
    check(utf8(vals));
    check(utf8(vals).slice(3, 20));
    fc.assert(fc.property(fc.array(textArb, { maxLength: 30 }), (v) => check(utf8(v))), { numRuns: 300 });
  });
});
