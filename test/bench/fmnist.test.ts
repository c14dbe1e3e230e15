// readIdx: gzipped and plain IDX files of u8 read back with their dims; wrong types and truncated files are refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdx } from '../../bench/lib/fmnist.ts';

function idx(magic: number, dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

describe('readIdx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads u8 images, gzipped or not', () => {
    const bytes = idx(0x803, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    writeFileSync(join(dir, 'a.gz'), gzipSync(bytes));
    writeFileSync(join(dir, 'a'), bytes);
    for (const f of ['a.gz', 'a']) {
      const got = readIdx(join(dir, f));
      expect(got.dims).toEqual([2, 2, 3]);
      expect([...got.data]).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    }
  });

  it('refuses float data and truncated files, naming the file', () => {
    writeFileSync(join(dir, 'f'), idx(0xd01, [1], [0, 0, 0, 0]));
    expect(() => readIdx(join(dir, 'f'))).toThrow(/f has magic 0x00000d01, expected u8/);
    writeFileSync(join(dir, 't'), idx(0x801, [5], [1, 2, 3]));
    expect(() => readIdx(join(dir, 't'))).toThrow(/t has 3 data bytes, expected 5/);
  });
});
