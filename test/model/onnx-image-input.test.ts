// withImageInput: onnxruntime fed uint8 HWC images through the prepended nodes gives what the model gives on Quiver's image-to-tensor output.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ints, OnnxGraph } from '../../bench/lib/onnx-graph.ts';
import { rng } from '../../examples/data/access-log.ts';
import { imageToTensorReference } from '../../gpu-kernels/image-to-tensor/cpu.ts';
import { IMAGE_INPUT, withImageInput } from '../../ops/model/onnx/image-input-graph.ts';

/** A conv whose output differs for every input pixel and channel: a wrong layout or constant shows. */
function convModel(c: number, h: number, w: number, inputName: string): Uint8Array {
  const r = rng(7);
  const wt = Float32Array.from({ length: 4 * c * 3 * 3 }, () => r() * 2 - 1);
  return new OnnxGraph({ opset: 13 })
    .input(inputName, ['N', c, h, w])
    .initializer('w', [4, c, 3, 3], wt)
    // A name the rewrite would choose: it must pick another.
    .initializer('quiver_image_scale', [1], new Float32Array([2]))
    .node('Conv', [inputName, 'w'], ['y0'], { pads: ints([1, 1, 1, 1]) })
    .node('Mul', ['y0', 'quiver_image_scale'], ['y'])
    .output('y', ['N', 4, h, w])
    .toBytes();
}

describe('withImageInput', () => {
  const cases = [
    { c: 1, h: 28, w: 28, scale: 1 / 255, mean: [0.2860], std: [0.3530] },
    { c: 3, h: 9, w: 7, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { c: 3, h: 5, w: 6, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
  ];
  for (const k of cases) {
    it(`${k.c} channel(s) ${k.h}x${k.w}, scale ${k.scale}: equals the model on image-to-tensor's output`, async () => {
      const n = 5, r = rng(k.c * 100 + k.h);
      const bytes = convModel(k.c, k.h, k.w, 'pixels');
      const images = Uint8Array.from({ length: n * k.h * k.w * k.c }, () => Math.floor(r() * 256));
      const plain = await ort.InferenceSession.create(bytes);
      const x = imageToTensorReference({ x: images, n, h: k.h, w: k.w, c: k.c, scale: k.scale, mean: k.mean, std: k.std });
      const want = (await plain.run({ pixels: new ort.Tensor('float32', x, [n, k.c, k.h, k.w]) })).y.data as Float32Array;
      const wrapped = await ort.InferenceSession.create(withImageInput(bytes, { input: 'pixels', ...k }, 'm.onnx'));
      expect(wrapped.inputNames).toEqual([IMAGE_INPUT]);
      const got = (await wrapped.run({ [IMAGE_INPUT]: new ort.Tensor('uint8', images, [n, k.h, k.w, k.c]) })).y.data as Float32Array;
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-5);
      await plain.release();
      await wrapped.release();
    });
  }

  it('names the file when the input is not in the graph', () => {
    expect(() => withImageInput(convModel(1, 4, 4, 'pixels'), { input: 'image', c: 1, h: 4, w: 4, scale: 1, mean: [0], std: [1] }, 'm.onnx'))
      .toThrow(/m\.onnx.*no graph input 'image'|no graph input 'image'.*m\.onnx/s);
  });
});
