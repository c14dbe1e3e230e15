// Reshape (constant shape, 0 and -1), Flatten, Squeeze, Unsqueeze and a Transpose that moves only size-1 axes -> reshape steps (on constants, new constants).
import { InternalError } from '../../../errors.ts';
import type { OnnxNode } from '../node.ts';
import type { LowerContext, OpRule } from '../lower.ts';
import { normalizeAxis, product } from '../shape.ts';

/** The full input shape, with the batch as null for an activation. */
type FullShape = (number | null)[];

const showFull = (s: FullShape): string => `[${s.map((d) => d ?? 'N').join(', ')}]`;

function inputShape(node: OnnxNode, ctx: LowerContext): FullShape {
  const x = ctx.operand(node, 0);
  return x.kind === 'const' ? [...x.tensor.shape] : [null, ...x.shape];
}

/** Writes the node's output with the full shape `out` (batch null, or all static for a constant). */
function finish(node: OnnxNode, ctx: LowerContext, out: FullShape): void {
  const x = ctx.operand(node, 0);
  const y = ctx.output(node);
  if (x.kind === 'const') {
    ctx.defineConstant(y, { ...x.tensor, shape: out as number[] } as typeof x.tensor);
    return;
  }
  if (out[0] !== null) throw new InternalError(`${node.describe()}: the batch axis moved`);
  ctx.emit({ kind: 'reshape', x: x.id, y }, out.slice(1) as number[]);
}

function reshape(node: OnnxNode, ctx: LowerContext, full: FullShape): FullShape {
  node.checkAttributes(ctx.opset >= 14 ? ['allowzero'] : []);
  const shapeIn = ctx.intConstant(node, 1, 'shape').data;
  // The batch size (from Shape of an activation) may stand first: it keeps the batch, as 0 does.
  if (shapeIn.some((d, i) => d === null && (i > 0 || full[0] !== null))) throw node.error('shape uses the batch size off dim 0; Quiver keeps the batch as dim 0 only');
  const target = shapeIn.map((d) => d ?? 0);
  const allowZero = node.int('allowzero', 0) !== 0;
  if (allowZero && shapeIn.includes(0)) throw node.error('allowzero = 1 with a 0 in the shape (an empty tensor) is not supported');
  if (target.filter((d) => d === -1).length > 1) throw node.error(`shape [${target.join(', ')}] has more than one -1`);
  const out: FullShape = target.map((d, i) => {
    if (d === 0) {
      if (i >= full.length) throw node.error(`shape [${target.join(', ')}] copies dim ${i} (0), but the input has rank ${full.length}`);
      return full[i];
    }
    if (d < -1) throw node.error(`shape [${target.join(', ')}] holds ${d}`);
    return d;
  });
  const batch = full[0] === null;
  if (batch) {
    if (target[0] !== 0 && target[0] !== -1) throw node.error(`shape [${target.join(', ')}] fixes the batch size to ${target[0]}; Quiver runs any batch size, so dim 0 must be 0 (keep) or -1 (export with a dynamic batch axis, e.g. torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}}))`);
    if (target[0] === -1) out[0] = null;
  }
  const known = product(full.filter((d): d is number => d !== null));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const rest = product(out.filter((d, i): d is number => d !== null && i !== minus));
    if (rest === 0 || known % rest !== 0) throw node.error(`shape [${target.join(', ')}] does not divide the input ${showFull(full)}`);
    out[minus] = known / rest;
  }
  if (product(out.filter((d): d is number => d !== null)) !== known) {
    throw node.error(`shape [${target.join(', ')}] holds ${product(out.filter((d): d is number => d !== null))} elements${batch ? ' per sample' : ''}, the input ${showFull(full)} ${known}`);
  }
  return out;
}

function flatten(node: OnnxNode, full: FullShape): FullShape {
  node.checkAttributes(['axis']);
  const r = full.length;
  const axis = node.int('axis', 1);
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r) throw node.error(`axis ${axis} is out of range for a tensor of rank ${r}`);
  const head = full.slice(0, a), tail = full.slice(a);
  if (full[0] !== null) return [product(head as number[]), product(tail as number[])];
  if (a === 0) throw node.error('axis 0 would fold the batch into the features; Quiver needs axis >= 1');
  if (product(head.slice(1) as number[]) !== 1) throw node.error(`axis ${axis} would fold dims [${head.slice(1).join(', ')}] into the batch; use axis 1`);
  return [null, product(tail as number[])];
}

function axesOf(node: OnnxNode, ctx: LowerContext): number[] {
  if (ctx.opset >= 13) {
    node.checkAttributes([]);
    if (!ctx.optional(node, 1)) throw node.error(`${node.opType} without axes is not supported (Squeeze would also drop a batch of 1); give the axes`);
    return ctx.intValues(node, 1, 'axes');
  }
  node.checkAttributes(['axes']);
  const axes = node.ints('axes');
  if (!axes) throw node.error(`${node.opType} without axes is not supported (Squeeze would also drop a batch of 1); give the axes`);
  return axes;
}

function squeeze(node: OnnxNode, ctx: LowerContext, full: FullShape): FullShape {
  const axes = new Set(axesOf(node, ctx).map((a) => normalizeAxis(node, a, full.length)));
  for (const a of axes) {
    if (full[a] === null) throw node.error('axis 0 is the batch; it cannot be squeezed');
    if (full[a] !== 1) throw node.error(`axis ${a} has size ${full[a]}, not 1`);
  }
  return full.filter((_, i) => !axes.has(i));
}

function unsqueeze(node: OnnxNode, ctx: LowerContext, full: FullShape): FullShape {
  const raw = axesOf(node, ctx);
  const r = full.length + raw.length;
  const axes = new Set(raw.map((a) => normalizeAxis(node, a, r)));
  if (axes.size !== raw.length) throw node.error(`axes [${raw.join(', ')}] repeat an axis`);
  if (full[0] === null && axes.has(0)) throw node.error('axis 0 would put a new axis before the batch; Quiver keeps the batch first');
  const out: FullShape = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : full[j++]);
  return out;
}

function transpose(node: OnnxNode, full: FullShape): FullShape {
  node.checkAttributes(['perm']);
  const r = full.length;
  const perm = node.ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) throw node.error(`perm [${perm.join(', ')}] is not a permutation of ${r} axes`);
  // Moving size-1 axes only keeps the data's order: the non-1 axes must stay in order.
  const order = perm.filter((p) => full[p] !== 1);
  if (order.some((p, i) => i > 0 && p < order[i - 1]) || (full[0] === null && perm[0] !== 0)) {
    throw node.error(`perm [${perm.join(', ')}] reorders data over ${showFull(full)}; Quiver supports only a Transpose that moves size-1 axes`);
  }
  return perm.map((p) => full[p]);
}

export const ReshapeRule: OpRule = {
  ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose'],
  lower(node, ctx) {
    const full = inputShape(node, ctx);
    switch (node.opType) {
      case 'Reshape': return finish(node, ctx, reshape(node, ctx, full));
      case 'Flatten': return finish(node, ctx, flatten(node, full));
      case 'Squeeze': return finish(node, ctx, squeeze(node, ctx, full));
      case 'Unsqueeze': return finish(node, ctx, unsqueeze(node, ctx, full));
      default: return finish(node, ctx, transpose(node, full));
    }
  },
};
