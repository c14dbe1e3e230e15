// IDX hardening: a header that disagrees with the data is an error, and gzip files inflate into a private cache keyed by content.
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { planSplits } from '../../ops/sources/index.ts';
import { idxCacheDir, inflatedCopy, readIdx, readIdxHeader, type IdxSplitJSON } from '../../ops/sources/idx.ts';
import { idxU8 as idx, tempDir } from './helpers.ts';

const N = 20, H = 3, W = 4;
/** N images of H x W whose pixels all equal `fill + i` (image i). */
const images = (fill: number) => idx([N, H, W], Uint8Array.from({ length: N * H * W }, (_, k) => (fill + Math.floor(k / (H * W))) % 256));
const firstPixels = (rows: Record<string, unknown>[]) => rows.map((r) => (r.image as ArrayLike<number>)[0]);
/** Stored (level 0) gzip: the size depends only on the input's length, so two contents give files of one size. */
const storedGzip = (b: Buffer) => gzipSync(b, { level: 0 });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('IDX: the header must match the data exactly', () => {
  let q: Quiver;
  let dir: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2 });
    dir = await tempDir();
  });
  afterAll(async () => { await q?.close(); });

  // The header of a 20 x 3 x 4 file rewritten to say other dimensions; the data stays.
  const withDims = (dims: number[]) => {
    const good = images(0);
    const data = good.subarray(4 + 4 * 3);
    const b = Buffer.alloc(4 + 4 * dims.length);
    b[2] = 0x08; b[3] = dims.length;
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([b, data]);
  };

  it('refuses a raw file with more data than the header says (dims smaller than the data), naming both sizes', async () => {
    const smallerRecords = join(dir, 'fewer-images-idx3-ubyte');
    writeFileSync(smallerRecords, withDims([N - 2, H, W]));
    expect(() => q.read.idx(smallerRecords)).toThrow(/fewer-images-idx3-ubyte: the IDX header says 18 records of 3x4 uint8 \(232 bytes in all\), the file holds 256 bytes/);
    // 20 images of 3 x 4 read as 3 x 3 would shift every image after the first.
    const narrower = join(dir, 'narrow-images-idx3-ubyte');
    writeFileSync(narrower, withDims([N, H, W - 1]));
    expect(() => q.read.idx(narrower)).toThrow(/narrow-images-idx3-ubyte: the IDX header says 20 records of 3x3 uint8 \(196 bytes in all\), the file holds 256 bytes/);
  });

  it('refuses a raw file with less data than the header says (dims larger than the data)', () => {
    const wider = join(dir, 'wide-images-idx3-ubyte');
    writeFileSync(wider, withDims([N, H, W + 1]));
    expect(() => q.read.idx(wider)).toThrow(/wide-images-idx3-ubyte, offset 256: truncated IDX file: the header says 20 records of 15 bytes \(316 bytes in all\), the file has 256/);
  });

  it('refuses a gzip file whose inflated data is longer or shorter than the header says', async () => {
    const smaller = join(dir, 'fewer-images-idx3-ubyte.gz');
    writeFileSync(smaller, gzipSync(withDims([N - 2, H, W])));
    await expect(q.read.idx(smaller).toArray()).rejects.toThrow(/fewer-images-idx3-ubyte\.gz: the IDX header says 18 records of 3x4 uint8 \(232 bytes in all\), the file holds 256 bytes once inflated/);
    const narrower = join(dir, 'narrow-images-idx3-ubyte.gz');
    writeFileSync(narrower, gzipSync(withDims([N, H, W - 1])));
    await expect(q.read.idx(narrower).count()).rejects.toThrow(/narrow-images-idx3-ubyte\.gz: the IDX header says 20 records of 3x3 uint8 \(196 bytes in all\), the file holds 256 bytes once inflated/);
    const wider = join(dir, 'wide-images-idx3-ubyte.gz');
    writeFileSync(wider, gzipSync(withDims([N, H, W + 1])));
    await expect(q.read.idx(wider).toArray()).rejects.toThrow(/wide-images-idx3-ubyte\.gz, offset 256: truncated IDX file: the header says 20 records of 15 bytes \(316 bytes in all\), the file holds 256 bytes once inflated/);
  });

  it('refuses a labels file with trailing bytes', () => {
    writeFileSync(join(dir, 'ok-images-idx3-ubyte'), images(0));
    writeFileSync(join(dir, 'ok-labels-idx1-ubyte'), Buffer.concat([idx([N], new Uint8Array(N)), Buffer.from([7, 7])]));
    expect(() => q.read.idx(join(dir, 'ok-images-idx3-ubyte'), { labels: true })).toThrow(/ok-labels-idx1-ubyte: the IDX header says 20 records of 1 uint8 \(28 bytes in all\), the file holds 30 bytes/);
  });
});

