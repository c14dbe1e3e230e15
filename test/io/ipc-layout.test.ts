// Properties of the bounds-checked metadata readers: on any bytes they answer or refuse, never throw anything else.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTable } from '../../ops/sinks/index.ts';
import { checkArrowLayout, LayoutError } from '../../ops/sources/arrow-ipc-layout.ts';
import { FooterError, parseFooter } from '../../ops/sources/parquet-footer.ts';
import { tempDir } from './helpers.ts';

const table = new arrow.Table({
  id: arrow.makeVector(Int32Array.from({ length: 40 }, (_, i) => i)),
  s: arrow.vectorFromArray(Array.from({ length: 40 }, (_, i) => (i % 3 ? `v${i}` : null)), new arrow.Utf8()),
});
const good = {
  stream: Buffer.from(arrow.tableToIPC(table, 'stream')),
  file: Buffer.from(arrow.tableToIPC(table, 'file')),
};
const readerOf = (b: Uint8Array) => (pos: number, n: number) => b.subarray(pos, Math.min(b.length, pos + n));

/** A copy of `b` with some bytes overwritten, some cut off the end, or a prefix doubled. */
const mutated = (b: Buffer) => fc.oneof(
  fc.array(fc.tuple(fc.nat(b.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    .map((edits) => { const c = Buffer.from(b); for (const [i, v] of edits) c[i] = v; return c; }),
  fc.nat(b.length).map((n) => b.subarray(0, n)),
  fc.integer({ min: 1, max: 64 }).map((k) => Buffer.concat([b.subarray(0, k), b])),
);

describe('Arrow IPC layout check', () => {
  it('accepts what apache-arrow writes', () => {
    expect(checkArrowLayout(readerOf(good.stream), good.stream.length)).toEqual({ fileFormat: false });
    expect(checkArrowLayout(readerOf(good.file), good.file.length)).toEqual({ fileFormat: true });
  });

  for (const format of ['stream', 'file'] as const) {
    it(`on mutated ${format}s either passes or throws LayoutError`, () => {
      fc.assert(fc.property(mutated(good[format]), (b) => {
        try { checkArrowLayout(readerOf(b), b.length); } catch (e) { if (!(e instanceof LayoutError)) throw e; }
      }), { numRuns: 2000 });
    });
  }

  it('refuses a stream without its end-of-stream marker, saying it is truncated', () => {
    const cut = good.stream.subarray(0, good.stream.length - 8);
    expect(() => checkArrowLayout(readerOf(cut), cut.length)).toThrow(/truncated/);
  });
});

describe('Parquet footer reader', () => {
  it('reads the row groups of a real footer, and on mutations of it returns row groups or throws FooterError', async () => {
    const path = join(await tempDir(), 't.parquet');
    await writeTable('parquet', path, table.batches, table.schema, { rowGroupRows: 15 });
    const bytes = await readFile(path);
    const len = bytes.readUInt32LE(bytes.length - 8);
    const footer = bytes.subarray(bytes.length - 8 - len, bytes.length - 8);
    expect(parseFooter(footer).map((g) => g.numRows)).toEqual([15, 15, 10]);
    expect(parseFooter(footer).every((g) => g.compressedSize > 0)).toBe(true);
    fc.assert(fc.property(mutated(Buffer.from(footer)), (b) => {
      try { parseFooter(b); } catch (e) { if (!(e instanceof FooterError)) throw e; }
    }), { numRuns: 3000 });
  });

  it('on any bytes returns row groups or throws FooterError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
      try {
        for (const g of parseFooter(b)) expect(Number.isSafeInteger(g.numRows) && g.numRows >= 0).toBe(true);
      } catch (e) { if (!(e instanceof FooterError)) throw e; }
    }), { numRuns: 5000 });
  });
});
