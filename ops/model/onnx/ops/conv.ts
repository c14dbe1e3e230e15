// Conv -> conv2d: 2-D convolution with groups (depthwise included), strides, pads, auto_pad and dilations; weight and bias must be constants.
import type { OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';
import { pairAttr, windowOut, windowPads } from '../shape.ts';

export const ConvRule: OpRule = {
  ops: ['Conv'],
  lower(node, ctx) {
    node.checkAttributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
    const x = ctx.value(node, 0, 'input X');
    if (x.shape.length !== 3) throw node.error(`input '${x.id}' has shape [N, ${x.shape.join(', ')}]; Quiver runs 2-D convolutions over [N, C, H, W]`);
    const w = ctx.floatConstant(node, 1, 'weight W');
    if (w.tensor.shape.length !== 4) throw node.error(`weight '${w.id}' has shape ${fmt(w.tensor.shape)}; [M, C/group, kH, kW] expected`);
    const [C, H, W] = x.shape, [M, Cg, kh, kw] = w.tensor.shape;
    const group = node.int('group', 1);
    if (!Number.isInteger(group) || group < 1 || C % group !== 0 || M % group !== 0 || Cg * group !== C) {
      throw node.error(`group ${group} does not fit input channels C = ${C} and weight ${fmt(w.tensor.shape)} (C and M must be multiples of group, W's dim 1 must be C / group)`);
    }
    const b = ctx.optional(node, 2) ? ctx.floatConstant(node, 2, 'bias B') : null;
    if (b && (b.tensor.shape.length !== 1 || b.tensor.shape[0] !== M)) throw node.error(`bias '${b.id}' has shape ${fmt(b.tensor.shape)}; [${M}] expected`);
    const ks = node.ints('kernel_shape');
    if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw node.error(`kernel_shape [${ks.join(', ')}] does not match the weight's [${kh}, ${kw}]`);
    const strides = pairAttr(node, 'strides', 1);
    const dilations = pairAttr(node, 'dilations', 1);
    const pads = windowPads(node, [H, W], [kh, kw], strides, dilations);
    const oh = windowOut(H, kh, strides[0], pads[0], pads[2], dilations[0]);
    const ow = windowOut(W, kw, strides[1], pads[1], pads[3], dilations[1]);
    if (oh < 1 || ow < 1) throw node.error(`the ${kh} x ${kw} kernel (dilations ${dilations.join(', ')}) does not fit the padded ${H} x ${W} input`);
    ctx.emit({ kind: 'conv2d', x: x.id, w: w.id, b: b ? b.id : null, y: ctx.output(node), strides, pads, dilations, group, act: { op: 'none' } }, [M, oh, ow]);
  },
};
