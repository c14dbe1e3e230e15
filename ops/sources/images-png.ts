// The small-PNG fast path of the images reader: an 8-bit gray or RGB PNG already at the target size is decoded by fast-png on the worker thread, without a trip through libvips.
//
// Why: for small pictures (28x28 Fashion-MNIST PNGs) libvips' fixed cost per image (pipeline
// set-up, a hop to the libuv pool, shared by the whole process) dominates: about 4x slower than
// decoding in the worker. The path is taken only where its pixels are exactly libvips' (no
// resize, no colour conversion, no alpha, no palette, no colour profile, no EXIF orientation);
// anything else, and anything fast-png refuses (a truncated or corrupt file), goes to sharp,
// which then decodes it or gives the reason.
import { decode } from 'fast-png';
import type { DecodedImage, ImageTarget } from './images-decode.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks after which fast-png's pixels could differ from libvips' (profile, gamma, orientation, transparency). */
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
    const png = decode(bytes, { checkCrc: true });
    if (png.width !== width || png.height !== height || png.depth !== 8 || png.channels !== t.channels || png.palette || png.transparency) return null;
    const data = png.data as Uint8Array;
    if (data.length !== width * height * t.channels) return null;
    return { width, height, pixels: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  } catch {
    return null;
  }
}
