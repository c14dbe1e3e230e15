// Prune: drops the steps no output needs, and the values and constants no step reads.
import { stepReads } from '../steps.ts';
import type { CompilePass } from './draft.ts';

export const Prune: CompilePass = {
  name: 'prune',
  run(d) {
    const needed = new Set(d.outputs);
    const kept = [];
    for (let i = d.steps.length - 1; i >= 0; i--) {
      const s = d.steps[i];
      if (!needed.has(s.y)) continue;
      kept.push(s);
      for (const id of stepReads(s)) needed.add(id);
    }
    d.steps = kept.reverse();
    for (const id of Object.keys(d.constants)) if (!needed.has(id)) delete d.constants[id];
    for (const id of Object.keys(d.values)) if (!needed.has(id)) delete d.values[id];
  },
};
