// Concat -> concat along a non-batch axis of computed tensors of equal rank.
import type { OpRule } from '../lower.ts';
import { normalizeAxis } from '../shape.ts';

export const ConcatRule: OpRule = {
  ops: ['Concat'],
  lower(node, ctx) {
    node.checkAttributes(['axis']);
    if (!node.has('axis')) throw node.error("attribute 'axis' is required");
    if (node.inputs.length === 0) throw node.error('Concat needs at least one input');
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
