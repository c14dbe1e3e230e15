// Shape (of an activation: [batch, ...per-sample dims] with the batch symbolic) and Gather on constants: the shape arithmetic of `x.view(x.size(0), -1)` exports, folded at load.
import type { ConstTensor } from '../model.ts';
import type { OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';
import { normalizeAxis, product } from '../shape.ts';

/** Elements of `t` picked along `axis` by `indices` (ONNX Gather), for constants. */
function gather(t: ConstTensor, axis: number, indices: readonly number[], indicesShape: readonly number[]): ConstTensor {
  const outer = product(t.shape.slice(0, axis)), inner = product(t.shape.slice(axis + 1)), n = t.shape[axis];
  const data: (number | null)[] = [];
  for (let o = 0; o < outer; o++) for (const i of indices) for (let k = 0; k < inner; k++) data.push(t.data[(o * n + i) * inner + k]);
  const shape = [...t.shape.slice(0, axis), ...indicesShape, ...t.shape.slice(axis + 1)];
  if (t.dtype === 'float32') return { dtype: 'float32', shape, data: Float32Array.from(data as number[]) };
  return t.dtype === 'bool' ? { dtype: 'bool', shape, data: data as number[] } : { dtype: 'int64', shape, data };
}

export const ShapeOfRule: OpRule = {
  ops: ['Shape', 'Gather'],
  lower(node, ctx) {
    const y = ctx.output(node);
    if (node.opType === 'Shape') {
      node.checkAttributes(ctx.opset >= 15 ? ['start', 'end'] : []);
      const x = ctx.operand(node, 0);
      const full: (number | null)[] = x.kind === 'const' ? [...x.tensor.shape] : [null, ...x.shape];
      const r = full.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const dims = full.slice(clamp(node.int('start', 0)), clamp(node.int('end', r)));
      ctx.defineConstant(y, { dtype: 'int64', shape: [dims.length], data: dims });
      return;
    }
    node.checkAttributes(['axis']);
    const data = ctx.operand(node, 0);
    if (data.kind !== 'const') throw node.error(`Gather on the computed tensor '${data.id}' is not supported; Quiver folds Gather on constants (shape arithmetic) only`);
    const idx = ctx.intConstant(node, 1, 'indices');
    const axis = normalizeAxis(node, node.int('axis', 0), data.tensor.shape.length);
    const n = data.tensor.shape[axis];
    const indices = idx.data.map((i) => {
      if (i === null || i < -n || i >= n) throw node.error(`index ${i} is out of range for axis ${axis} of ${fmt(data.tensor.shape)}`);
      return i < 0 ? i + n : i;
    });
    ctx.defineConstant(y, gather(data.tensor, axis, indices, idx.shape));
  },
};
