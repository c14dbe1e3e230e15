// CSV files cut into byte-range splits while quoted fields hold line breaks: every split size reads exactly what one split reads.
import fc from 'fast-check';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { CsvRecordScanner, CsvTokenizer, NEED_MORE } from '../../ops/sources/csv-parse.ts';
import { planSplits } from '../../ops/sources/index.ts';
import { scanAll, tempDir } from './helpers.ts';

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Rows and quarantined records of a permissive read, in file order. */
async function readPermissive(path: string, options: Record<string, unknown>, splitBytes: number) {
  const q = join(await tempDir(), 'bad');
  const { rows, ctx } = await scanAll('csv', path, { ...options, mode: 'permissive', badRecordsPath: q }, { splitBytes });
  const bad: { line: number; reason: string; record: string }[] = [];
  let files: string[] = [];
  try { files = await readdir(q); } catch { /* no bad records */ }
  for (const f of files) {
    for (const l of (await readFile(join(q, f), 'utf8')).trim().split('\n')) {
      const r = JSON.parse(l);
      bad.push({ line: r.line, reason: r.reason, record: r.record });
    }
  }
  bad.sort((x, y) => x.line - y.line); // one quarantine file per split: file order is line order
  const counted = ctx.reduce((s, c) => s + (c.counters.get('badRecords') ?? 0), 0);
  return { rows, bad, counted };
}

describe('csv splits over quoted line breaks', () => {
  it('a file whose quoted fields hold line breaks reads the same rows at any split size (no phantom rows)', async () => {
    const body = Array.from({ length: 50 }, (_, i) => `${i},"line one\nline two, ${i}\n${i},""not a record"""`).join('\n');
    const path = await tempDir().then(async (d) => { const p = join(d, 'q.csv'); await writeFile(p, 'n,s\n' + body + '\n'); return p; });
    const expected = Array.from({ length: 50 }, (_, i) => ({ n: i, s: `line one\nline two, ${i}\n${i},"not a record"` }));
    for (const splitBytes of [7, 31, 64, 100, 333, 1 << 20]) {
      const { rows } = await scanAll('csv', path, {}, { splitBytes });
      expect(rows, `splitBytes ${splitBytes}`).toEqual(expected);
    }
  });

  it('well-formed CSV with quoted line breaks, quotes and delimiters reads back exactly for any split size (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const text = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', '\r', 'é', ' '), maxLength: 12 });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer(), text, fc.boolean()), { maxLength: 25 }), fc.integer({ min: 1, max: 120 }), async (rows, splitBytes) => {
      const path = join(dir, `w${n++}.csv`);
      // A field without quotes, line breaks or delimiters may go unquoted, as writers do.
      const cell = (s: string, bare: boolean) => (bare && s !== '' && !/[",\r\n]/.test(s) ? s : quote(s));
      await writeFile(path, 'n,s\n' + rows.map(([i, s, bare]) => `${i},${cell(s, bare)}\n`).join(''));
      const { rows: got } = await scanAll('csv', path, { schema: 'n int32, s utf8' }, { splitBytes });
      expect(got).toEqual(rows.map(([i, s]) => ({ n: i, s })));
    }), { numRuns: 300 });
  });

  it('any bytes (stray quotes, bare CRs, malformed fields) read the same rows and bad records as one split (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const soup = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '""', '\n', '\r', '\r\n', 'é'), maxLength: 160 });
    await fc.assert(fc.asyncProperty(soup, fc.integer({ min: 1, max: 60 }), fc.boolean(), fc.constantFrom(16, 23, 4096), fc.boolean(), async (text, splitBytes, bom, bufferBytes, header) => {
      const path = join(dir, `s${n++}.csv`);
      await writeFile(path, (bom ? '\uFEFF' : '') + text);
      const options = { schema: 'a utf8, b utf8', header, bufferBytes };
      const whole = await readPermissive(path, { ...options, splittable: false }, 1 << 20);
      const split = await readPermissive(path, options, splitBytes);
      expect(split.rows).toEqual(whole.rows);
      expect(split.bad).toEqual(whole.bad);
      expect(split.counted).toBe(whole.bad.length);
    }), { numRuns: 400 });
  });

  it('plans each split of a file with quotes to start at a record, found by reading the quotes before it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'p.csv');
    await writeFile(path, 'a,b\n1,"x\n2,y\n3,z"\n4,w\n');
    const splits = await planSplits({ format: 'csv', paths: [path], options: {} }, 6);
    // Records start at 0 (the header), 4 and 18: splits starting inside the quoted field own none.
    expect(splits.map((s) => [s.start, s.end, s.firstRecord])).toEqual([[0, 6, undefined], [6, 12, 18], [12, 18, 18], [18, 22, 18]]);
    const { rows } = await scanAll('csv', path, {}, { splitBytes: 6 });
    expect(rows).toEqual([{ a: 1, b: 'x\n2,y\n3,z' }, { a: 4, b: 'w' }]);
  });
});

