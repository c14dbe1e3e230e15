// Image reader: formats, sizes, channels, fit modes, alpha and orientation, paths and options, checked pixel by pixel on synthetic images.
import type * as arrow from 'apache-arrow';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { PlanError } from '../../ops/errors.ts';
import { inferSchema } from '../../ops/sources/index.ts';
import { tempDir } from './helpers.ts';

type Px = readonly number[];
const RED: Px = [255, 0, 0], BLUE: Px = [0, 0, 255], BLACK: Px = [0, 0, 0];

/** Raw interleaved pixels of a w x h image whose pixel (x, y) is f(x, y). */
function raw(w: number, h: number, f: (x: number, y: number) => Px): Buffer {
  const c = f(0, 0).length;
  const b = Buffer.alloc(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set(f(x, y), (y * w + x) * c);
  return b;
}

/** Encodes raw pixels as a file (gray when 1 channel: a real 1-band PNG, not RGB). */
async function encode(w: number, h: number, f: (x: number, y: number) => Px, format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  const px = raw(w, h, f);
  const c = px.length / (w * h) as 1 | 3 | 4;
  let img = sharp(px, { raw: { width: w, height: h, channels: c } });
  if (c === 1) img = img.toColourspace('b-w');
  if (format === 'png') return img.png().toBuffer();
  if (format === 'webp') return img.webp({ lossless: true }).toBuffer();
  return img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** The image column of a table as one Uint8Array per row. */
function images(t: arrow.Table): Uint8Array[] {
  const col = t.getChild('image')!;
  return Array.from({ length: t.numRows }, (_, i) => (col.get(i) as arrow.Vector).toArray() as Uint8Array);
}

/** Pixel (x, y) of an HWC image `w` wide with `c` channels. */
const at = (img: Uint8Array, w: number, c: number, x: number, y: number): number[] => [...img.subarray((y * w + x) * c, (y * w + x + 1) * c)];

/** Every pixel of a w x h image, row by row. */
const grid = (img: Uint8Array, w: number, h: number, c: number): number[][][] =>
  Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => at(img, w, c, x, y)));

