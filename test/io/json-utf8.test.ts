// JSON lines with invalid UTF-8 inside string values: failfast names file, line and key; permissive quarantines the record.
import fc from 'fast-check';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../ops/errors.ts';
import { scanAll, tempDir } from './helpers.ts';

const line = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

async function jsonFile(bytes: Buffer): Promise<string> {
  const path = join(await tempDir(), 'u.json');
  await writeFile(path, bytes);
  return path;
}

const data = Buffer.concat([
  line('{"id":1,"name":"ann","tags":["a"]}\n'),
  line('{"id":2,"name":"b', [0xc3, 0x28], 'b","tags":["x"]}\n'),
  line('{"id":3,"name":"cé","tags":["', [0xed, 0xa0, 0x80], '"]}\n'),
  line('{"id":4,"name":"dee","tags":[]}\n'),
]);

describe('json invalid UTF-8', () => {
  it('failfast: a DataError naming file, line and the key whose value holds the bad bytes', async () => {
    const path = await jsonFile(data);
    const err = await scanAll('json', path, { schema: 'id int32, name string, tags string' }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.location).toEqual({ file: path, line: 2, column: 'name' });
    expect(err.message).toContain(`${path}, line 2, column 'name': invalid UTF-8: byte 0xC3 at byte 2 of the value`);
  });

  it('permissive: each such record is quarantined with its reason and counted; the others read', async () => {
    const path = await jsonFile(data);
    const q = join(await tempDir(), 'bad');
    const { rows, ctx } = await scanAll('json', path, { schema: 'id int32, name string, tags string', mode: 'permissive', badRecordsPath: q });
    expect(rows).toEqual([{ id: 1, name: 'ann', tags: '["a"]' }, { id: 4, name: 'dee', tags: '[]' }]);
    expect(ctx[0].counters.get('badRecords')).toBe(2);
    const recs = [];
    for (const f of await readdir(q)) for (const l of (await readFile(join(q, f), 'utf8')).trim().split('\n')) recs.push(JSON.parse(l));
    expect(recs.map((r) => [r.line, r.column])).toEqual([[2, 'name'], [3, 'tags']]);
    expect(recs[1].reason).toMatch(/^invalid UTF-8: byte 0xED at byte 3 of the value/);
  });

  it('a key that is not read is checked too: the same records are bad whatever the projection', async () => {
    const path = await jsonFile(data);
    const err = await scanAll('json', path, { schema: 'id int32, name string, tags string' }, { projection: ['id'] }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.location).toEqual({ file: path, line: 2, column: 'name' });
    const { rows } = await scanAll('json', path, { schema: 'id int32, name string, tags string', mode: 'permissive', badRecordsPath: join(await tempDir(), 'bad') }, { projection: ['id'] });
    expect(rows.map((r) => r.id)).toEqual([1, 4]);
  });

  it('agrees with TextDecoder (fatal) on every value, at any buffer and split size (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const byte = fc.oneof(fc.constantFrom(0x61, 0x20), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
    const value = fc.array(byte, { maxLength: 6 }).map((b) => Buffer.from(b));
    await fc.assert(fc.asyncProperty(fc.array(value, { maxLength: 30 }), fc.constantFrom(16, 50, 4096), fc.integer({ min: 5, max: 300 }), async (values, bufferBytes, splitBytes) => {
      const path = join(dir, `p${n++}.json`);
      await writeFile(path, Buffer.concat(values.map((v, i) => line(`{"i":${i},"s":"`, [...v], '"}\n'))));
      const q = join(dir, `q${n}`);
      const { rows } = await scanAll('json', path, { schema: 'i int32, s string', mode: 'permissive', badRecordsPath: q, bufferBytes, maxRecordBytes: 1 << 20 }, { splitBytes });
      const dec = new TextDecoder('utf-8', { fatal: true });
      const good = values.flatMap((v, i) => { try { return [{ i, s: dec.decode(v) }]; } catch { return []; } });
      expect(rows).toEqual(good);
    }), { numRuns: 200 });
  });
});
