// The test forward pass run on every model load: finite weights can still overflow float32 (scale 1e300, weights 3e38) and predict NaN for every row.
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { DataError } from '../errors.ts';
import { F32_MAX } from './model-schema.ts';

/** The deterministic inputs a model must map to finite outputs: blank, a ramp from 0 to 255, and saturated. */
function testInputs(n: number): [string, Uint8Array][] {
  return [
    ['zeros', new Uint8Array(n)],
    ['ramp', Uint8Array.from({ length: n }, (_, i) => Math.round((255 * i) / Math.max(1, n - 1)))],
    ['all-255', new Uint8Array(n).fill(255)],
  ];
}

/**
 * Runs the model on the test inputs as every backend does (normalize in f32, each layer in f32)
 * and throws a DataError naming the field or layer that overflows float32: `metaFile` for the
 * input normalization, `weightsFile` for a layer. A layer is accepted only when, for every
 * output, |bias| + sum |input x weight| fits in float32, so no summation order overflows on
 * these inputs. Cost: three rows through the model (about a millisecond for Fashion-MNIST's).
 */
export function checkForward(weights: MlpWeights, names: readonly string[], metaFile: string, weightsFile: string): void {
  const { scale, shift } = weights;
  for (const p of [255, 0]) {
    const x = Math.fround(Math.fround(p * scale) + shift);
    if (!Number.isFinite(x)) {
      throw new DataError(`the input normalization (x * ${scale} + ${shift}) gives ${x} for a pixel of ${p}: float32 cannot hold it, so every prediction would be NaN; use a scale and shift that keep 0..255 within +-3.4e38`, { file: metaFile });
    }
  }
  for (const [input, pixels] of testInputs(weights.layers[0].in)) {
    let x = Float64Array.from(pixels, (p) => Math.fround(Math.fround(p * scale) + shift));
    weights.layers.forEach((l, li) => {
      const y = new Float64Array(l.out);
      for (let j = 0; j < l.out; j++) {
        let s = l.b[j], bound = Math.abs(l.b[j]);
        const row = j * l.in;
        for (let p = 0; p < l.in; p++) {
          const t = x[p] * l.w[row + p];
          s += t;
          bound += Math.abs(t);
        }
        if (!(bound <= F32_MAX)) {
          throw new DataError(`layer ${li} ('${names[li]}') overflows float32 on the test input '${input}': output ${j} adds up to ${bound.toExponential(2)} in magnitude (|bias| + sum |input x weight|), `
            + 'beyond float32\'s 3.4e38, so predictions would be NaN or Infinity; the weights are too large for this model to predict (retrain, or check the exported tensors)', { file: weightsFile });
        }
        const f = Math.fround(s);
        y[j] = l.activation === 'relu' && f < 0 ? 0 : f;
      }
      x = y;
    });
  }
}
