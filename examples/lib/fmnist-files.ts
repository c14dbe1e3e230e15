// Fashion-MNIST's test set as image files (28x28 gray PNGs, or upscaled RGB JPEGs) in a cache directory, for the image reader's examples, tests and benchmarks.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { FMNIST_LABELS, fmnistFile } from './fmnist.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type FmnistFileFormat = 'png' | 'jpeg';

export interface FmnistFilesOptions {
  /** 'png': the images as they are (28x28, 1 channel; lossless). 'jpeg': resized to `size` x `size`, RGB. */
  format?: FmnistFileFormat;
  /** Output directory; default out/cache/fmnist-png or out/cache/fmnist-jpeg-<size> under the repository. */
  dir?: string;
  /** jpeg only: side of the square output (default 224). */
  size?: number;
  /** jpeg only: quality 1-100 (default 90). */
  quality?: number;
  /** Write only the first n images (default all 10,000). */
  limit?: number;
  /** Images encoded at once (default 2 per core: sharp runs each on the libuv thread pool). */
  concurrency?: number;
  /** Rewrite every file even when the set is complete. */
  force?: boolean;
  /** Called every few hundred files and at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface FmnistFilesResult {
  dir: string;
  /** Image file paths in index order (sorted by name, so a directory read keeps the IDX order). */
  files: string[];
  labels: Uint8Array;
  /** Files written by this call; 0 when the set was already complete. */
  written: number;
  ms: number;
}

/** `<index>_<labelId>.<ext>`, index zero-padded to 5 digits: name order is index order, and the label is in the name. */
export const fmnistFileName = (index: number, label: number, ext: string): string => `${String(index).padStart(5, '0')}_${label}.${ext}`;

/** The label id in a name written by fmnistFileName. */
export const labelOfFileName = (name: string): number => {
  const m = /(\d+)_(\d)\.[a-z]+$/.exec(name);
  if (!m) throw new Error(`not a Fashion-MNIST file name (<index>_<label>.<ext>): ${name}`);
  return Number(m[2]);
};

export const defaultFmnistDir = (format: FmnistFileFormat, size = 224): string =>
  join(REPO, 'out', 'cache', format === 'png' ? 'fmnist-png' : `fmnist-jpeg-${size}`);

/** The raw bytes of an IDX file (gzip), after checking its magic number and dimensions. */
function readIdx(path: string, dims: number): { data: Buffer; shape: number[] } {
  const raw = gunzipSync(readFileSync(path));
  if (raw.readUInt32BE(0) !== 0x800 + dims) throw new Error(`${path}: not an IDX file of ${dims} u8 dimension(s) (magic 0x${raw.readUInt32BE(0).toString(16)})`);
  const shape = Array.from({ length: dims }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const data = raw.subarray(4 + 4 * dims);
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${path}: ${data.length} bytes of data, the header says ${shape.join('x')}`);
  return { data, shape };
}

/** Fashion-MNIST's test images (10,000 x 784 bytes, row-major) and labels, from the IDX files. */
export function readFmnistTest(): { images: Buffer; labels: Uint8Array; rows: number } {
  const img = readIdx(fmnistFile('t10k', 'images'), 3);
  const lab = readIdx(fmnistFile('t10k', 'labels'), 1);
  if (img.shape[0] !== lab.shape[0] || img.shape[1] !== 28 || img.shape[2] !== 28) throw new Error(`unexpected Fashion-MNIST shapes: images ${img.shape.join('x')}, labels ${lab.shape.join('x')}`);
  return { images: img.data, labels: new Uint8Array(lab.data), rows: img.shape[0] };
}

/**
 * Writes the test set as image files plus `labels.csv` (file,index,label,name). Idempotent:
 * when labels.csv lists exactly the files wanted and they all exist, nothing is written
 * (labels.csv is written last, so an interrupted run is completed by the next one). Each file
 * is written to a temporary name and renamed, so a reader never sees half a file.
 */
export async function writeFmnistFiles(opts: FmnistFilesOptions = {}): Promise<FmnistFilesResult> {
  const t0 = performance.now();
  const format = opts.format ?? 'png';
  const size = opts.size ?? 224;
  const ext = format === 'png' ? 'png' : 'jpg';
  const dir = resolve(opts.dir ?? defaultFmnistDir(format, size));
  const { images, labels: allLabels, rows } = readFmnistTest();
  const n = Math.min(rows, opts.limit ?? rows);
  const labels = allLabels.subarray(0, n);
  const names = Array.from({ length: n }, (_, i) => fmnistFileName(i, labels[i], ext));
  const files = names.map((f) => join(dir, f));
  const csv = ['file,index,label,name', ...names.map((f, i) => `${f},${i},${labels[i]},${JSON.stringify(FMNIST_LABELS[labels[i]])}`)].join('\n') + '\n';
  const csvPath = join(dir, 'labels.csv');
  if (!opts.force && existsSync(csvPath) && readFileSync(csvPath, 'utf8') === csv) {
    const present = new Set(readdirSync(dir));
    if (names.every((f) => present.has(f))) {
      opts.onProgress?.(n, n);
      return { dir, files, labels, written: 0, ms: performance.now() - t0 };
    }
  }
  mkdirSync(dir, { recursive: true });
  rmSync(csvPath, { force: true });
  // One libvips thread per image; the parallelism comes from encoding several images at once.
  sharp.concurrency(1);
  sharp.cache(false);
  const encode = (i: number): Promise<Buffer> => {
    const pixels = images.subarray(i * 784, (i + 1) * 784);
    const img = sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } });
    if (format === 'png') return img.toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
    return img.resize(size, size, { kernel: 'lanczos3' }).toColourspace('srgb').jpeg({ quality: opts.quality ?? 90, chromaSubsampling: '4:4:4' }).toBuffer();
  };
  let next = 0, done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const tmp = `${files[i]}.${process.pid}.tmp`;
      await writeFile(tmp, await encode(i));
      await rename(tmp, files[i]);
      if (++done % 500 === 0) opts.onProgress?.(done, n);
    }
  };
  const concurrency = Math.max(1, opts.concurrency ?? 2 * availableParallelism());
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  writeFileSync(`${csvPath}.tmp`, csv);
  renameSync(`${csvPath}.tmp`, csvPath);
  opts.onProgress?.(n, n);
  return { dir, files, labels, written: n, ms: performance.now() - t0 };
}
