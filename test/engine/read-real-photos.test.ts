// Real photographs from Debian packages through q.read.images and the Fashion-MNIST CNN: sizes as the files say, their pixels, fit modes, and a tag for every photo.
import type * as arrow from 'apache-arrow';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-cnn');

/**
 * Photographs that small Debian packages ship (scripts/setup.sh installs them): three shapes, so
 * the fit modes have something to do (landscape, portrait) and nothing to do (square).
 */
const PHOTOS = [
  // An owl on a mossy stump, 600x397, and the 128x128 thumbnail of it: libvips' documentation.
  { path: '/usr/share/gtk-doc/html/libvips/owl.jpg', pkg: 'libvips-doc' },
  { path: '/usr/share/gtk-doc/html/libvips/tn_owl.jpg', pkg: 'libvips-doc' },
  // A portrait of Grace Hopper, 512x600: matplotlib's sample data.
  { path: '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg', pkg: 'python-matplotlib-data' },
] as const;
const PATHS = PHOTOS.map((p) => p.path);

type Fit = 'cover' | 'contain' | 'fill';
interface Shown { width: number; height: number }

/** Rows by path (the reader's order across partitions is not the point here): width, height and the image's bytes. */
function byPath(t: arrow.Table): Map<string, Shown & { image: Uint8Array }> {
  const col = t.getChild('image')!;
  return new Map(t.toArray().map((r, i) => [r.path as string, { width: r.width as number, height: r.height as number, image: (col.get(i) as arrow.Vector).toArray() as Uint8Array }]));
}

/** sharp on its own, as a user would call it: the file fitted to h x w, sRGB or gray, raw bytes. */
async function sharpPixels(path: string, h: number, w: number, channels: 1 | 3, fit: Fit): Promise<Uint8Array> {
  const img = sharp(path).rotate().resize({ width: w, height: h, fit, position: 'centre', background: { r: 0, g: 0, b: 0, alpha: 1 } });
  return new Uint8Array(await img.toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer());
}

/** Largest difference between two images of the same length, per byte. */
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Standard deviation of the bytes: a real photo's is far from 0 (a blank, black or constant image's is 0). */
function spread(img: Uint8Array): number {
  let s = 0, s2 = 0;
  for (const v of img) { s += v; s2 += v * v; }
  const mean = s / img.length;
  return Math.sqrt(s2 / img.length - mean * mean);
}

/** Pixels of row `y` (or, with `column`, of column `y`) of an HWC image, flattened. */
function line(img: Uint8Array, w: number, h: number, c: number, y: number, column = false): number[] {
  const out: number[] = [];
  const n = column ? h : w;
  for (let i = 0; i < n; i++) {
    const at = (column ? i * w + y : y * w + i) * c;
    out.push(...img.subarray(at, at + c));
  }
  return out;
}