describe('csv quoted line breaks through a session', () => {
  it('count() and the rows are exact at default options when the file is cut into many splits', async () => {
    const dir = await tempDir();
    const path = join(dir, 'notes.csv');
    const n = 300;
    await writeFile(path, 'id,note\n' + Array.from({ length: n }, (_, i) => `${i},"first line\n${i},second line"\n`).join(''));
    const q = await Quiver.local({ workers: 2, targetSplitBytes: 256, quiet: true });
    try {
      const df = q.read.csv(path);
      expect(await df.explain()).toMatch(/ScanExec: csv \[notes\.csv\] splits=\d\d/);
      expect(await df.count()).toBe(n);
      const rows = (await df.toArray()).map((r) => ({ id: Number(r.id), note: r.note }));
      expect(rows.sort((a, b) => a.id - b.id)).toEqual(Array.from({ length: n }, (_, i) => ({ id: i, note: `first line\n${i},second line` })));
    } finally {
      await q.close();
    }
  });
});

describe('CsvRecordScanner', () => {
  /** The first record end at or after `min` that the scanner finds when handed `text` in pieces of `cuts` bytes. */
  function scanInPieces(text: string, delim: string, quote: string, cuts: number[], min: number): number {
    const buf = Buffer.from(text);
    const sc = new CsvRecordScanner(delim.charCodeAt(0), quote.charCodeAt(0));
    for (let at = 0, k = 0; at < buf.length; k++) {
      const end = Math.min(buf.length, at + cuts[k % cuts.length]);
      // Only the piece is valid: bytes after it are garbage, as in a reused read buffer.
      const piece = Buffer.concat([buf.subarray(0, end), Buffer.from(`\n${quote}${delim}\n`)]);
      const b = sc.scan(piece, at, end, min);
      if (b !== NEED_MORE) return b < buf.length ? b : -1;
      at = end;
    }
    return -1;
  }

  /** Where the tokenizer ends the first record at or after `min` (-1: none before the end). */
  function tokenizerRecordEnd(text: string, delim: string, quote: string, min: number): number {
    const buf = Buffer.from(text);
    const tok = new CsvTokenizer(delim.charCodeAt(0), quote.charCodeAt(0));
    for (let p = 0; p < buf.length;) {
      p = tok.next(buf, p, buf.length, true);
      if (p < buf.length && p >= min) return p;
    }
    return -1;
  }

  it('ends records where the tokenizer does, from any offset and for bytes handed over in any pieces (property)', () => {
    for (const [delim, quote] of [[',', '"'], [';', "'"]]) {
      const soup = fc.string({ unit: fc.constantFrom('a', delim, quote, quote + quote, '\n', '\r', '\r\n', quote + delim, delim + quote, 'é'), maxLength: 200 });
      fc.assert(fc.property(soup, fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 220 }), (text, cuts, min) => {
        expect(scanInPieces(text, delim, quote, cuts, min)).toBe(tokenizerRecordEnd(text, delim, quote, min));
      }), { numRuns: 5000 });
    }
  });

  it('finds a line break before a quote when asked for a record end further on (a case the property found)', () => {
    // Records end at 1 and 5; the quote at 5 is never closed, so none ends at or after 6.
    expect(scanInPieces('\na"\r\n",\r\na', ',', '"', [5], 6)).toBe(-1);
    expect(scanInPieces('\na"\r\n",\r\na', ',', '"', [5], 2)).toBe(5);
  });
});

describe('csv records longer than maxRecordBytes', () => {
  it('permissive, unsplit: the whole over-long record is one bad record and the next record reads correctly', async () => {
    const dir = await tempDir();
    const path = join(dir, 'long.csv');
    const long = 'x\n'.repeat(400); // 800 bytes of quoted text with line breaks
    await writeFile(path, `a,b\n1,ok\n2,"${long}"\n3,after\n4,"short\nbreak"\n`);
    for (const splittable of [false, true]) {
      const { rows, bad, counted } = await readPermissive(path, { schema: 'a int32, b utf8', maxRecordBytes: 256, bufferBytes: 512, splittable }, 100);
      expect(rows, `splittable ${splittable}`).toEqual([{ a: 1, b: 'ok' }, { a: 3, b: 'after' }, { a: 4, b: 'short\nbreak' }]);
      expect(counted).toBe(1);
      expect(bad).toHaveLength(1);
      expect(bad[0].line).toBe(3);
      expect(bad[0].reason).toBe('record longer than maxRecordBytes (256 bytes): is a quote unbalanced?');
      expect(bad[0].record.startsWith('2,"x\nx\n')).toBe(true);
    }
  });
});
