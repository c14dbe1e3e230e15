// Decoding a binary column of encoded image files (JPEG, PNG, WebP, ...) into the pixels a model takes, a few images at a time per task.
import type * as arrow from 'apache-arrow';
import { isValid } from '../compute/take.ts';
import { decodeImage, ImageDecodeError, type ImageTarget } from '../sources/images-decode.ts';

/** Images decoding at once per task (sharp runs one libvips thread per image; the pool's threads are the parallelism). */
const IN_FLIGHT = 4;

export interface DecodedColumn {
  /** rows x height x width x channels uint8, HWC; a bad row's pixels are zeros. */
  pixels: Uint8Array;
  /** Rows that are null or are not a whole image, with the reason, in row order. */
  bad: { row: number; reason: string }[];
}

/**
 * Decodes every row of binary column `d` to `t` (as q.read.images fits a file: orientation,
 * alpha over black, resize, fit). A null row or bytes that are not a whole image are reported
 * in `bad`, never thrown: the caller applies its onError rule. Any other failure throws.
 */
export async function decodeImageColumn(d: arrow.Data, t: ImageTarget): Promise<DecodedColumn> {
  const n = d.length;
  const size = t.height * t.width * t.channels;
  const pixels = new Uint8Array(n * size);
  const bad: { row: number; reason: string }[] = [];
  const offs = d.valueOffsets as Int32Array;
  const values = d.values as Uint8Array;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      if (!isValid(d, i)) { bad.push({ row: i, reason: 'the image is null' }); continue; }
      const bytes = Buffer.from(values.buffer, values.byteOffset + offs[i], offs[i + 1] - offs[i]);
      try {
        pixels.set((await decodeImage(bytes, t)).pixels, i * size);
      } catch (e) {
        if (!(e instanceof ImageDecodeError)) throw e;
        bad.push({ row: i, reason: `cannot decode the image: ${e.message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, worker));
  bad.sort((a, b) => a.row - b.row);
  return { pixels, bad };
}
