// Training gradients: mlpGradStep's analytic gradient matches finite differences of its own loss, and one SGD step lowers the loss.
import { describe, expect, it } from 'vitest';
import { mlpGradStep, paramCount, type GradStepArgs, type LayerShape } from '../../ops/train/mlp-grad.ts';

function setup(): GradStepArgs {
  const layers: LayerShape[] = [{ in: 6, out: 5 }, { in: 5, out: 4 }, { in: 4, out: 3 }];
  let s = 3;
  const r = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
  const P = paramCount(layers);
  const rows = 9;
  return {
    images: Uint8Array.from({ length: rows * 6 }, () => Math.floor(r() * 256)),
    labels: Uint8Array.from({ length: rows }, () => Math.floor(r() * 3)),
    order: Int32Array.from({ length: rows }, (_, i) => (i * 4) % rows),
    from: 1, to: 8, layers, scale: 1 / 255, shift: -0.2,
    params: Float32Array.from({ length: P }, () => (r() - 0.5) * 1.2),
    grads: new Float32Array(P),
  };
}

describe('mlpGradStep', () => {
  it('gives the gradient of the summed cross-entropy (finite differences, every parameter)', () => {
    const a = setup();
    mlpGradStep(a);
    const g = a.grads.slice();
    const lossAt = (i: number, d: number) => {
      const p = a.params.slice();
      p[i] += d;
      return mlpGradStep({ ...a, params: p, grads: new Float32Array(p.length) }).loss;
    };
    const h = 1e-2;
    let checked = 0;
    for (let i = 0; i < a.params.length; i++) {
      const num = (lossAt(i, h) - lossAt(i, -h)) / (2 * h);
      expect(Math.abs(num - g[i])).toBeLessThan(2e-3 + 2e-2 * Math.abs(num));
      checked++;
    }
    expect(checked).toBe(paramCount(a.layers));
    expect(g.some((x) => Math.abs(x) > 1e-3)).toBe(true);
  });

  it('counts rows and correct predictions of its shard only, and a step against the gradient lowers the loss', () => {
    const a = setup();
    const r0 = mlpGradStep(a);
    expect(r0.rows).toBe(7);
    expect(r0.correct).toBeGreaterThanOrEqual(0);
    const p = a.params.map((x, i) => x - 0.05 * a.grads[i]);
    const r1 = mlpGradStep({ ...a, params: p, grads: new Float32Array(p.length) });
    expect(r1.loss).toBeLessThan(r0.loss);
  });
});
