// Image reader: splits of whole files in order, and bad images (corrupt, truncated, not an image, empty) in failfast, permissive and dropMalformed modes.
import type * as arrow from 'apache-arrow';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { DataError } from '../../ops/errors.ts';
import { FILES_PER_SPLIT, imageSplits } from '../../ops/sources/images.ts';
import { ScanExec } from '../../ops/scan-exec.ts';
import { inferSchema, planSplits, resolvePaths } from '../../ops/sources/index.ts';
import { scanAll, tempDir, testContext } from './helpers.ts';

const N = 150;
/** Good image i: 2x2 gray, pixels [i % 256, i >> 8, 7, 9]. */
const goodPixels = (i: number): number[] => [i % 256, i >> 8, 7, 9];
const gray = (px: number[], w = 2, h = 2) => sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w');
const name = (i: number) => `img-${String(i).padStart(3, '0')}.png`;

/** Index of a good image from its pixels. */
const indexOf = (img: Uint8Array): number => img[0] + 256 * img[1];
const rowsOf = (t: arrow.Table): { path: string; index: number }[] => {
  const col = t.getChild('image')!;
  return t.toArray().map((r, i) => ({ path: r.path as string, index: indexOf((col.get(i) as arrow.Vector).toArray() as Uint8Array) }));
};

