// Fashion-MNIST as image files: the PNGs the writer makes decode to exactly the IDX bytes, labels survive in the names and labels.csv, and a complete set is not written again.
import type * as arrow from 'apache-arrow';
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { labelOfFileName, readFmnistTest, writeFmnistFiles } from '../../examples/lib/fmnist-files.ts';
import { tempDir } from './helpers.ts';

const N = 2000;

const pixelsOf = (t: arrow.Table): Uint8Array[] => {
  const col = t.getChild('image')!;
  return Array.from({ length: t.numRows }, (_, i) => (col.get(i) as arrow.Vector).toArray() as Uint8Array);
};

describe('Fashion-MNIST image files', () => {
  let q: Quiver;
  let root: string;
  const idx = readFmnistTest();

  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    root = await tempDir('quiver-fmnist-files-');
  });
  afterAll(async () => { await q?.close(); });

  it('writes 28x28 gray PNGs that decode to exactly the IDX bytes, in index order, labels in the names', async () => {
    const dir = join(root, 'png');
    const progress: number[] = [];
    const w = await writeFmnistFiles({ format: 'png', dir, limit: N, onProgress: (done) => progress.push(done) });
    expect([w.written, w.files.length, progress.at(-1)]).toEqual([N, N, N]);
    const t = await q.read.images(dir, { size: [28, 28], channels: 1 }).collect();
    expect(t.numRows).toBe(N);
    expect(t.toArray().map((r) => r.path)).toEqual(w.files);
    pixelsOf(t).forEach((img, i) => {
      if (!Buffer.from(img).equals(idx.images.subarray(i * 784, (i + 1) * 784))) throw new Error(`image ${i} differs from the IDX record`);
    });
    expect(t.toArray().map((r) => labelOfFileName(r.path as string))).toEqual([...idx.labels.subarray(0, N)]);
    const csv = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,index,label,name');
    expect(csv.length).toBe(N + 1);
    expect(csv[1]).toBe(`${basename(w.files[0])},0,${idx.labels[0]},"Ankle boot"`);
  });

  it('skips a complete set and completes an incomplete one', async () => {
    const dir = join(root, 'again');
    expect((await writeFmnistFiles({ format: 'png', dir, limit: 50 })).written).toBe(50);
    const again = await writeFmnistFiles({ format: 'png', dir, limit: 50 });
    expect(again.written).toBe(0);
    rmSync(again.files[7]);
    expect((await writeFmnistFiles({ format: 'png', dir, limit: 50 })).written).toBe(50);
    expect((await q.read.images(dir, { size: [28, 28], channels: 1 }).count())).toBe(50);
  });

  it('writes 224x224 RGB JPEGs of the same pictures', async () => {
    const dir = join(root, 'jpeg');
    const w = await writeFmnistFiles({ format: 'jpeg', size: 224, dir, limit: 16 });
    const t = await q.read.images(dir, { size: [224, 224] }).collect();
    expect(t.toArray().map((r) => [r.width, r.height])).toEqual(Array.from({ length: 16 }, () => [224, 224]));
    expect(t.schema.fields[3].type.toString()).toBe('FixedSizeList[150528]<Uint8>');
    // Shrunk back to 28x28 gray, each is close to its IDX record (JPEG and two resamplings lose a little).
    const small = pixelsOf(await q.read.images(w.files, { size: [28, 28], channels: 1 }).collect());
    small.forEach((img, i) => {
      const rec = idx.images.subarray(i * 784, (i + 1) * 784);
      let err = 0;
      for (let k = 0; k < 784; k++) err += Math.abs(img[k] - rec[k]);
      expect(err / 784).toBeLessThan(12);
    });
  });
});
