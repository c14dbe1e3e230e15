// Checks an exported Fashion-MNIST CNN (scripts/train-fmnist-cnn.py) with onnxruntime-node: test accuracy, overall and per class, as one JSON line.
//
//   npx tsx scripts/check-fmnist-cnn.ts [models/fmnist-cnn/model.onnx] [--rows 10000]
//
// The image is normalized as the model's own metadata (quiver.preprocess) says, so this also
// checks that the metadata matches what the model was trained on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const FMNIST_DIR = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

export const fmnistTestFile = (kind: 'images' | 'labels'): string => join(FMNIST_DIR, `t10k-${kind}-${kind === 'images' ? 'idx3' : 'idx1'}-ubyte.gz`);

/** An unsigned-byte IDX file (gzip): its dims and bytes. */
export function readIdxGz(path: string): { dims: number[]; data: Uint8Array } {
  const b = gunzipSync(readFileSync(path));
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const dims = Array.from({ length: b[3] }, (_, i) => b.readUInt32BE(4 + 4 * i));
  const data = b.subarray(4 + 4 * dims.length);
  if (data.length !== dims.reduce((a, d) => a * d, 1)) throw new Error(`${path}: ${data.length} bytes of data, header says [${dims}]`);
  return { dims, data };
}

/** How the model wants its input normalized (metadata quiver.preprocess). */
export interface Preprocess {
  scale: number;
  mean: number[];
  std: number[];
  layout: 'NCHW';
  channels: number;
  size: [number, number];
}

/** The model's metadata_props as a plain object. */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  return Object.fromEntries(m.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

/** Normalizes `rows` uint8 single-channel images into the float32 NCHW tensor the model takes. */
export function normalize(images: Uint8Array, rows: number, p: Preprocess): Float32Array {
  const n = rows * p.size[0] * p.size[1];
  const out = new Float32Array(n);
  const [mean, std] = [p.mean[0], p.std[0]];
  for (let i = 0; i < n; i++) out[i] = (images[i] * p.scale - mean) / std;
  return out;
}

/** Argmax of each row of the model's logits, run in batches of `batch`. */
export async function predictLabels(session: ort.InferenceSession, x: Float32Array, rows: number, batch = 1000): Promise<Int32Array> {
  const pixels = x.length / rows;
  const pred = new Int32Array(rows);
  for (let at = 0; at < rows; at += batch) {
    const m = Math.min(batch, rows - at);
    const out = await session.run({ image: new ort.Tensor('float32', x.subarray(at * pixels, (at + m) * pixels), [m, 1, 28, 28]) });
    const logits = out.logits.data as Float32Array;
    const k = logits.length / m;
    for (let r = 0; r < m; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[r * k + c] > logits[r * k + best]) best = c;
      pred[at + r] = best;
    }
  }
  return pred;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsAt = args.indexOf('--rows');
  const limit = rowsAt >= 0 ? Number(args.splice(rowsAt, 2)[1]) : Infinity;
  const path = args[0] ?? 'models/fmnist-cnn/model.onnx';
  const bytes = readFileSync(path);
  const meta = onnxMetadata(bytes);
  const labelNames = JSON.parse(meta['quiver.labels']) as string[];
  const pre = JSON.parse(meta['quiver.preprocess']) as Preprocess;
  const images = readIdxGz(fmnistTestFile('images'));
  const labels = readIdxGz(fmnistTestFile('labels')).data;
  const rows = Math.min(limit, images.dims[0]);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const pred = await predictLabels(session, normalize(images.data, rows, pre), rows);
  await session.release();
  let ok = 0;
  const n = new Array<number>(labelNames.length).fill(0), hit = new Array<number>(labelNames.length).fill(0);
  for (let i = 0; i < rows; i++) {
    n[labels[i]]++;
    if (pred[i] === labels[i]) { ok++; hit[labels[i]]++; }
  }
  const perClass = Object.fromEntries(labelNames.map((name, c) => [name, hit[c] / n[c]]));
  console.log(JSON.stringify({ version: ort.env.versions.common, rows, testAccuracy: ok / rows, perClass }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