describe('images reader: splits and bad images', () => {
  let q: Quiver;
  let good: string, mixed: string;
  /** Bad files of `mixed`, each with the reason sharp (or the reader) gives. */
  const bad: Record<string, RegExp> = {};
  /** A whole JPEG with corrupt entropy-coded data (libjpeg warns, and decodes grey blocks). */
  let huffman: string;
  /** What a reason may read instead when another sharp call of the process took libvips' warning text. */
  const orUnexplained = (r: RegExp) => new RegExp(`${r.source}|libvips warned while decoding \\(a truncated or corrupt image\\)`);

  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    const root = await tempDir('quiver-images-modes-');
    good = join(root, 'good');
    mixed = join(root, 'mixed');
    mkdirSync(good);
    mkdirSync(mixed);
    for (let i = 0; i < N; i++) {
      const png = await gray(goodPixels(i)).png().toBuffer();
      writeFileSync(join(good, name(i)), png);
      writeFileSync(join(mixed, name(i)), png);
    }
    // A noisy photo-like picture, so a cut or a corrupted byte lands in real entropy-coded data.
    const noise = Buffer.alloc(64 * 64 * 3);
    for (let k = 0; k < noise.length; k++) noise[k] = (k * 2654435761) >>> 13 & 255;
    const jpeg = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const png = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    const corruptJpeg = Buffer.concat([jpeg.subarray(0, 600), Buffer.alloc(200, 0x55), jpeg.subarray(800)]);
    const files: [string, Buffer, RegExp][] = [
      ['img-010-truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), /VipsJpeg: premature end of JPEG image/],
      ['img-070-truncated.png', png.subarray(0, Math.floor(png.length * 0.6)), /libpng read error/],
      ['img-100-text.png', Buffer.from('this is not an image\n'), /unsupported image format/],
      ['img-130-empty.webp', Buffer.alloc(0), /empty file \(0 bytes\)/],
    ];
    for (const [f, bytes, reason] of files) {
      writeFileSync(join(mixed, f), bytes);
      bad[join(mixed, f)] = reason;
    }
    huffman = join(root, 'bad-huffman.jpg');
    writeFileSync(huffman, corruptJpeg);
  });
  afterAll(async () => { await q?.close(); });

  it('groups whole files into splits of at most FILES_PER_SPLIT, in order; rows come back in file order', async () => {
    const files = await resolvePaths(join(good, '*.png'));
    const splits = await planSplits({ format: 'images', paths: files, options: { size: [2, 2], channels: 1 } }, 128 << 20, 2);
    expect(splits.length).toBe(3);
    expect(splits.flatMap((s) => s.files!)).toEqual(files);
    for (const s of splits) {
      expect(s.files!.length).toBeLessThanOrEqual(FILES_PER_SPLIT);
      expect([s.path, s.end - s.start]).toEqual([s.files![0], s.files!.length]);
    }
    const t = await q.read.images(good, { size: [2, 2], channels: 1 }).collect();
    expect(rowsOf(t)).toEqual(Array.from({ length: N }, (_, i) => ({ path: join(good, name(i)), index: i })));
    expect(t.toArray().every((r) => r.width === 2 && r.height === 2)).toBe(true);
    // Batches hold at most batchSize rows.
    const { batches, rows } = await scanAll('images', files, { size: [2, 2], channels: 1 }, { batchSize: 10 });
    expect(rows.length).toBe(N);
    expect(Math.max(...batches.map((b) => b.numRows))).toBe(10);
  });

  it('plans splits by file count, by bytes, and across workers', () => {
    const paths = Array.from({ length: 10 }, (_, i) => `/d/${i}.png`);
    const files = (s: { files: string[] }[]) => s.map((x) => x.files.length);
    expect(files(imageSplits(paths, paths.map(() => 100), 1 << 20, 1))).toEqual([10]);
    expect(files(imageSplits(paths, paths.map(() => 100), 1 << 20, 2))).toEqual([5, 5]);
    expect(files(imageSplits(paths, paths.map(() => 100), 250, 1))).toEqual([2, 2, 2, 2, 2]);
    // A file over the budget gets a split of its own.
    expect(files(imageSplits(paths, paths.map((_, i) => (i === 3 ? 1000 : 100)), 250, 1))).toEqual([2, 1, 1, 2, 2, 2]);
    const many = Array.from({ length: 200 }, (_, i) => `/d/${i}.png`);
    expect(files(imageSplits(many, many.map(() => 1), 1 << 30, 4))).toEqual([50, 50, 50, 50]);
    expect(files(imageSplits(many, many.map(() => 1), 1 << 30, 1))).toEqual([50, 50, 50, 50]);
  });

  it('failfast stops at a bad image with a DataError naming the file and the decoder reason', async () => {
    // One file at a time: no other decode runs that could take libvips' warning text.
    for (const [file, reason] of [...Object.entries(bad), [huffman, /Corrupt JPEG data: bad Huffman code/] as const]) {
      const err = await q.read.images(file, { size: [32, 32], channels: 1 }).collect().catch((e) => e);
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toContain(`${file}: cannot decode the image: `);
      expect(err.message).toMatch(reason);
      expect(err.message).toMatch(/to skip bad images, read with mode: 'permissive' \(and a badRecordsPath\) or 'dropMalformed'/);
    }
    // The default mode, over the whole directory: a bad file of whichever task fails first.
    await expect(q.read.images(mixed, { size: [2, 2], channels: 1 }).count()).rejects.toThrow(/img-(010-truncated\.jpg|070-truncated\.png|100-text\.png|130-empty\.webp): cannot decode the image: /);
  });

  it('permissive drops bad images, quarantines each with its reason, and count() agrees with collect()', async () => {
    const quarantine = join(mixed, '..', 'bad-permissive');
    const df = q.read.images(mixed, { size: [2, 2], channels: 1, mode: 'permissive', badRecordsPath: quarantine });
    const t = await df.collect();
    expect(rowsOf(t)).toEqual(Array.from({ length: N }, (_, i) => ({ path: join(mixed, name(i)), index: i })));
    expect(await df.count()).toBe(N);
    expect(await df.select('path').count()).toBe(N);
    const entries = () => readdirSync(quarantine).flatMap((f) => readFileSync(join(quarantine, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    const got = entries().sort((a, b) => (a.file < b.file ? -1 : 1));
    expect(got.map((e) => e.file)).toEqual(Object.keys(bad).sort());
    for (const e of got) {
      expect(e).toMatchObject({ line: 1, column: null, record: '' });
      expect(e.reason).toMatch(/^cannot decode the image: /);
      expect(e.reason).toMatch(orUnexplained(bad[e.file]));
    }
    // One quarantine file per bad image, replaced (not appended to) by every read.
    expect(readdirSync(quarantine).length).toBe(Object.keys(bad).length);
    await df.count();
    expect(entries().length).toBe(Object.keys(bad).length);
    // A bad image fixed since: the next read keeps its row and removes its quarantine file.
    const fixed = join(mixed, 'img-100-text.png');
    const saved = readFileSync(fixed);
    writeFileSync(fixed, await gray([1, 1, 7, 9]).png().toBuffer());
    try {
      expect(await df.count()).toBe(N + 1);
      expect(entries().map((e) => e.file)).not.toContain(fixed);
      expect(readdirSync(quarantine).length).toBe(Object.keys(bad).length - 1);
    } finally {
      writeFileSync(fixed, saved);
    }
  });

  it('a corrupt (not truncated) JPEG is a bad image too: its decoder warning is an error', async () => {
    const quarantine = join(mixed, '..', 'bad-huffman');
    const t = await q.read.images([join(mixed, name(0)), huffman, join(mixed, name(1))], { size: [32, 32], mode: 'permissive', badRecordsPath: quarantine }).collect();
    expect(t.toArray().map((r) => r.path)).toEqual([join(mixed, name(0)), join(mixed, name(1))]);
    const [entry] = readdirSync(quarantine).map((f) => JSON.parse(readFileSync(join(quarantine, f), 'utf8')));
    expect(entry.file).toBe(huffman);
    expect(entry.reason).toMatch(orUnexplained(/Corrupt JPEG data: bad Huffman code/));
  });

  it('dropMalformed drops bad images, counts them and writes nothing', async () => {
    const df = q.read.images(mixed, { size: [2, 2], channels: 1, mode: 'dropMalformed' });
    expect(rowsOf(await df.collect()).map((r) => r.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(await df.count()).toBe(N);
    const files = await resolvePaths(join(mixed, '*'));
    const { rows, ctx } = await scanAll('images', files, { size: [2, 2], channels: 1, mode: 'dropMalformed' });
    expect(rows.length).toBe(N);
    expect(ctx.reduce((s, c) => s + (c.counters.get('droppedRecords') ?? 0), 0)).toBe(Object.keys(bad).length);
    expect(ctx.some((c) => c.counters.has('badRecords'))).toBe(false);
  });

  it('a file that vanished after planning is a DataError in every mode', async () => {
    const gone = join(mixed, '..', 'gone.png');
    writeFileSync(gone, await gray([1, 2, 3, 4]).png().toBuffer());
    const options = { size: [2, 2], channels: 1, mode: 'dropMalformed' };
    const paths = [join(mixed, name(0)), gone];
    const fileSchema = await inferSchema({ format: 'images', paths, options });
    const splits = await planSplits({ format: 'images', paths, options }, 1 << 20);
    const exec = new ScanExec({ format: 'images', splits, options, fileSchema, projection: null, filters: [], limit: null });
    rmSync(gone);
    const drain = async () => { for await (const b of exec.execute(0, await testContext())) void b; };
    await expect(drain()).rejects.toThrow(/gone\.png: file not found \(it was there when the job was planned\)/);
  });
});
