// CSV reads over several files and odd headers: blank first lines, reordered columns, empty files, invalid UTF-8.
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../ops/errors.ts';
import { inferSchema } from '../../ops/sources/index.ts';
import { invalidUtf8 } from '../../ops/sources/values.ts';
import { scanAll, tempDir } from './helpers.ts';

async function files(contents: Record<string, string | Buffer>): Promise<string> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(contents)) await writeFile(join(dir, name), text);
  return dir;
}

async function quarantined(dir: string): Promise<{ line: number; column: string | null; reason: string; record: string }[]> {
  const out = [];
  for (const f of (await readdir(dir)).sort()) {
    for (const l of (await readFile(join(dir, f), 'utf8')).trim().split('\n')) {
      const r = JSON.parse(l);
      out.push({ line: r.line, column: r.column, reason: r.reason, record: r.record });
    }
  }
  return out;
}

describe('csv header after blank lines', () => {
  it('inference and reading both take the first non-blank line as the header', async () => {
    const dir = await files({ 'b.csv': '\n\r\nid,name\n1,ann\n\n2,bob\n' });
    const path = join(dir, 'b.csv');
    expect(await inferSchema({ format: 'csv', paths: [path], options: {} })).toEqual([
      { name: 'id', type: 'int32', nullable: true }, { name: 'name', type: 'utf8', nullable: true },
    ]);
    for (const splitBytes of [1 << 20, 3, 7]) {
      const { rows } = await scanAll('csv', path, {}, { splitBytes });
      expect(rows, `splitBytes ${splitBytes}`).toEqual([{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }]);
    }
  });
});

describe('csv files whose headers order the columns differently', () => {
  it('matches columns by name, in every split of every file', async () => {
    const rowsB = Array.from({ length: 40 }, (_, i) => `v${i},${i + 10}`).join('\n');
    const dir = await files({ 'a.csv': 'k,v\n1,x\n2,y\n', 'b.csv': `v,k\n${rowsB}\n` });
    const expected = [{ k: 1, v: 'x' }, { k: 2, v: 'y' }, ...Array.from({ length: 40 }, (_, i) => ({ k: i + 10, v: `v${i}` }))];
    for (const splitBytes of [1 << 20, 50]) {
      const { rows } = await scanAll('csv', join(dir, '*.csv'), {}, { splitBytes });
      expect(rows, `splitBytes ${splitBytes}`).toEqual(expected);
    }
    const { rows } = await scanAll('csv', join(dir, '*.csv'), {}, { projection: ['v'], splitBytes: 50 });
    expect(rows.map((r) => r.v)).toEqual(expected.map((r) => r.v));
  });

  it('a given schema matches by name when the header holds its names, by position when it renames them', async () => {
    const dir = await files({ 'a.csv': 'k,v\n1,x\n', 'b.csv': 'v,k\ny,2\n', 'c.csv': 'key,value\n3,z\n' });
    const { rows } = await scanAll('csv', join(dir, '*.csv'), { schema: 'k int32, v string' });
    expect(rows).toEqual([{ k: 1, v: 'x' }, { k: 2, v: 'y' }, { k: 3, v: 'z' }]);
  });

  it('a file with a missing or extra column is a DataError naming the file and both headers, in either mode', async () => {
    const dir = await files({ 'a.csv': 'k,v\n1,x\n', 'b.csv': 'k,w\n2,y\n' });
    const q = join(await tempDir(), 'bad');
    for (const options of [{}, { mode: 'permissive', badRecordsPath: q }]) {
      const err = await scanAll('csv', join(dir, '*.csv'), options).catch((e) => e);
      expect(err).toBeInstanceOf(DataError);
      expect(err.location).toEqual({ file: join(dir, 'b.csv'), line: 1 });
      expect(err.message).toContain(`this file's header has columns "k", "w" but the first file's has "k", "v"`);
    }
    const extra = await files({ 'a.csv': 'k,v\n1,x\n', 'b.csv': 'k,v,z\n2,y,3\n' });
    await expect(scanAll('csv', join(extra, '*.csv'))).rejects.toThrow(`header has columns "k", "v", "z" but the first file's has "k", "v"`);
  });
});

