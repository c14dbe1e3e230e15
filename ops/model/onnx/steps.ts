// What an IR step reads and writes, for the compile passes.
import { assertNever } from '../../errors.ts';
import type { IrStep } from './model.ts';

/** The ids `s` reads, constants included, in operand order. */
export function stepReads(s: IrStep): string[] {
  switch (s.kind) {
    case 'conv2d': case 'gemm': return [s.x, s.w, ...(s.b ? [s.b] : [])];
    case 'binary': return [s.a, s.b];
    case 'concat': return [...s.xs];
    case 'pool2d': case 'activation': case 'softmax': case 'reshape': case 'batch-norm': return [s.x];
    default: return assertNever(s, 'step');
  }
}

/** `s` with every read of an id in `rename` replaced. */
export function renameReads(s: IrStep, rename: ReadonlyMap<string, string>): IrStep {
  const r = (id: string): string => rename.get(id) ?? id;
  switch (s.kind) {
    case 'conv2d': case 'gemm': return { ...s, x: r(s.x) };
    case 'binary': return { ...s, a: r(s.a), b: r(s.b) };
    case 'concat': return { ...s, xs: s.xs.map(r) };
    case 'pool2d': case 'activation': case 'softmax': case 'reshape': case 'batch-norm': return { ...s, x: r(s.x) };
    default: return assertNever(s, 'step');
  }
}

/** How many times each id is read by `steps`, a program output counting as one more read. */
export function readCounts(steps: readonly IrStep[], outputs: readonly string[]): Map<string, number> {
  const n = new Map<string, number>();
  const bump = (id: string) => n.set(id, (n.get(id) ?? 0) + 1);
  for (const s of steps) for (const id of stepReads(s)) bump(id);
  for (const id of outputs) bump(id);
  return n;
}
