// Gemm -> gemm: y = alpha A B' + beta C with a constant B (transB 0 or 1) and a constant C that does not vary over the batch; transA = 1 refused.
import type { OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';
import { transpose2d } from './matmul.ts';

export const GemmRule: OpRule = {
  ops: ['Gemm'],
  lower(node, ctx) {
    node.checkAttributes(['alpha', 'beta', 'transA', 'transB']);
    const a = ctx.value(node, 0, 'input A');
    if (a.shape.length !== 1) throw node.error(`input '${a.id}' has shape [N, ${a.shape.join(', ')}]; Gemm needs a 2-D [N, K] input (add a Flatten before it)`);
    if (node.int('transA', 0) !== 0) throw node.error('transA = 1 is not supported: A\'s rows are the batch, so it cannot be transposed');
    const transB = node.int('transB', 0) !== 0;
    const alpha = node.float('alpha', 1), beta = node.float('beta', 1);
    const b = ctx.floatConstant(node, 1, 'input B');
    const K = a.shape[0];
    const bs = b.tensor.shape;
    if (bs.length !== 2 || bs[transB ? 1 : 0] !== K) throw node.error(`input B '${b.id}' has shape ${fmt(bs)}; with transB = ${transB ? 1 : 0} it must be ${transB ? `[n, ${K}]` : `[${K}, n]`}`);
    const n = transB ? bs[0] : bs[1];
    // The step wants w as [n, K] (torch.nn.Linear's layout), with alpha folded in.
    let wId = b.id;
    if (!transB || alpha !== 1) {
      const w = transB ? Float32Array.from(b.tensor.data) : transpose2d(b.tensor.data, K, n);
      if (alpha !== 1) for (let i = 0; i < w.length; i++) w[i] *= alpha;
      wId = ctx.freshId(`${b.id}_gemm`);
      ctx.defineConstant(wId, { dtype: 'float32', shape: [n, K], data: w });
    }
    let bId: string | null = null;
    const c = ctx.optional(node, 2) ? ctx.floatConstant(node, 2, 'input C') : null;
    if (c && beta !== 0) {
      const cs = c.tensor.shape;
      const perColumn = cs.length <= 2 && cs.every((d, i) => d === 1 || (i === cs.length - 1 && d === n));
      if (!perColumn) throw node.error(`input C '${c.id}' has shape ${fmt(cs)}; Quiver needs a bias that is the same for every row: [], [1], [${n}] or [1, ${n}]`);
      if (cs.length === 1 && cs[0] === n && beta === 1) {
        bId = c.id;
      } else {
        const last = cs.length === 0 ? 1 : cs[cs.length - 1];
        const bias = Float32Array.from({ length: n }, (_, j) => beta * c.tensor.data[last === 1 ? 0 : j]);
        bId = ctx.freshId(`${c.id}_gemm`);
        ctx.defineConstant(bId, { dtype: 'float32', shape: [n], data: bias });
      }
    }
    ctx.emit({ kind: 'gemm', x: a.id, w: wId, b: bId, y: ctx.output(node), act: { op: 'none' } }, [n]);
  },
};
