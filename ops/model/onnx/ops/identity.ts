// Identity and Dropout (inference no-ops, as reshape steps that compileOnnx drops) and Constant (a constant tensor).
import type { OpRule } from '../lower.ts';

export const IdentityRule: OpRule = {
  ops: ['Identity', 'Dropout', 'Constant'],
  lower(node, ctx) {
    if (node.opType === 'Constant') {
      node.checkAttributes(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
      const y = ctx.output(node);
      const t = node.tensor('value');
      if (t) return ctx.defineConstant(y, t);
      if (node.has('value_float')) return ctx.defineConstant(y, { dtype: 'float32', shape: [], data: Float32Array.of(node.float('value_float', 0)) });
      if (node.has('value_floats')) { const v = node.floats('value_floats')!; return ctx.defineConstant(y, { dtype: 'float32', shape: [v.length], data: Float32Array.from(v) }); }
      if (node.has('value_int')) return ctx.defineConstant(y, { dtype: 'int64', shape: [], data: [node.int('value_int', 0)] });
      if (node.has('value_ints')) { const v = node.ints('value_ints')!; return ctx.defineConstant(y, { dtype: 'int64', shape: [v.length], data: v }); }
      throw node.error('Constant has no value (Quiver reads value, value_float(s) and value_int(s))');
    }
    if (node.opType === 'Dropout') {
      // ratio (opset < 12) and seed change nothing at inference; is_test predates opset 7.
      node.checkAttributes(['ratio', 'seed']);
      if (ctx.optional(node, 2)) {
        const t = ctx.operand(node, 2);
        if (t.kind !== 'const' || t.tensor.dtype === 'float32' || !t.tensor.data.every((v) => v === 0)) throw node.error(`training_mode '${t.id}' must be a constant false; Quiver runs inference only`);
      }
      ctx.onlyFirstOutput(node, 'the dropout mask');
    } else {
      node.checkAttributes([]);
    }
    const x = ctx.operand(node, 0);
    const y = ctx.output(node);
    if (x.kind === 'const') ctx.defineConstant(y, x.tensor);
    else ctx.emit({ kind: 'reshape', x: x.id, y }, x.shape);
  },
};
