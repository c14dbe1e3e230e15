// IDX reader: values, shapes, label pairing, splits, gzip, and clear errors on bad files.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, fn } from '../../core/index.ts';
import { inferSchema, planSplits } from '../../ops/sources/index.ts';
import { tempDir } from './helpers.ts';

/** An IDX file: header (type code, dims) + big-endian values. */
function idx(code: number, dims: number[], values: number[]): Buffer {
  const width = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 }[code]!;
  const b = Buffer.alloc(4 + 4 * dims.length + values.length * width);
  b[2] = code; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  let o = 4 + 4 * dims.length;
  for (const v of values) {
    if (code === 8) b.writeUInt8(v, o); else if (code === 9) b.writeInt8(v, o); else if (code === 11) b.writeInt16BE(v, o);
    else if (code === 12) b.writeInt32BE(v, o); else if (code === 13) b.writeFloatBE(v, o); else b.writeDoubleBE(v, o);
    o += width;
  }
  return b;
}

const N = 50, H = 3, W = 4;
const pixel = (i: number, p: number) => (i * 7 + p * 13) % 256;
const images = idx(8, [N, H, W], Array.from({ length: N * H * W }, (_, k) => pixel(Math.floor(k / (H * W)), k % (H * W))));
const labels = idx(8, [N], Array.from({ length: N }, (_, i) => i % 10));

describe('IDX reader', () => {
  let q: Quiver;
  let dir: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2 });
    dir = await tempDir();
    writeFileSync(join(dir, 'a-images-idx3-ubyte'), images);
    writeFileSync(join(dir, 'a-labels-idx1-ubyte'), labels);
    writeFileSync(join(dir, 'z-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(dir, 'z-labels-idx1-ubyte.gz'), gzipSync(labels));
  });
  afterAll(async () => { await q?.close(); });

  for (const gz of [false, true]) {
    const name = gz ? 'z-images-idx3-ubyte.gz' : 'a-images-idx3-ubyte';
    it(`reads images and paired labels${gz ? ' (gzip)' : ''} in record order`, async () => {
      const rows = await q.read.idx(join(dir, name), { labels: true }).toArray();
      expect(rows).toHaveLength(N);
      rows.forEach((r, i) => {
        expect(r.label).toBe(i % 10);
        expect(Array.from(r.image as ArrayLike<number>)).toEqual(Array.from({ length: H * W }, (_, p) => pixel(i, p)));
      });
    });

    it(`splits into record ranges that cover every record once${gz ? ' (gzip)' : ''}`, async () => {
      const path = join(dir, name);
      const splits = await planSplits({ format: 'idx', paths: [path], options: { labels: true } }, 5 * H * W);
      expect(splits).toHaveLength(10);
      expect(splits.map((s) => [s.start, s.end])).toEqual(Array.from({ length: 10 }, (_, i) => [i * 5, i * 5 + 5]));
      const q2 = await Quiver.local({ workers: 2, targetSplitBytes: 7 * H * W });
      try {
        const rows = await q2.read.idx(path, { labels: true }).toArray();
        expect(rows.map((r) => r.label)).toEqual(Array.from({ length: N }, (_, i) => i % 10));
        expect(Array.from(rows[49].image as ArrayLike<number>)).toEqual(Array.from({ length: H * W }, (_, p) => pixel(49, p)));
      } finally {
        await q2.close();
      }
    });
  }

  it('types the columns: fixed-size list of uint8 images, int32 labels', async () => {
    const schema = await inferSchema({ format: 'idx', paths: [join(dir, 'a-images-idx3-ubyte')], options: { labels: true } });
    expect(schema).toEqual([
      { name: 'image', type: { fixedList: 'uint8', size: H * W }, nullable: false },
      { name: 'label', type: 'int32', nullable: false },
    ]);
    expect(await inferSchema({ format: 'idx', paths: [join(dir, 'a-labels-idx1-ubyte')], options: {} })).toEqual([{ name: 'label', type: 'int32', nullable: false }]);
  });

  it('reads a glob of files with their labels and aggregates over them', async () => {
    const df = q.read.idx(join(dir, '*-images-idx3-ubyte*'), { labels: true });
    expect(await df.count()).toBe(2 * N);
    const byLabel = await df.groupBy('label').agg(fn.count().alias('n')).orderBy('label').toArray();
    expect(byLabel).toEqual(Array.from({ length: 10 }, (_, l) => ({ label: l, n: 10 })));
  });

  it('decodes big-endian int16, int32, float32 and float64 values', async () => {
    const cases: [number, number[]][] = [[11, [-300, 2, 32767, -32768]], [12, [-70000, 1, 2 ** 31 - 1, -(2 ** 31)]], [13, [1.5, -2.25, Math.fround(1e30), 0]], [14, [Math.PI, -1e300, 5e-324, 0]]];
    for (const [code, vals] of cases) {
      const p = join(dir, `t${code}.idx`);
      writeFileSync(p, idx(code, [2, 2], vals));
      const rows = await q.read.idx(p).toArray();
      expect(rows.map((r) => Array.from(r.image as ArrayLike<number>))).toEqual([vals.slice(0, 2), vals.slice(2)]);
    }
  });

  it('fails clearly on a truncated raw file, naming the file and offset', () => {
    const p = join(dir, 'short-images-idx3-ubyte');
    writeFileSync(p, images.subarray(0, images.length - 5));
    expect(() => q.read.idx(p)).toThrow(/short-images-idx3-ubyte, offset \d+: truncated IDX file: the header says 50 records of 12 bytes .* it ends inside record 49/);
  });

  it('fails clearly on a truncated gzip file, naming the offset', async () => {
    const p = join(dir, 'cut-images-idx3-ubyte.gz');
    const whole = gzipSync(images);
    writeFileSync(p, whole.subarray(0, whole.length - 40));
    await expect(q.read.idx(p).toArray()).rejects.toThrow(/cut-images-idx3-ubyte\.gz, offset \d+: (truncated IDX file|corrupt gzip stream)/);
  });

  it('rejects bad magic, unknown types and mismatched label files', async () => {
    const bad = join(dir, 'bad.idx');
    writeFileSync(bad, Buffer.from('PK\x03\x04rest of a zip file'));
    expect(() => q.read.idx(bad)).toThrow(/bad\.idx, offset 0: not an IDX file/);
    const weird = join(dir, 'weird.idx');
    writeFileSync(weird, Buffer.from([0, 0, 0x42, 1, 0, 0, 0, 0]));
    expect(() => q.read.idx(weird)).toThrow(/weird\.idx, offset 2: unknown IDX value type 0x42/);
    const fewer = join(dir, 'fewer-labels.idx');
    writeFileSync(fewer, idx(8, [N - 1], Array.from({ length: N - 1 }, () => 1)));
    await expect(q.read.idx(join(dir, 'a-images-idx3-ubyte'), { labels: fewer }).count()).rejects.toThrow(/fewer-labels\.idx: the labels file has 49 records but .* has 50 images/);
    expect(() => q.read.idx(join(dir, 't12.idx'), { labels: true })).toThrow(/cannot guess the labels file/);
  });
});
