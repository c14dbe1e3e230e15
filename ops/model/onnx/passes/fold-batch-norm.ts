// FoldBatchNorm: a batch-norm step folds into the Conv or Gemm that alone feeds it (weights and bias scaled); any other becomes a binary mul and add with per-channel constants.
import type { IrStep } from '../model.ts';
import { readCounts } from '../steps.ts';
import type { CompilePass, Draft } from './draft.ts';

function foldInto(d: Draft, p: Extract<IrStep, { kind: 'conv2d' | 'gemm' }>, scale: Float32Array, shift: Float32Array, y: string): IrStep {
  const w = d.constants[p.w];
  const rows = scale.length, per = w.data.length / rows;
  const wf = new Float32Array(w.data.length);
  for (let m = 0; m < rows; m++) for (let j = 0; j < per; j++) wf[m * per + j] = w.data[m * per + j] * scale[m];
  const b = p.b ? d.constants[p.b].data : null;
  const bf = Float32Array.from({ length: rows }, (_, m) => (b ? b[m] : 0) * scale[m] + shift[m]);
  const wId = d.freshId(`${p.w}_bn`), bId = d.freshId(`${p.b ?? p.w}_bn_bias`);
  d.constants[wId] = { dtype: 'float32', shape: w.shape, data: wf };
  d.constants[bId] = { dtype: 'float32', shape: [rows], data: bf };
  return { ...p, w: wId, b: bId, y };
}

export const FoldBatchNorm: CompilePass = {
  name: 'fold-batch-norm',
  run(d) {
    const reads = readCounts(d.steps, d.outputs);
    const at = new Map(d.steps.map((s, i) => [s.y, i]));
    // Each step's replacement: itself, nothing (folded away), or two binary steps.
    const out: IrStep[][] = d.steps.map((s) => [s]);
    d.steps.forEach((s, i) => {
      if (s.kind !== 'batch-norm') return;
      const pi = at.get(s.x);
      const p = pi === undefined ? undefined : out[pi][0];
      if (p && (p.kind === 'conv2d' || p.kind === 'gemm') && p.act.op === 'none' && reads.get(s.x) === 1) {
        out[pi!] = [foldInto(d, p, s.scale, s.shift, s.y)];
        out[i] = [];
        delete d.values[s.x];
        return;
      }
      // y = x * scale + shift with [C, 1, ...] constants broadcasting over the spatial axes.
      const shape = d.values[s.x].shape;
      const cShape = [shape[0], ...shape.slice(1).map(() => 1)];
      const scaleId = d.freshId(`${s.y}_scale`), shiftId = d.freshId(`${s.y}_shift`), tmp = d.freshId(`${s.y}_scaled`);
      d.constants[scaleId] = { dtype: 'float32', shape: cShape, data: s.scale };
      d.constants[shiftId] = { dtype: 'float32', shape: cShape, data: s.shift };
      d.values[tmp] = { shape };
      out[i] = [
        { kind: 'binary', op: 'mul', a: s.x, b: scaleId, y: tmp, act: { op: 'none' } },
        { kind: 'binary', op: 'add', a: tmp, b: shiftId, y: s.y, act: { op: 'none' } },
      ];
    });
    d.steps = out.flat();
  },
};