describe('csv empty files among others', () => {
  it('an empty (or blank) file gives no rows and fails no read, failfast or permissive, when other files give the header', async () => {
    const dir = await files({ 'a.csv': '', 'b.csv': 'k,v\n1,x\n', 'c.csv': '\n\n', 'd.csv': 'k,v\n' });
    const q = join(await tempDir(), 'bad');
    for (const options of [{}, { mode: 'permissive', badRecordsPath: q }, { schema: 'k int32, v string' }]) {
      const { rows, ctx } = await scanAll('csv', join(dir, '*.csv'), options);
      expect(rows).toEqual([{ k: 1, v: 'x' }]);
      expect(ctx.reduce((s, c) => s + (c.counters.get('badRecords') ?? 0), 0)).toBe(0);
    }
  });

  it('when every file is empty there is no header to infer from: a DataError that says so', async () => {
    const dir = await files({ 'a.csv': '', 'b.csv': '\n' });
    await expect(inferSchema({ format: 'csv', paths: [join(dir, 'a.csv'), join(dir, 'b.csv')], options: {} }))
      .rejects.toThrow(`${join(dir, 'a.csv')}: every file is empty, expected a header line`);
  });
});

describe('csv invalid UTF-8', () => {
  const bad = Buffer.concat([Buffer.from('id,name,n\n1,ann,5\n2,b'), Buffer.from([0xff, 0x6f]), Buffer.from('b,6\n3,cé,7\n')]);

  it('failfast: a DataError naming file, line and column', async () => {
    const dir = await files({ 'u.csv': bad });
    const path = join(dir, 'u.csv');
    const err = await scanAll('csv', path).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.location).toEqual({ file: path, line: 3, column: 'name' });
    expect(err.message).toContain(`${path}, line 3, column 'name': invalid UTF-8: byte 0xFF at byte 2 of the value`);
  });

  it('permissive: the record is quarantined with its reason and counted; the others read', async () => {
    const dir = await files({ 'u.csv': bad });
    const q = join(await tempDir(), 'bad');
    const { rows, ctx } = await scanAll('csv', join(dir, 'u.csv'), { mode: 'permissive', badRecordsPath: q });
    expect(rows).toEqual([{ id: 1, name: 'ann', n: 5 }, { id: 3, name: 'cé', n: 7 }]);
    expect(ctx[0].counters.get('badRecords')).toBe(1);
    const [rec] = await quarantined(q);
    expect(rec).toMatchObject({ line: 3, column: 'name' });
    expect(rec.reason).toMatch(/^invalid UTF-8: byte 0xFF at byte 2 of the value/);
  });

  it('a column that is not read is checked too: the same records are bad whatever the projection', async () => {
    const dir = await files({ 'u.csv': bad });
    const err = await scanAll('csv', join(dir, 'u.csv'), {}, { projection: ['id', 'n'] }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.location).toEqual({ file: join(dir, 'u.csv'), line: 3, column: 'name' });
    const { rows } = await scanAll('csv', join(dir, 'u.csv'), { mode: 'permissive', badRecordsPath: join(await tempDir(), 'bad') }, { projection: ['id', 'n'] });
    expect(rows).toEqual([{ id: 1, n: 5 }, { id: 3, n: 7 }]);
  });

  it('the field check agrees with node:buffer isUtf8 on any bytes (property)', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x8f, 0x90, 0x9f, 0xa0));
    fc.assert(fc.property(fc.array(byte, { maxLength: 12 }), (bytes) => {
      const b = Buffer.from(bytes);
      expect(invalidUtf8(b, 0, b.length) === null).toBe(isUtf8(b));
    }), { numRuns: 20000 });
  });

  it('agrees with TextDecoder (fatal) on every field, at any buffer and split size (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const byte = fc.oneof(fc.constantFrom(0x61, 0x2c, 0x0a, 0x22), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0));
    const field = fc.array(byte, { maxLength: 6 }).map((b) => Buffer.from(b.filter((x) => x !== 0x2c && x !== 0x0a && x !== 0x22)));
    await fc.assert(fc.asyncProperty(fc.array(field, { maxLength: 40 }), fc.constantFrom(16, 40, 4096), fc.integer({ min: 5, max: 200 }), async (fields, bufferBytes, splitBytes) => {
      const path = join(dir, `p${n++}.csv`);
      await writeFile(path, Buffer.concat([Buffer.from('i,s\n'), ...fields.map((f, i) => Buffer.concat([Buffer.from(`${i},`), f, Buffer.from('\n')]))]));
      const q = join(dir, `q${n}`);
      const { rows } = await scanAll('csv', path, { schema: 'i int32, s string', mode: 'permissive', badRecordsPath: q, bufferBytes }, { splitBytes });
      const dec = new TextDecoder('utf-8', { fatal: true });
      const good = fields.flatMap((f, i) => { try { const s = dec.decode(f); return [{ i, s: s === '' ? null : s }]; } catch { return []; } });
      expect(rows).toEqual(good);
    }), { numRuns: 200 });
  });
});
