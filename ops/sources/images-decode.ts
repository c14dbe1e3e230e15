// Decodes one image file's bytes with sharp (libvips) into HWC uint8 pixels of a fixed size.
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';
import { decodeSmallPng } from './images-png.ts';
import { ImageFit } from './options.ts';

type Sharp = typeof SharpModule;

const require = createRequire(import.meta.url);
let codec: Sharp | null = null;

/**
 * sharp, loaded on first use (plans that read no images never load libvips) and set up for
 * worker threads: `concurrency(1)`, one libvips thread per image, because the parallelism
 * comes from the pool's worker threads and the images each keeps in flight (libvips threads
 * per image would contend for the same cores); `cache(false)`, because every file is decoded
 * once and the operation cache would only hold memory. Both settings are process-wide.
 *
 * A thread that creates worker threads which decode images MUST call this itself first
 * (the driver when it plans an image scan, an executor when it checks one): sharp's rule for
 * worker threads. A worker that exits would otherwise unload libvips while other threads of
 * the process still run it.
 */
export function imageCodec(): Sharp {
  if (!codec) {
    const s = require('sharp') as Sharp;
    s.concurrency(1);
    s.cache(false);
    codec = s;
  }
  return codec;
}

/** What every image of a scan becomes. */
export interface ImageTarget {
  height: number;
  width: number;
  channels: 1 | 3;
  fit: ImageFit;
}

export interface DecodedImage {
  /** The picture's size as shown (after its EXIF orientation), before fitting. */
  width: number;
  height: number;
  /** height x width x channels bytes, row-major, channels interleaved. */
  pixels: Buffer;
}

/** The file's bytes are not an image sharp can decode whole; the message is sharp's reason. */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  /** libvips warned, but its warning's text was taken by another sharp call of the process (see readImages). */
  unexplained = false;
}

/** sharp's message when a warning failed the decode but no warning text was left for it. */
const UNEXPLAINED = 'Warning treated as error due to failOn setting';

const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

/** sharp's message on one line, clipped (libvips may stack several lines of decoder warnings). */
function reasonOf(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
  return m.length > 500 ? `${m.slice(0, 500)}...` : m;
}

/**
 * Decodes `bytes` and fits it to `t`: EXIF orientation applied; alpha composited over black
 * (so transparent pixels read black whether or not the image is resized, which premultiplies);
 * resized with sharp's default lanczos3 kernel unless already at the size; `fit` as ImageFit
 * says, centred, contain padding with black; then sRGB (gray copied to R, G and B) or gray
 * (libvips 'b-w': luminance in linear light with Rec. 709 weights). Throws ImageDecodeError
 * for anything but a whole, valid image: `failOn: 'warning'` makes a truncated file or a corrupt
 * entropy-coded segment an error instead of a partly grey picture.
 */
export async function decodeImage(bytes: Buffer, t: ImageTarget): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  const fast = decodeSmallPng(bytes, t);
  if (fast) return fast;
  return decodeWithSharp(bytes, t);
}

/** decodeImage through libvips always (tests compare the PNG fast path with it). */
export async function decodeWithSharp(bytes: Buffer, t: ImageTarget): Promise<DecodedImage> {
  const sharp = imageCodec();
  try {
    const img = sharp(bytes, { failOn: 'warning', autoOrient: true });
    const meta = await img.metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    let p = img;
    if (meta.hasAlpha) p = p.flatten({ background: BLACK });
    if (width !== t.width || height !== t.height) p = p.resize({ width: t.width, height: t.height, fit: t.fit, position: 'centre', background: BLACK });
    p = p.toColourspace(t.channels === 1 ? 'b-w' : 'srgb');
    const { data, info } = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== t.width || info.height !== t.height || info.channels !== t.channels || data.length !== t.width * t.height * t.channels) {
      throw new ImageDecodeError(`decoded to ${info.width}x${info.height} with ${info.channels} channel(s), expected ${t.width}x${t.height} with ${t.channels}`);
    }
    return { width, height, pixels: data };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    const reason = reasonOf(e);
    if (!reason.startsWith(UNEXPLAINED)) throw new ImageDecodeError(reason, { cause: e });
    // libvips' own detail, when it gave one (e.g. "not enough data" from a tiled decoder) rather than the warning text.
    const detail = reason.slice(UNEXPLAINED.length).replace(/^[;\s]+/, '');
    const err = new ImageDecodeError(`libvips warned while decoding (a truncated or corrupt image), and failOn: 'warning' rejects it${detail ? `: ${detail}` : ''}`, { cause: e });
    err.unexplained = true;
    throw err;
  }
}
