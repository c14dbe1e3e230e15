// image-to-tensor (uint8 HWC to float32 CHW, normalized per channel) on every backend against the reference, including unaligned byte counts.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { imageToTensorContract, type ImageToTensorArgs } from '../../gpu-kernels/image-to-tensor/contract.ts';
import { imageToTensorCpu, imageToTensorReference } from '../../gpu-kernels/image-to-tensor/cpu.ts';
import { cnnBackends } from './cnn-backends.ts';

const backends = await cnnBackends();

function args(n: number, h: number, w: number, c: number, seed: number, opts: Partial<ImageToTensorArgs> = {}): ImageToTensorArgs {
  const r = rng(seed);
  const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  return { x: Uint8Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256)), n, h, w, c, scale: 1 / 255, mean: c === 3 ? imagenet.mean : Array(c).fill(0.5), std: c === 3 ? imagenet.std : Array(c).fill(0.25), ...opts };
}

describe('image-to-tensor reference', () => {
  it('moves channels first and normalizes', () => {
    const a: ImageToTensorArgs = { x: Uint8Array.from([0, 255, 10, 20, 30, 40]), n: 1, h: 1, w: 3, c: 2, scale: 1, mean: [0, 10], std: [1, 2] };
    expect([...imageToTensorReference(a)]).toEqual([0, 10, 30, 122.5, 5, 15]);
    expect(imageToTensorCpu(a)).toEqual(imageToTensorReference(a));
  });
  it('rejects a zero std and a wrong mean length', () => {
    expect(() => imageToTensorReference(args(1, 2, 2, 3, 1, { std: [1, 0, 1] }))).toThrow(/std \[1, 0, 1\] must be finite and non-zero/);
    expect(() => imageToTensorCpu(args(1, 2, 2, 3, 1, { mean: [1] }))).toThrow(/mean has 1 entries, expected c = 3/);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('image-to-tensor on %s', (_, backend) => {
  const cases: [string, ImageToTensorArgs][] = [
    ['empty', args(0, 4, 4, 3, 1)],
    ['one pixel, 1 channel (1 byte: not a multiple of 4)', args(1, 1, 1, 1, 2)],
    ['RGB 5x7, 3 images (315 bytes)', args(3, 5, 7, 3, 3)],
    ['grey 28x28 raw 0..255', args(2, 28, 28, 1, 4, { scale: 1, mean: [0], std: [1] })],
    ['RGBA-like 4 channels', args(2, 3, 3, 4, 5)],
  ];
  it.each(cases)('%s', async (_, a) => {
    expect(imageToTensorContract.check(a, await backend.imageToTensor(a), imageToTensorReference(a))).toBeNull();
  });
  it('reads images from a SharedArrayBuffer at an odd offset', async () => {
    const a = args(2, 3, 5, 3, 6);
    const sab = new Uint8Array(new SharedArrayBuffer(a.x.length + 3), 3, a.x.length);
    sab.set(a.x);
    expect(imageToTensorContract.check(a, await backend.imageToTensor({ ...a, x: sab }), imageToTensorReference(a))).toBeNull();
  });
});
