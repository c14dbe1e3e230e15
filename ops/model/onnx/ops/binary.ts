// Add, Mul, Sub, Div -> binary add/mul (Sub and Div only with a constant right side, as add of -c and mul by 1/c); constant-only operands folded.
import { InternalError } from '../../../errors.ts';
import type { FloatTensor } from '../model.ts';
import type { Operand, OpRule } from '../lower.ts';
import { formatShape as fmt } from '../lower.ts';
import { broadcast, product } from '../shape.ts';

type Op = 'Add' | 'Mul' | 'Sub' | 'Div';

const APPLY: Record<Op, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Mul: (a, b) => a * b,
  Sub: (a, b) => a - b,
  Div: (a, b) => a / b,
};

/** a op b over numpy-broadcast full shapes, rounded to float32 (constant folding). */
function foldBinary(op: Op, a: FloatTensor, b: FloatTensor, shape: number[]): FloatTensor {
  const out = new Float32Array(product(shape));
  const r = shape.length;
  const strides = (s: readonly number[]) => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      if (s[i] !== 1) st[r - s.length + i] = acc;
      acc *= s[i];
    }
    return st;
  };
  const sa = strides(a.shape), sb = strides(b.shape);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < r; d++) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; }
    out[i] = APPLY[op](a.data[ia], b.data[ib]);
    for (let d = r - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { dtype: 'float32', shape, data: out };
}

function asFloat(node: Parameters<OpRule['lower']>[0], o: Operand): void {
  if (o.kind === 'const' && o.tensor.dtype !== 'float32') throw node.error(`input '${o.id}' is ${o.tensor.dtype}; float32 expected`);
}

export const BinaryRule: OpRule = {
  ops: ['Add', 'Mul', 'Sub', 'Div'],
  lower(node, ctx) {
    // Opsets before 7 had broadcast/axis attributes; from 7 on (all Quiver reads) broadcasting is numpy's.
    node.checkAttributes([]);
    const op = node.opType as Op;
    let a = ctx.operand(node, 0), b = ctx.operand(node, 1);
    asFloat(node, a);
    asFloat(node, b);
    const y = ctx.output(node);
    if (a.kind === 'const' && b.kind === 'const') {
      const ta = a.tensor as FloatTensor, tb = b.tensor as FloatTensor;
      const shape = broadcast(ta.shape, tb.shape);
      if (!shape) throw node.error(`constants '${a.id}' ${fmt(ta.shape)} and '${b.id}' ${fmt(tb.shape)} do not broadcast`);
      ctx.defineConstant(y, foldBinary(op, ta, tb, shape));
      return;
    }
    if (a.kind === 'const') {
      if (op === 'Sub' || op === 'Div') throw node.error(`${op} with a constant left operand '${a.id}' is not supported (only x ${op === 'Sub' ? '-' : '/'} constant)`);
      [a, b] = [b, a];
    }
    if (a.kind !== 'value') throw new InternalError('binary: the value operand is not first after the swap');
    if (b.kind === 'value') {
      if (op === 'Sub' || op === 'Div') throw node.error(`${op} of two computed tensors is not supported (only x ${op === 'Sub' ? '-' : '/'} constant)`);
      if (a.shape.length !== b.shape.length) throw node.error(`inputs '${a.id}' [N, ${a.shape.join(', ')}] and '${b.id}' [N, ${b.shape.join(', ')}] have different ranks; Quiver needs equal ranks so the batch axes line up`);
      const shape = broadcast(a.shape, b.shape);
      if (!shape) throw node.error(`inputs '${a.id}' [N, ${a.shape.join(', ')}] and '${b.id}' [N, ${b.shape.join(', ')}] do not broadcast`);
      ctx.emit({ kind: 'binary', op: op === 'Add' ? 'add' : 'mul', a: a.id, b: b.id, y, act: { op: 'none' } }, shape);
      return;
    }
    const c = b.tensor as FloatTensor, vr = a.shape.length;
    if (c.shape.length > vr + 1 || (c.shape.length === vr + 1 && c.shape[0] !== 1)) {
      throw node.error(`constant '${b.id}' ${fmt(c.shape)} would broadcast over the batch axis of '${a.id}' [N, ${a.shape.join(', ')}]`);
    }
    const perSample = c.shape.length === vr + 1 ? c.shape.slice(1) : c.shape;
    const shape = broadcast(a.shape, perSample);
    if (!shape) throw node.error(`'${a.id}' [N, ${a.shape.join(', ')}] and constant '${b.id}' ${fmt(c.shape)} do not broadcast`);
    let cId = b.id;
    if (op === 'Sub' || op === 'Div') {
      cId = ctx.freshId(`${b.id}_${op === 'Sub' ? 'neg' : 'recip'}`);
      ctx.defineConstant(cId, { dtype: 'float32', shape: c.shape, data: c.data.map((v) => (op === 'Sub' ? -v : 1 / v)) });
    }
    ctx.emit({ kind: 'binary', op: op === 'Add' || op === 'Sub' ? 'add' : 'mul', a: a.id, b: cId, y, act: { op: 'none' } }, shape);
  },
};
