// FuseActivation: an activation step moves into the conv2d, gemm or binary step that produces its input, when nothing else reads that tensor and it is not an output.
import type { IrStep } from '../model.ts';
import { readCounts } from '../steps.ts';
import type { CompilePass } from './draft.ts';

export const FuseActivation: CompilePass = {
  name: 'fuse-activation',
  run(d) {
    const reads = readCounts(d.steps, d.outputs);
    const at = new Map(d.steps.map((s, i) => [s.y, i]));
    const out: (IrStep | null)[] = [...d.steps];
    d.steps.forEach((s, i) => {
      if (s.kind !== 'activation') return;
      const pi = at.get(s.x);
      const p = pi === undefined ? null : out[pi];
      if (!p || (p.kind !== 'conv2d' && p.kind !== 'gemm' && p.kind !== 'binary') || p.act.op !== 'none' || reads.get(s.x) !== 1) return;
      out[pi!] = { ...p, act: s.act, y: s.y };
      out[i] = null;
      delete d.values[s.x];
    });
    d.steps = out.filter((s): s is IrStep => s !== null);
  },
};
