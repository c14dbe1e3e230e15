// BatchNormalization (inference) -> a batch-norm step y = x * scale[c] + shift[c], folded into the preceding Conv or Gemm by compileOnnx when it can be.
import type { OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';

export const BatchNormRule: OpRule = {
  ops: ['BatchNormalization'],
  lower(node, ctx) {
    node.checkAttributes(['epsilon', 'momentum', 'spatial', 'training_mode']);
    if (node.int('training_mode', 0) !== 0) throw node.error('training_mode = 1 is not supported; Quiver runs inference only');
    if (node.int('spatial', 1) !== 1) throw node.error('spatial = 0 (statistics per element) is not supported');
    ctx.onlyFirstOutput(node, 'the running statistics');
    const x = ctx.value(node, 0, 'input X');
    if (x.shape.length < 1) throw node.error(`input '${x.id}' has no channel axis`);
    const C = x.shape[0];
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => {
      const c = ctx.floatConstant(node, i, ['scale', 'B', 'input_mean', 'input_var'][i - 1]);
      if (c.tensor.data.length !== C || c.tensor.shape.length !== 1) throw node.error(`'${c.id}' has shape ${fmt(c.tensor.shape)}; [${C}] expected (one per channel)`);
      return c.tensor.data;
    });
    const eps = node.float('epsilon', 1e-5);
    const s = new Float32Array(C), t = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      // f64 here, rounded once: the folded weights then differ from ORT's unfolded op by about one ulp.
      const k = scale[c] / Math.sqrt(variance[c] + eps);
      s[c] = k;
      t[c] = bias[c] - mean[c] * k;
    }
    ctx.emit({ kind: 'batch-norm', x: x.id, y: ctx.output(node), scale: s, shift: t }, x.shape);
  },
};