describe('IDX: gzip files inflate into a private cache keyed by their content', () => {
  let q: Quiver;
  let dir: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2 });
    dir = await tempDir();
  });
  afterAll(async () => { await q?.close(); });

  it('reads the new images of a file replaced with one of the same size and modification time', async () => {
    const p = join(dir, 'swap-images-idx3-ubyte.gz');
    writeFileSync(p, storedGzip(images(0)));
    const t = new Date('2026-01-02T03:04:05Z');
    utimesSync(p, t, t);
    expect(firstPixels(await q.read.idx(p).toArray())).toEqual(Array.from({ length: N }, (_, i) => i));
    writeFileSync(p, storedGzip(images(100)));
    utimesSync(p, t, t);
    expect(firstPixels(await q.read.idx(p).toArray())).toEqual(Array.from({ length: N }, (_, i) => 100 + i));
  });

  it('does not use a file planted in the old shared cache location', async () => {
    const p = join(dir, 'plant-images-idx3-ubyte.gz');
    writeFileSync(p, gzipSync(images(0)));
    // Where Quiver used to look: $TMPDIR/quiver-idx-cache/<sha256(path, size, mtime)>.idx.
    const st = lstatSync(p);
    const key = createHash('sha256').update(`${p}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 24);
    mkdirSync(join(tmpdir(), 'quiver-idx-cache'), { recursive: true });
    writeFileSync(join(tmpdir(), 'quiver-idx-cache', `${key}.idx`), images(200));
    expect(firstPixels(await q.read.idx(p).toArray())).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('ships splits that name the original images and labels files, not a cache path', async () => {
    const imgs = join(dir, 'orig-images-idx3-ubyte.gz'), labels = join(dir, 'orig-labels-idx1-ubyte.gz');
    writeFileSync(imgs, gzipSync(images(0)));
    writeFileSync(labels, gzipSync(idx([N], new Uint8Array(N))));
    const splits = await planSplits({ format: 'idx', paths: [imgs], options: { labels: true } }, 5 * H * W);
    expect(splits).toHaveLength(4);
    for (const s of splits) {
      expect(s.path).toBe(imgs);
      expect(s.pair).toBe(labels);
    }
    const rows = await q.read.idx(imgs, { labels: true }).toArray();
    expect(rows.map((r) => r.label)).toEqual(new Array(N).fill(0));
  });

  it('a task reads what was planned: a file changed since planning is an error, and a split naming another file\'s hash gets nothing of it', async () => {
    const a = join(dir, 'task-a-images-idx3-ubyte.gz'), b = join(dir, 'task-b-images-idx3-ubyte.gz');
    writeFileSync(a, gzipSync(images(0)));
    writeFileSync(b, gzipSync(images(50)));
    const fields = [{ name: 'image', type: { fixedList: 'uint8', size: H * W }, nullable: false }] as const;
    const read = async (split: IdxSplitJSON) => {
      const out: number[] = [];
      for await (const batch of readIdx(split, [...fields], ['image'], 100)) for (const row of batch.toArray()) out.push([...row.image][0] as number);
      return out;
    };
    const [sa] = await planSplits({ format: 'idx', paths: [a], options: {} }, 1 << 20) as IdxSplitJSON[];
    const [sb] = await planSplits({ format: 'idx', paths: [b], options: {} }, 1 << 20) as IdxSplitJSON[];
    expect(sa.sha256).toBe(sha(readFileSync(a)));
    expect(await read(sa)).toEqual(Array.from({ length: N }, (_, i) => i));
    // b's copy is cached; a split of a that names b's hash must not read it.
    await expect(read({ ...sa, sha256: sb.sha256 })).rejects.toThrow(/task-a-images-idx3-ubyte\.gz: the file changed since the job was planned/);
    writeFileSync(a, gzipSync(images(9)));
    await expect(read(sa)).rejects.toThrow(/task-a-images-idx3-ubyte\.gz: the file changed since the job was planned \(its sha256 is now [0-9a-f]{64}, the plan read [0-9a-f]{64}\); run the job again/);
  });

  describe('a cache directory that is not private is not used', () => {
    const uid = process.getuid!();
    let base: string, gz: string, raw: Buffer;
    beforeAll(async () => {
      base = await tempDir('quiver-idx-base-');
      gz = join(base, 'x-images-idx3-ubyte.gz');
      raw = images(0);
      writeFileSync(gz, gzipSync(raw));
    });
    /** Plants, in `where`, a cache file of other images under the name the real cache would use. */
    const plant = (where: string) => writeFileSync(join(where, `${sha(readFileSync(gz))}.idx`), images(200));
    const readsTrueImages = () => {
      const { file } = inflatedCopy(readIdxHeader(gz), undefined, base);
      expect(readFileSync(file).equals(raw)).toBe(true);
      return file;
    };

    it('one that is group or world writable is recreated, without its planted files, mode 0700', () => {
      const d = join(base, `quiver-idx-${uid}`);
      mkdirSync(d);
      chmodSync(d, 0o777);
      plant(d);
      expect(idxCacheDir(base)).toBe(d);
      expect(lstatSync(d).mode & 0o777).toBe(0o700);
      readsTrueImages();
    });

    it('one owned by another user is not used', () => {
      const b2 = join(base, 'foreign');
      mkdirSync(b2);
      const d = join(b2, `quiver-idx-${uid}`);
      mkdirSync(d, { mode: 0o700 });
      plant(d);
      chownSync(d, uid + 4242, uid + 4242);
      const got = idxCacheDir(b2);
      expect(got).not.toBe(d);
      expect(lstatSync(got).mode & 0o077).toBe(0);
      const { file } = inflatedCopy(readIdxHeader(gz), undefined, b2);
      expect(dirname(file)).toBe(got);
      expect(readFileSync(file).equals(raw)).toBe(true);
    });

    it('a symlink planted in its place is not followed', () => {
      const b3 = join(base, 'link');
      mkdirSync(b3);
      const target = join(base, 'elsewhere');
      mkdirSync(target, { mode: 0o700 });
      plant(target);
      symlinkSync(target, join(b3, `quiver-idx-${uid}`));
      const got = idxCacheDir(b3);
      expect(got.startsWith(target)).toBe(false);
      expect(lstatSync(got).isDirectory()).toBe(true);
      const { file } = inflatedCopy(readIdxHeader(gz), undefined, b3);
      expect(readFileSync(file).equals(raw)).toBe(true);
    });
  });
});