describe('images reader', () => {
  let q: Quiver;
  let dir: string;
  const file = (name: string) => join(dir, name);
  const read = async (paths: string | string[], options: Parameters<Quiver['read']['images']>[1]) => q.read.images(paths, options).collect();

  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    dir = await tempDir('quiver-images-');
    // 8 wide x 4 high: left half red, right half blue.
    const lr = (x: number) => (x < 4 ? RED : BLUE);
    for (const f of ['png', 'webp'] as const) writeFileSync(file(`halves.${f}`), await encode(8, 4, lr, f));
    writeFileSync(file('halves.jpg'), await encode(8, 4, lr, 'jpeg'));
    writeFileSync(file('tb.png'), await encode(4, 4, (_x, y) => (y < 2 ? RED : BLUE), 'png'));
    writeFileSync(file('gray.png'), await encode(5, 3, (x, y) => [x * 40 + y], 'png'));
    writeFileSync(file('solid.png'), await encode(3, 3, () => [200, 100, 50], 'png'));
  });
  afterAll(async () => { await q?.close(); });

  it('reads PNG, lossless WebP and JPEG with the schema path, width, height, image', async () => {
    const t = await read([file('halves.png'), file('halves.webp'), file('halves.jpg')], { size: [4, 8] });
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['path:Utf8', 'width:Int32', 'height:Int32', 'image:FixedSizeList[96]<Uint8>']);
    expect(t.toArray().map((r) => [r.path, r.width, r.height])).toEqual([[file('halves.png'), 8, 4], [file('halves.webp'), 8, 4], [file('halves.jpg'), 8, 4]]);
    const [png, webp, jpg] = images(t);
    const want = Array.from({ length: 4 }, () => Array.from({ length: 8 }, (_, x) => [...(x < 4 ? RED : BLUE)]));
    expect(grid(png, 8, 4, 3)).toEqual(want);
    expect(grid(webp, 8, 4, 3)).toEqual(want);
    // JPEG is lossy: within a few levels of the colours, away from the edge between them.
    for (let y = 0; y < 4; y++) for (const x of [0, 1, 6, 7]) {
      at(jpg, 8, 3, x, y).forEach((v, k) => expect(Math.abs(v - want[y][x][k])).toBeLessThanOrEqual(4));
    }
  });

  it('cover scales to fill the size and crops the overflow, centred', async () => {
    // 8x4 into 4x4: scale 1 (the height fits), the middle 4 columns kept.
    const [img] = images(await read(file('halves.png'), { size: [4, 4], fit: 'cover' }));
    expect(grid(img, 4, 4, 3)).toEqual(Array.from({ length: 4 }, () => [RED, RED, BLUE, BLUE].map((p) => [...p])));
    // The default fit is cover.
    expect(images(await read(file('halves.png'), { size: [4, 4] }))[0]).toEqual(img);
  });

  it('contain fits inside the size and pads with black, centred', async () => {
    // 8x4 into 8x8: scale 1 (the width fits), two black rows above and below.
    const [img] = images(await read(file('halves.png'), { size: [8, 8], fit: 'contain' }));
    const row = (y: number) => Array.from({ length: 8 }, (_, x) => [...(y < 2 || y >= 6 ? BLACK : x < 4 ? RED : BLUE)]);
    expect(grid(img, 8, 8, 3)).toEqual(Array.from({ length: 8 }, (_, y) => row(y)));
  });

  it('fill stretches each axis, ignoring the aspect ratio', async () => {
    // 32 wide x 8 high, red in the 4 left columns, into 16 high x 32 wide.
    writeFileSync(file('quarter.png'), await encode(32, 8, (x) => (x < 4 ? RED : BLUE), 'png'));
    const fit = async (f: 'fill' | 'cover' | 'contain') => grid(images(await read(file('quarter.png'), { size: [16, 32], fit: f }))[0], 32, 16, 3);
    // fill: every row alike (only the height doubled), the red columns still at the left.
    const fill = await fit('fill');
    for (const row of fill) {
      expect(row).toEqual(fill[0]);
      expect(row[0]).toEqual([...RED]);
      expect(row.slice(8)).toEqual(Array.from({ length: 24 }, () => [...BLUE]));
    }
    // cover: scaled 2x to 64 wide, the middle 32 columns kept: the red is cropped away.
    expect((await fit('cover')).flat()).toEqual(Array.from({ length: 16 * 32 }, () => [...BLUE]));
    // contain: scale 1, four black rows above and below.
    const contain = await fit('contain');
    contain.forEach((row, y) => {
      if (y < 4 || y >= 12) expect(row).toEqual(Array.from({ length: 32 }, () => [...BLACK]));
      else expect([row[0], row[3], row[4], row[31]]).toEqual([RED, RED, BLUE, BLUE].map((p) => [...p]));
    });
  });

  it('a downscale blends only across the edge, an upscale of a solid colour stays exact', async () => {
    const [half] = images(await read(file('halves.png'), { size: [4, 4], fit: 'fill' }));
    for (let y = 0; y < 4; y++) {
      expect(at(half, 4, 3, 0, y)).toEqual([...RED]);
      expect(at(half, 4, 3, 3, y)).toEqual([...BLUE]);
      const [r, , b] = at(half, 4, 3, 1, y);
      expect(r).toBeGreaterThan(b); // mostly red, next to the edge
    }
    const [big] = images(await read(file('solid.png'), { size: [10, 7] }));
    expect(grid(big, 7, 10, 3).flat()).toEqual(Array.from({ length: 70 }, () => [200, 100, 50]));
  });

  it('channels: gray is copied to R, G and B; RGB becomes gray by luminance', async () => {
    const g = images(await read(file('gray.png'), { size: [3, 5], channels: 1 }))[0];
    expect([...g]).toEqual(Array.from({ length: 15 }, (_, i) => (i % 5) * 40 + Math.floor(i / 5)));
    const rgb = images(await read(file('gray.png'), { size: [3, 5], channels: 3 }))[0];
    expect(grid(rgb, 5, 3, 3).flat()).toEqual(Array.from({ length: 15 }, (_, i) => { const v = (i % 5) * 40 + Math.floor(i / 5); return [v, v, v]; }));
    // libvips 'b-w': luminance in linear light, Rec. 709 weights (red 0.2126 -> 127, blue 0.0722 -> 76).
    const t = await read(file('halves.png'), { size: [4, 8], channels: 1 });
    expect(t.schema.fields[3].type.toString()).toBe('FixedSizeList[32]<Uint8>');
    expect(grid(images(t)[0], 8, 4, 1)[0]).toEqual([127, 127, 127, 127, 76, 76, 76, 76].map((v) => [v]));
    const white = await encode(2, 2, () => [255, 255, 255], 'png'), black = await encode(2, 2, () => [0, 0, 0], 'png'), mid = await encode(2, 2, () => [90, 90, 90], 'png');
    writeFileSync(file('white.png'), white); writeFileSync(file('black.png'), black); writeFileSync(file('mid.png'), mid);
    const levels = images(await read([file('white.png'), file('black.png'), file('mid.png')], { size: [2, 2], channels: 1 }));
    expect(levels.map((p) => [...p])).toEqual([[255, 255, 255, 255], [0, 0, 0, 0], [90, 90, 90, 90]]);
  });

  it('alpha is composited over black, with or without a resize', async () => {
    // transparent red, opaque orange, half-transparent white, opaque blue
    const px = [[255, 0, 0, 0], [200, 100, 50, 255], [255, 255, 255, 128], [0, 0, 255, 255]];
    writeFileSync(file('alpha.png'), await encode(2, 2, (x, y) => px[y * 2 + x], 'png'));
    const [same] = images(await read(file('alpha.png'), { size: [2, 2] }));
    expect(grid(same, 2, 2, 3)).toEqual([[[0, 0, 0], [200, 100, 50]], [[128, 128, 128], [0, 0, 255]]]);
    const [up] = images(await read(file('alpha.png'), { size: [4, 4], fit: 'fill' }));
    expect(at(up, 4, 3, 0, 0)).toEqual([0, 0, 0]); // the transparent corner stays black, not red
    const [g] = images(await read(file('alpha.png'), { size: [2, 2], channels: 1 }));
    expect(g[0]).toBe(0);
  });

  it('16-bit PNGs are scaled to 8 bits, not clipped', async () => {
    const v = 40000;
    writeFileSync(file('deep.png'), await sharp(new Uint16Array(12).fill(v), { raw: { width: 4, height: 3, channels: 1 } }).toColourspace('grey16').png().toBuffer());
    for (const channels of [1, 3] as const) {
      const [img] = images(await read(file('deep.png'), { size: [3, 4], channels }));
      for (const x of img) expect(Math.abs(x - v / 257)).toBeLessThanOrEqual(1);
    }
  });

  it('applies EXIF orientation: width and height are the picture as shown', async () => {
    // Stored 8 wide x 4 high (left red, right blue), tagged "rotate 90 clockwise": shown 4 wide x 8 high, red on top.
    const stored = raw(8, 4, (x) => (x < 4 ? RED : BLUE));
    writeFileSync(file('rotated.jpg'), await sharp(stored, { raw: { width: 8, height: 4, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer());
    const t = await read(file('rotated.jpg'), { size: [8, 4], fit: 'fill' });
    expect(t.toArray().map((r) => [r.width, r.height])).toEqual([[4, 8]]);
    const [img] = images(t);
    expect(at(img, 4, 3, 1, 0)[0]).toBeGreaterThan(200);
    expect(at(img, 4, 3, 1, 7)[2]).toBeGreaterThan(200);
  });

  it('a directory reads its image files by extension, sorted by path; a glob reads what it matches', async () => {
    const d = join(dir, 'tree');
    mkdirSync(join(d, 'sub'), { recursive: true });
    const one = await encode(2, 2, () => [10, 20, 30], 'png');
    for (const n of ['b.png', 'a.JPG', 'sub/c.webp', '.hidden.png', '_skip.png']) {
      writeFileSync(join(d, n), n.endsWith('JPG') ? await encode(2, 2, () => [10, 20, 30], 'jpeg') : n.endsWith('webp') ? await encode(2, 2, () => [10, 20, 30], 'webp') : one);
    }
    writeFileSync(join(d, 'labels.csv'), 'file,label\nb.png,1\n');
    writeFileSync(join(d, 'notes.txt'), 'not an image');
    const t = await read(d, { size: [2, 2] });
    expect(t.toArray().map((r) => r.path)).toEqual([join(d, 'a.JPG'), join(d, 'b.png'), join(d, 'sub/c.webp')]);
    const g = await read(join(d, '*.png'), { size: [2, 2] });
    expect(g.toArray().map((r) => r.path)).toEqual([join(d, 'b.png')]);
    const both = await read(join(d, '**/*.{png,webp}'), { size: [2, 2] });
    expect(both.toArray().map((r) => r.path)).toEqual([join(d, 'b.png'), join(d, 'sub/c.webp')]);
    const empty = join(dir, 'no-images');
    mkdirSync(empty);
    writeFileSync(join(empty, 'labels.csv'), 'x\n');
    expect(() => q.read.images(empty, { size: [2, 2] })).toThrow(/directory contains no image files \(\.jpg, \.jpeg/);
  });

  it('refuses a read without size, and bad options, when the plan is built', async () => {
    expect(() => q.read.images(file('solid.png'), {} as never)).toThrow(PlanError);
    expect(() => q.read.images(file('solid.png'), {} as never)).toThrow(/option 'size' is required, e\.g\. \{ size: \[224, 224\] \}: the image column is a fixed_size_list/);
    expect(() => q.read.images(file('solid.png'), { size: [0, 4] })).toThrow(/'size' must be \[height, width\], two integers from 1 to 16384, got \[0,4\]/);
    expect(() => q.read.images(file('solid.png'), { size: [4, 4], channels: 2 as never })).toThrow(/'channels' must be 3 \(RGB\) or 1 \(gray\), got 2/);
    expect(() => q.read.images(file('solid.png'), { size: [4, 4], fit: 'stretch' as never })).toThrow(/'fit' must be 'cover', 'contain' or 'fill', got "stretch"/);
    expect(() => q.read.images(file('solid.png'), { size: [4, 4], mode: 'permissive' })).toThrow(/requires option badRecordsPath/);
    expect(() => q.read.images(file('solid.png'), { size: [4, 4], labels: true } as never)).toThrow(/unknown option 'labels' for images files; valid options: mode, badRecordsPath, size, channels, fit/);
    expect(() => q.read.images(file('solid.png'), { size: [4096, 4096] })).toThrow(/more than 16777216; choose a smaller size/);
    await expect(inferSchema({ format: 'csv', paths: [file('solid.png')], options: { mode: 'dropMalformed' } })).rejects.toThrow(/'dropMalformed' is read by the images reader only/);
  });

  it('explain() shows the reader, its files and splits', async () => {
    const text = await q.read.images([file('halves.png'), file('tb.png')], { size: [4, 4] }).select('path').explain();
    expect(text).toMatch(/Scan: images \[.*halves\.png, .*tb\.png\] projection=\[path\]/);
    expect(text).toMatch(/ScanExec: images \[halves\.png, tb\.png\] splits=2 projection=\[path\]/);
  });
});
