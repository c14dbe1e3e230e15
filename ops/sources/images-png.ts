// The small-PNG fast path of the images reader: an 8-bit gray or RGB PNG already at the target size is decoded by pngjs on the worker thread, without a trip through libvips.
//
// Why: for small pictures (28x28 Fashion-MNIST PNGs) libvips' fixed cost per image (pipeline
// set-up, a hop to the libuv pool, shared by the whole process) dominates: about 4x slower than
// decoding in the worker. pngjs inflates with Node's own zlib: 37 us a file where fast-png
// (fflate, a new 32 KB inflater per file) took 75-125 us. The path is taken only where its
// pixels are exactly libvips' (no resize, no colour conversion, no alpha, no palette, no colour
// profile, no EXIF orientation); anything else, and anything pngjs refuses (a truncated or
// corrupt file), goes to sharp, which then decodes it or gives the reason.
import pngjs from 'pngjs';
import type { DecodedImage, ImageTarget } from './images-decode.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks after which the decoded pixels could differ from libvips' (profile, gamma, orientation, transparency). */
const SLOW_CHUNKS = new Set(['iCCP', 'gAMA', 'cHRM', 'eXIf', 'tRNS', 'PLTE', 'acTL']);

/** The pixels, or null when this file must go through sharp. */
export function decodeSmallPng(bytes: Buffer, t: ImageTarget): DecodedImage | null {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  // IHDR: width, height, bit depth, colour type, interlace.
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  const depth = bytes[24], colour = bytes[25], interlace = bytes[28];
  if (width !== t.width || height !== t.height || depth !== 8 || interlace !== 0) return null;
  if (!((colour === 0 && t.channels === 1) || (colour === 2 && t.channels === 3))) return null;
  for (let p = 8; p + 8 <= bytes.length;) {
    const len = bytes.readUInt32BE(p);
    const type = bytes.toString('latin1', p + 4, p + 8);
    if (SLOW_CHUNKS.has(type)) return null;
    if (type === 'IEND') break;
    p += 12 + len;
  }
  try {
    // pngjs gives RGBA (gray repeated in R, G and B; alpha 255 here, as there is no tRNS).
    const png = pngjs.PNG.sync.read(bytes, { checkCRC: true });
    if (png.width !== width || png.height !== height || png.data.length !== width * height * 4) return null;
    const rgba = png.data, n = width * height, ch = t.channels;
    const pixels = Buffer.allocUnsafe(n * ch);
    if (ch === 1) for (let i = 0; i < n; i++) pixels[i] = rgba[i * 4];
    else for (let i = 0, o = 0; i < n * 4; i += 4, o += 3) { pixels[o] = rgba[i]; pixels[o + 1] = rgba[i + 1]; pixels[o + 2] = rgba[i + 2]; }
    return { width, height, pixels };
  } catch {
    return null;
  }
}