describe('real photos (Debian packages) through the images reader and predict', () => {
  let q: Quiver;
  /** Each photo's size as shown (after its EXIF orientation), from sharp's own metadata. */
  const shown = new Map<string, Shown>();

  /** Why the photos cannot be read ('' when they all are there). */
  let missing = '';
  /** Every test starts here: without the photos each one fails (never skips), saying how to install them. */
  const needPhotos = () => { if (missing) throw new Error(missing); };

  beforeAll(async () => {
    const absent = PHOTOS.filter((p) => !existsSync(p.path));
    if (absent.length) {
      const pkgs = [...new Set(absent.map((p) => p.pkg))].join(' ');
      missing = `real photos missing: ${absent.map((p) => p.path).join(', ')} (Debian packages: ${pkgs}). Run: sudo bash scripts/setup.sh (or apt-get install -y ${pkgs})`;
      return;
    }
    for (const path of PATHS) {
      const m = await sharp(path).metadata();
      const turned = (m.orientation ?? 1) >= 5;
      shown.set(path, { width: turned ? m.height! : m.width!, height: turned ? m.width! : m.height! });
    }
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
  });
  afterAll(async () => { await q?.close(); });

  it('the photos are of varied shapes: landscape, portrait and square', () => {
    needPhotos();
    const shapes = [...shown.values()].map(({ width, height }) => Math.sign(width - height));
    expect(new Set(shapes)).toEqual(new Set([1, -1, 0]));
    expect(new Set([...shown.values()].map((s) => `${s.width}x${s.height}`)).size).toBe(PHOTOS.length);
  });

  it('[224, 224] RGB: sizes as sharp reads them, 224*224*3 bytes of a real picture, the same pixels sharp gives', async () => {
    needPhotos();
    const t = await q.read.images(PATHS, { size: [224, 224], channels: 3 }).collect();
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['path:Utf8', 'width:Int32', 'height:Int32', 'image:FixedSizeList[150528]<Uint8>']);
    const rows = byPath(t);
    expect([...rows.keys()].sort()).toEqual([...PATHS].sort());
    for (const path of PATHS) {
      const r = rows.get(path)!;
      expect({ path, width: r.width, height: r.height }).toEqual({ path, ...shown.get(path) });
      expect(r.image.length).toBe(224 * 224 * 3);
      expect(spread(r.image), path).toBeGreaterThan(20);
      // Colour photos: some pixel's channels differ (not gray copied to R, G and B).
      let colour = false;
      for (let i = 0; i < r.image.length && !colour; i += 3) colour = r.image[i] !== r.image[i + 1] || r.image[i + 1] !== r.image[i + 2];
      expect(colour, path).toBe(true);
      // Each row holds its own file's pixels, as sharp decodes and fits them ('cover' by default).
      expect(maxDiff(r.image, await sharpPixels(path, 224, 224, 3, 'cover')), path).toBeLessThanOrEqual(1);
    }
    // Different photos, different pixels.
    const [a, b, c] = PATHS.map((p) => rows.get(p)!.image);
    expect(maxDiff(a, c)).toBeGreaterThan(100);
    expect(maxDiff(b, c)).toBeGreaterThan(100);
  });

  it('[28, 28] gray: 784 bytes each, the sizes unchanged, the luminance sharp gives', async () => {
    needPhotos();
    const rows = byPath(await q.read.images(PATHS, { size: [28, 28], channels: 1 }).collect());
    for (const path of PATHS) {
      const r = rows.get(path)!;
      expect({ path, width: r.width, height: r.height }).toEqual({ path, ...shown.get(path) });
      expect(r.image.length).toBe(28 * 28);
      expect(spread(r.image), path).toBeGreaterThan(20);
      expect(maxDiff(r.image, await sharpPixels(path, 28, 28, 1, 'cover')), path).toBeLessThanOrEqual(1);
    }
  });

  it('fit modes: cover, contain and fill differ on a landscape and a portrait photo, and agree on a square one', async () => {
    needPhotos();
    const [h, w] = [64, 64];
    const read = async (fit: Fit) => byPath(await q.read.images(PATHS, { size: [h, w], channels: 3, fit }).collect());
    const [cover, contain, fill] = await Promise.all((['cover', 'contain', 'fill'] as const).map(read));
    const black = (px: number[]) => px.every((v) => v === 0);
    for (const path of PATHS) {
      const s = shown.get(path)!;
      const [cv, ct, fl] = [cover, contain, fill].map((m) => m.get(path)!.image);
      if (s.width === s.height) {
        expect(maxDiff(cv, ct), path).toBe(0);
        expect(maxDiff(cv, fl), path).toBe(0);
        continue;
      }
      expect(maxDiff(cv, ct), path).toBeGreaterThan(50);
      expect(maxDiff(cv, fl), path).toBeGreaterThan(50);
      expect(maxDiff(ct, fl), path).toBeGreaterThan(50);
      // contain pads black on the short side's two edges; cover and fill reach every edge with the photo.
      const landscape = s.width > s.height;
      const edges = (img: Uint8Array) => [line(img, w, h, 3, 0, !landscape), line(img, w, h, 3, (landscape ? h : w) - 1, !landscape)];
      expect(edges(ct).every(black), path).toBe(true);
      expect(edges(cv).some(black), path).toBe(false);
      expect(edges(fl).some(black), path).toBe(false);
      for (const [fit, img] of [['cover', cv], ['contain', ct], ['fill', fl]] as const) {
        expect(maxDiff(img, await sharpPixels(path, h, w, 3, fit)), `${path} ${fit}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('tags every photo with the Fashion-MNIST CNN: a label of the model, a score in [0, 1]', async () => {
    needPhotos();
    const model = q.model(MODEL);
    const rows = await q.read.images(PATHS, { size: [28, 28], channels: 1 })
      .predict(model, { backend: 'onnxruntime', topK: 3 })
      .select('path', 'labelId', 'label', 'score', 'topScores')
      .toArray();
    expect(rows.map((r) => r.path).sort()).toEqual([...PATHS].sort());
    for (const r of rows) {
      const id = r.labelId as number;
      expect(Number.isInteger(id) && id >= 0 && id < model.labels.length, `${r.path}: labelId ${id}`).toBe(true);
      expect(r.label).toBe(model.labels[id]);
      const score = r.score as number;
      expect(score, String(r.path)).toBeGreaterThanOrEqual(0);
      expect(score, String(r.path)).toBeLessThanOrEqual(1);
      // The score is the best of the model's class probabilities.
      const top = [...(r.topScores as Iterable<number>)];
      expect(top).toHaveLength(3);
      expect(top[0]).toBeCloseTo(score, 6);
      expect(top.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-5);
    }
  }, 30_000);
});
