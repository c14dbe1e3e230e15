// MatMul with a constant 2-D right side -> gemm (the weight transposed to [n, K]); any other MatMul refused.
import type { OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';

/** A row-major [rows, cols] matrix transposed to [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export const MatMulRule: OpRule = {
  ops: ['MatMul'],
  lower(node, ctx) {
    node.checkAttributes([]);
    const a = ctx.value(node, 0, 'input A');
    if (a.shape.length !== 1) throw node.error(`input '${a.id}' has shape [N, ${a.shape.join(', ')}]; Quiver runs MatMul on 2-D [N, K] inputs only`);
    const b = ctx.floatConstant(node, 1, 'input B');
    const K = a.shape[0], bs = b.tensor.shape;
    if (bs.length !== 2 || bs[0] !== K) throw node.error(`input B '${b.id}' has shape ${fmt(bs)}; [${K}, n] expected`);
    const n = bs[1];
    const wId = ctx.freshId(`${b.id}_t`);
    ctx.defineConstant(wId, { dtype: 'float32', shape: [n, K], data: transpose2d(b.tensor.data, K, n) });
    ctx.emit({ kind: 'gemm', x: a.id, w: wId, b: null, y: ctx.output(node), act: { op: 'none' } }, [n]);
  },
};
