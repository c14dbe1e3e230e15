// Draft: the mutable program the compile passes rewrite, between the loaded OnnxModel and the frozen TensorProgram.
import type { FloatTensor, IrStep } from '../model.ts';

export interface Draft {
  steps: IrStep[];
  readonly constants: Record<string, FloatTensor>;
  readonly values: Record<string, { readonly shape: readonly number[] }>;
  /** The tensors the program returns; passes MUST keep them computed under these ids. */
  readonly outputs: readonly string[];
  /** A new id unused by values and constants. */
  freshId(base: string): string;
}

/** A pass over a Draft, one per file, in the order compileOnnx lists them. */
export interface CompilePass {
  readonly name: string;
  run(d: Draft): void;
}
