// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool -> pool2d (ceil_mode = 1 becomes extra end padding where that is exact).
import type { OnnxNode } from '../node.ts';
import type { LowerContext, OpRule } from '../lower.ts';
import { pairAttr, windowOut, windowPads } from '../shape.ts';

function input2d(node: OnnxNode, ctx: LowerContext): { id: string; C: number; H: number; W: number } {
  const x = ctx.value(node, 0, 'input X');
  if (x.shape.length !== 3) throw node.error(`input '${x.id}' has shape [N, ${x.shape.join(', ')}]; Quiver pools 2-D [N, C, H, W] tensors`);
  return { id: x.id, C: x.shape[0], H: x.shape[1], W: x.shape[2] };
}

/**
 * Output size along one axis with ceil_mode = 1: ceil((in + pads - k) / s) + 1, less one when
 * the last window would start past the input and its begin padding (ONNX Runtime and PyTorch
 * drop that window, which would hold no input cell).
 */
function ceilOut(inSize: number, k: number, s: number, pb: number, pe: number): number {
  let out = Math.ceil((inSize + pb + pe - k) / s) + 1;
  if ((out - 1) * s >= inSize + pb) out--;
  return out;
}

function lowerWindowPool(node: OnnxNode, ctx: LowerContext, mode: 'max' | 'avg'): void {
  const x = input2d(node, ctx);
  const ks = node.ints('kernel_shape');
  if (!ks || ks.length !== 2 || !ks.every((v) => Number.isInteger(v) && v >= 1)) throw node.error(`kernel_shape ${ks ? `[${ks.join(', ')}]` : 'is missing'}; 2 integers >= 1 expected`);
  const kernel: [number, number] = [ks[0], ks[1]];
  const strides = pairAttr(node, 'strides', 1);
  const dilations = pairAttr(node, 'dilations', 1);
  if (dilations[0] !== 1 || dilations[1] !== 1) throw node.error(`dilations [${dilations.join(', ')}] are not supported for pooling (only [1, 1])`);
  const pads = windowPads(node, [x.H, x.W], kernel, strides, dilations);
  const countIncludePad = mode === 'avg' && node.int('count_include_pad', 0) !== 0;
  const ceilMode = node.int('ceil_mode', 0);
  if (ceilMode !== 0 && ceilMode !== 1) throw node.error(`ceil_mode ${ceilMode} must be 0 or 1`);
  const sizes = [x.H, x.W];
  const out = [0, 1].map((i) => windowOut(sizes[i], kernel[i], strides[i], pads[i], pads[i + 2]));
  if (ceilMode === 1) {
    for (let i = 0; i < 2; i++) {
      const want = ceilOut(sizes[i], kernel[i], strides[i], pads[i], pads[i + 2]);
      if (want === out[i]) continue;
      // The extra windows reach past the end padding: pad the end just enough that floor mode gives them.
      const extra = (want - 1) * strides[i] + kernel[i] - (sizes[i] + pads[i] + pads[i + 2]);
      if (countIncludePad) throw node.error('ceil_mode = 1 with count_include_pad = 1 changes the output size here, which Quiver does not support (its divisor would count cells past the padding); export with ceil_mode = 0');
      if (pads[i + 2] + extra >= kernel[i]) throw node.error(`ceil_mode = 1 needs ${extra} more cells of end padding along axis ${i + 2}, which the kernel of ${kernel[i]} cannot hold; export with ceil_mode = 0`);
      pads[i + 2] += extra;
      out[i] = want;
    }
  }
  for (let i = 0; i < 2; i++) {
    if (pads[i] >= kernel[i] || pads[i + 2] >= kernel[i]) throw node.error(`pads [${pads.join(', ')}] must be smaller than the kernel [${kernel.join(', ')}]`);
  }
  if (out[0] < 1 || out[1] < 1) throw node.error(`the ${kernel.join(' x ')} window does not fit the padded ${x.H} x ${x.W} input`);
  ctx.emit({ kind: 'pool2d', mode, x: x.id, y: ctx.output(node), kernel, strides, pads, countIncludePad }, [x.C, out[0], out[1]]);
}

export const PoolRule: OpRule = {
  ops: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  lower(node, ctx) {
    switch (node.opType) {
      case 'MaxPool':
        node.checkAttributes(['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']);
        if (node.int('storage_order', 0) !== 0) throw node.error('storage_order = 1 (column-major indices) is not supported');
        ctx.onlyFirstOutput(node, 'the argmax Indices');
        return lowerWindowPool(node, ctx, 'max');
      case 'AveragePool':
        node.checkAttributes(['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides']);
        return lowerWindowPool(node, ctx, 'avg');
      default: {
        node.checkAttributes([]);
        const x = input2d(node, ctx);
        const mode = node.opType === 'GlobalMaxPool' ? 'max' : 'avg';
        ctx.emit({ kind: 'pool2d', mode, x: x.id, y: ctx.output(node), kernel: [x.H, x.W], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false }, [x.C, 1, 1]);
      }
    }
  },
};
