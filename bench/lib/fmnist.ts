// readIdx / loadFashionMnist: the IDX files of (Fashion-)MNIST, gzipped, as u8 images and labels (a minimal reader for benchmarks).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FMNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FMNIST_APT = 'apt-get update && apt-get install -y dataset-fashion-mnist';

/** IDX magic numbers: two zero bytes, the element type (0x08 = u8), the number of dimensions. */
enum IdxMagic {
  U8Vector = 0x00000801,
  U8Images = 0x00000803,
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** An IDX file (gunzipped first when it ends in .gz) whose elements are u8. */
export function readIdx(path: string): IdxArray {
  const raw = readFileSync(path);
  const buf = path.endsWith('.gz') ? gunzipSync(raw) : raw;
  if (buf.length < 4) throw new Error(`readIdx: ${path} has ${buf.length} bytes, too short for an IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0); // IDX is big-endian
  if (magic >>> 8 !== 0x08) throw new Error(`readIdx: ${path} has magic 0x${magic.toString(16).padStart(8, '0')}, expected u8 data (0x000008nn)`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== offset + n) throw new Error(`readIdx: ${path} has ${buf.length - offset} data bytes, expected ${n} for dims [${dims.join(', ')}]`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, n) };
}

export interface Images {
  /** [count x rows*cols] u8, row-major. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** rows * cols */
  size: number;
}

/** The 10,000 test images (or the 60,000 training ones), with their labels. */
export function loadFashionMnist(split: 'test' | 'train' = 'test', dir = FMNIST_DIR): Images {
  const prefix = split === 'test' ? 't10k' : 'train';
  const imagesPath = join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labelsPath = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  for (const p of [imagesPath, labelsPath]) {
    if (!existsSync(p)) throw new Error(`Fashion-MNIST: ${p} is missing; install it (as root) with: ${FMNIST_APT}`);
  }
  const images = readIdx(imagesPath), labels = readIdx(labelsPath);
  if (images.dims.length !== 3) throw new Error(`Fashion-MNIST: ${imagesPath} has dims [${images.dims.join(', ')}], expected [count, rows, cols] (magic 0x${IdxMagic.U8Images.toString(16)})`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) throw new Error(`Fashion-MNIST: ${labelsPath} has dims [${labels.dims.join(', ')}], expected [${images.dims[0]}] (magic 0x${IdxMagic.U8Vector.toString(16)})`);
  return { pixels: images.data, labels: labels.data, count: images.dims[0], size: images.dims[1] * images.dims[2] };
}
