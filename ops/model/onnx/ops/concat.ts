// Concat -> concat along a non-batch axis of computed tensors of equal rank; Concat of constants only is folded.
import type { ConstTensor } from '../model.ts';
import type { OnnxNode } from '../node.ts';
import type { LowerContext, Operand, OpRule } from '../lower.ts';
import { normalizeAxis, product } from '../shape.ts';

/** Concat of constants only (shape arithmetic such as [batch] ++ [-1]), folded. */
function foldConcat(node: OnnxNode, ctx: LowerContext, ts: ConstTensor[]): void {
  const r = ts[0].shape.length;
  const axis = normalizeAxis(node, node.int('axis', 0), r);
  if (ts.some((t) => t.dtype !== ts[0].dtype || t.shape.length !== r || t.shape.some((d, q) => q !== axis && d !== ts[0].shape[q]))) {
    throw node.error(`constant inputs differ in dtype or in shape off axis ${axis}`);
  }
  const outer = product(ts[0].shape.slice(0, axis));
  const data: (number | null)[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const block = product(t.shape.slice(axis));
      for (let k = 0; k < block; k++) data.push(t.data[o * block + k]);
    }
  }
  const shape = [...ts[0].shape];
  shape[axis] = ts.reduce((a, t) => a + t.shape[axis], 0);
  const y = ctx.output(node);
  const dt = ts[0].dtype;
  ctx.defineConstant(y, dt === 'float32' ? { dtype: dt, shape, data: Float32Array.from(data as number[]) } : dt === 'bool' ? { dtype: dt, shape, data: data as number[] } : { dtype: dt, shape, data });
}

export const ConcatRule: OpRule = {
  ops: ['Concat'],
  lower(node, ctx) {
    node.checkAttributes(['axis']);
    if (!node.has('axis')) throw node.error("attribute 'axis' is required");
    if (node.inputs.length === 0) throw node.error('Concat needs at least one input');
    const ops = node.inputs.map((_, i) => ctx.operand(node, i));
    if (ops.every((o) => o.kind === 'const')) return foldConcat(node, ctx, ops.map((o) => (o as Extract<Operand, { kind: 'const' }>).tensor));
    const xs = node.inputs.map((_, i) => ctx.value(node, i, `input ${i}`));
    const r = xs[0].shape.length;
    const axis = normalizeAxis(node, node.int('axis', 1), r + 1);
    if (axis === 0) throw node.error('axis 0 is the batch; Quiver concatenates along the other axes only');
    const out = [...xs[0].shape];
    out[axis - 1] = 0;
    for (const x of xs) {
      if (x.shape.length !== r || x.shape.some((d, q) => q !== axis - 1 && d !== xs[0].shape[q])) {
        throw node.error(`input '${x.id}' [N, ${x.shape.join(', ')}] differs from '${xs[0].id}' [N, ${xs[0].shape.join(', ')}] off axis ${axis}`);
      }
      out[axis - 1] += x.shape[axis - 1];
    }
    ctx.emit({ kind: 'concat', xs: xs.map((x) => x.id), y: ctx.output(node), axis }, out);
  },
};
