// The images reader's small-PNG fast path (pngjs on the worker thread) gives exactly libvips' pixels, and leaves to sharp every PNG it cannot take whole.
import sharp, { type PngOptions } from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeWithSharp, type ImageTarget } from '../../ops/sources/images-decode.ts';
import { decodeSmallPng } from '../../ops/sources/images-png.ts';
import { ImageFit } from '../../ops/sources/options.ts';

const target = (h: number, w: number, channels: 1 | 3): ImageTarget => ({ height: h, width: w, channels, fit: ImageFit.Cover });
const rnd = (seed: number) => () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed >>> 24; };

async function png(w: number, h: number, channels: 1 | 3 | 4, seed = 1, opts: PngOptions = {}): Promise<Buffer> {
  const r = rnd(seed);
  const raw = Buffer.from(Array.from({ length: w * h * channels }, r));
  const img = sharp(raw, { raw: { width: w, height: h, channels } });
  // One channel: written as a gray PNG (sharp would write RGB otherwise).
  return (channels === 1 ? img.toColourspace('b-w') : img).png(opts).toBuffer();
}

describe('small-PNG fast path', () => {
  it('decodes gray and RGB PNGs at the target size to exactly the pixels libvips gives', async () => {
    for (const [c, seed] of [[1, 1], [1, 2], [3, 3], [3, 4]] as const) {
      for (const level of [0, 6, 9]) {
        const b = await png(28, 20, c, seed, { compressionLevel: level, adaptiveFiltering: true });
        const fast = decodeSmallPng(b, target(20, 28, c));
        expect(fast, `channels ${c}`).not.toBeNull();
        const slow = await decodeWithSharp(b, target(20, 28, c));
        expect(Buffer.compare(fast!.pixels, slow.pixels)).toBe(0);
        expect([fast!.width, fast!.height]).toEqual([slow.width, slow.height]);
      }
    }
  });

  it('leaves to sharp a PNG needing a resize, a channel change, alpha, a palette or 16 bits', async () => {
    expect(decodeSmallPng(await png(30, 20, 1), target(20, 28, 1))).toBeNull();
    expect(decodeSmallPng(await png(28, 20, 1), target(20, 28, 3))).toBeNull();
    expect(decodeSmallPng(await png(28, 20, 4), target(20, 28, 3))).toBeNull();
    expect(decodeSmallPng(await png(28, 20, 3, 5, { palette: true }), target(20, 28, 3))).toBeNull();
    const deep = await sharp(Buffer.alloc(28 * 20 * 3, 7), { raw: { width: 28, height: 20, channels: 3 } }).png().toColourspace('rgb16').toBuffer();
    expect(decodeSmallPng(deep, target(20, 28, 3))).toBeNull();
    // Through decodeImage, each still decodes (by sharp).
    expect((await decodeImage(await png(28, 20, 4), target(20, 28, 3))).pixels.length).toBe(28 * 20 * 3);
  });

  it('a truncated or corrupt PNG is not decoded by the fast path, and sharp gives the reason', async () => {
    const b = await png(28, 28, 1, 9);
    const truncated = b.subarray(0, b.length - 30);
    expect(decodeSmallPng(truncated, target(28, 28, 1))).toBeNull();
    await expect(decodeImage(truncated, target(28, 28, 1))).rejects.toThrow();
    const corrupt = Buffer.from(b);
    corrupt[Math.floor(b.length / 2)] ^= 0xff; // inside IDAT: its CRC no longer matches
    expect(decodeSmallPng(corrupt, target(28, 28, 1))).toBeNull();
    await expect(decodeImage(corrupt, target(28, 28, 1))).rejects.toThrow();
  });
});
