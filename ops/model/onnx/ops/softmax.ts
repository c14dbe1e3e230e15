// Softmax -> softmax over the last axis (opset >= 13: one axis, with only size-1 axes after it; before 13: the axes from `axis` on, flattened), reshaped around when needed.
import type { OpRule } from '../lower.ts';
import { normalizeAxis, product } from '../shape.ts';

export const SoftmaxRule: OpRule = {
  ops: ['Softmax'],
  lower(node, ctx) {
    node.checkAttributes(['axis']);
    const x = ctx.value(node, 0, 'input');
    const r = x.shape.length + 1;
    const axis = normalizeAxis(node, node.int('axis', ctx.opset >= 13 ? -1 : 1), r);
    if (axis === 0) throw node.error('axis 0 is the batch; Quiver runs softmax over the last axis only');
    const before = x.shape.slice(0, axis - 1), after = x.shape.slice(axis - 1);
    let inner: number[];
    if (ctx.opset >= 13) {
      if (product(after.slice(1)) !== 1) throw node.error(`axis ${node.int('axis', -1)} of [N, ${x.shape.join(', ')}] is not the last axis; Quiver runs softmax over the last axis only`);
      inner = [...before, after[0]];
    } else {
      // Opsets 1-12 coerce the input to 2-D at `axis`: one softmax over all the axes from there on.
      inner = [...before, product(after)];
    }
    const y = ctx.output(node);
    const same = inner.length === x.shape.length && inner.every((d, i) => d === x.shape[i]);
    if (same) {
      ctx.emit({ kind: 'softmax', x: x.id, y }, x.shape);
      return;
    }
    const flat = ctx.freshId(`${y}_in`), soft = ctx.freshId(`${y}_softmax`);
    ctx.emit({ kind: 'reshape', x: x.id, y: flat }, inner);
    ctx.emit({ kind: 'softmax', x: flat, y: soft }, inner);
    ctx.emit({ kind: 'reshape', x: soft, y }, x.shape);
  },
};
