// Fashion-MNIST for the examples: where Debian's dataset-fashion-mnist puts it, how to get it, and loading it through the IDX reader.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Quiver } from '../../core/index.ts';

export const FMNIST_DIR = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
export const FMNIST_LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const fmnistFile = (split: 'train' | 't10k', kind: 'images' | 'labels'): string =>
  join(FMNIST_DIR, `${split}-${kind}-${kind === 'images' ? 'idx3' : 'idx1'}-ubyte.gz`);

/** Throws with the exact command to install the dataset when it is missing. */
export function requireFmnist(): void {
  const missing = (['train', 't10k'] as const).flatMap((s) => (['images', 'labels'] as const).map((k) => fmnistFile(s, k))).filter((p) => !existsSync(p));
  if (missing.length) {
    throw new Error(`Fashion-MNIST is missing (${missing.join(', ')}). Install it with:\n  sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist\n(or set FMNIST_DIR to a directory holding the four *-ubyte.gz files)`);
  }
}

/** All images and labels of one split as flat arrays, read by the engine's IDX reader. */
export async function loadFmnist(q: Quiver, split: 'train' | 't10k'): Promise<{ images: Uint8Array; labels: Uint8Array; rows: number }> {
  const t = await q.read.idx(fmnistFile(split, 'images'), { labels: true }).collect();
  const images = new Uint8Array(t.numRows * 784);
  const labels = new Uint8Array(t.numRows);
  let at = 0;
  for (const b of t.batches) {
    const img = b.getChild('image')!.data[0];
    images.set((img.children[0].values as Uint8Array).subarray(0, b.numRows * 784), at * 784);
    labels.set(b.getChild('label')!.toArray() as Int32Array, at);
    at += b.numRows;
  }
  return { images, labels, rows: t.numRows };
}
