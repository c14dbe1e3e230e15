import fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferSchema, planSplits } from '../../ops/sources/index.ts';
import { scanAll, tempDir } from './helpers.ts';

describe('text reader', () => {
  it('reads one non-null utf8 column `line`, dropping \\n and a \\r before it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'a.log');
    await writeFile(path, 'first\r\nsecond\n\nünïcödé ✓\nlast without newline\r');
    expect(await inferSchema({ format: 'text', paths: [path], options: {} })).toEqual([{ name: 'line', type: 'utf8', nullable: false }]);
    const { rows, batches } = await scanAll('text', path);
    expect(rows.map((r) => r.line)).toEqual(['first', 'second', '', 'ünïcödé ✓', 'last without newline']);
    expect(batches[0].schema.fields[0].nullable).toBe(false);
  });

  it('reads an empty file as zero rows', async () => {
    const dir = await tempDir();
    const path = join(dir, 'empty.txt');
    await writeFile(path, '');
    const { rows } = await scanAll('text', path);
    expect(rows).toEqual([]);
  });

  it('handles lines longer than the read buffer and chunk boundaries inside lines', async () => {
    const dir = await tempDir();
    const path = join(dir, 'long.txt');
    const lines = ['x'.repeat(100), 'y'.repeat(5000), '', 'z', 'w'.repeat(70_000), 'end'];
    await writeFile(path, lines.join('\n') + '\n');
    const { rows } = await scanAll('text', path, { bufferBytes: 64 });
    expect(rows.map((r) => r.line)).toEqual(lines);
  });

  it('counts lines without building strings when no column is needed', async () => {
    const dir = await tempDir();
    const path = join(dir, 'c.txt');
    await writeFile(path, 'a\nb\nc\nd');
    const { batches } = await scanAll('text', path, {}, { projection: [], splitBytes: 3 });
    expect(batches.reduce((s, b) => s + b.numRows, 0)).toBe(4);
    expect(batches.every((b) => b.numCols === 0)).toBe(true);
  });

  it('splits cover every line exactly once, in order, for any split size (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const line = fc.string({ unit: fc.constantFrom('a', 'b', 'é', ' ', '\r', '€'), maxLength: 12 });
    await fc.assert(fc.asyncProperty(
      fc.array(line, { maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 16, max: 80 }),
      async (lines, trailingNewline, splitBytes, bufferBytes) => {
        const path = join(dir, `p${n++}.txt`);
        const text = lines.join('\n') + (trailingNewline && lines.length ? '\n' : '');
        await writeFile(path, text);
        const { rows } = await scanAll('text', path, { bufferBytes }, { splitBytes });
        // What a line reader sees: split on \n, a trailing \r dropped, no phantom line after a final \n.
        const expected = text === '' ? [] : text.split('\n').map((l) => l.replace(/\r$/, ''));
        if (text.endsWith('\n')) expected.pop();
        expect(rows.map((r) => r.line)).toEqual(expected);
      }), { numRuns: 150 });
  });

  it('plans byte-range splits that tile each file', async () => {
    const dir = await tempDir();
    const a = join(dir, 'a.txt'), b = join(dir, 'b.txt');
    await writeFile(a, 'x'.repeat(1000));
    await writeFile(b, 'y'.repeat(10));
    const splits = await planSplits({ format: 'text', paths: [a, b], options: {} }, 300);
    expect(splits.map((s) => [s.path, s.start, s.end])).toEqual([
      [a, 0, 250], [a, 250, 500], [a, 500, 750], [a, 750, 1000], [b, 0, 10],
    ]);
    expect(splits[0].firstLine).toBe(1);
    expect(splits[1].firstLine).toBeUndefined();
    // With 3 workers, a file cut in pieces is cut in a multiple of 3 (4 -> 6); an uncut one stays whole.
    const balanced = await planSplits({ format: 'text', paths: [a, b], options: {} }, 300, 3);
    expect(balanced.map((s) => [s.path, s.start, s.end])).toEqual([
      [a, 0, 167], [a, 167, 334], [a, 334, 501], [a, 501, 668], [a, 668, 835], [a, 835, 1000], [b, 0, 10],
    ]);
  });

  it('stops at the limit', async () => {
    const dir = await tempDir();
    const path = join(dir, 'l.txt');
    await writeFile(path, Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n'));
    const { rows } = await scanAll('text', path, {}, { limit: 7 });
    expect(rows.map((r) => r.line)).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
  });
});

describe('text reader read-ahead', () => {
  it('reads big files with long lines across read-ahead chunks exactly', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.txt');
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const lines: string[] = [];
    let size = 0;
    while (size < 3 << 20) {
      // Mostly short lines; some longer than the read-ahead's carry room (64 KiB) and the buffer.
      const len = rnd(50) === 0 ? 65_000 + rnd(400_000) : rnd(120);
      const l = String.fromCharCode(97 + rnd(26)).repeat(len) + (rnd(10) === 0 ? '\r' : '');
      lines.push(l);
      size += l.length + 1;
    }
    await writeFile(path, lines.join('\n') + '\n');
    const expected = lines.map((l) => l.replace(/\r$/, ''));
    for (const splitBytes of [1 << 30, 700_001]) {
      const { rows } = await scanAll('text', path, { bufferBytes: 256 * 1024 }, { splitBytes });
      expect(rows.length).toBe(expected.length);
      expect(rows.map((r) => r.line)).toEqual(expected);
    }
  });
});
