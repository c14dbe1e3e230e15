// DropIdentity: a reshape that keeps the shape (Identity, Dropout, a no-op Reshape) is dropped and its readers read its input, unless it writes an output.
import { renameReads } from '../steps.ts';
import type { CompilePass } from './draft.ts';

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export const DropIdentity: CompilePass = {
  name: 'drop-identity',
  run(d) {
    const outputs = new Set(d.outputs);
    const rename = new Map<string, string>();
    const steps = [];
    for (const s0 of d.steps) {
      const s = renameReads(s0, rename);
      if (s.kind === 'reshape' && !outputs.has(s.y) && same(d.values[s.x].shape, d.values[s.y].shape)) {
        rename.set(s.y, s.x);
        delete d.values[s.y];
        continue;
      }
      steps.push(s);
    }
    d.steps = steps;
  },
};
