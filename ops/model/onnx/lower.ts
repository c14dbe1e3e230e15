// LowerContext: what a compile rule sees while lowering one ONNX node (its operands, constants, fresh ids) and OpRule, the shape of every rule.
import { PlanError } from '../../errors.ts';
import type { ConstTensor, FloatTensor, IntTensor, IrStep } from './model.ts';
import type { OnnxNode } from './node.ts';

/** An operand of a node: an activation (per-sample shape) or a constant (full shape). */
export type Operand =
  | { readonly kind: 'value'; readonly id: string; readonly shape: readonly number[] }
  | { readonly kind: 'const'; readonly id: string; readonly tensor: ConstTensor };

/** A compile rule: lowers the nodes of its op types into steps (or constants), inferring the per-sample shape of each output. */
export interface OpRule {
  /** ONNX op types (default domain) this rule handles. */
  readonly ops: readonly string[];
  /** MUST throw node.error(...) for any attribute or input it does not implement exactly; never lower to something that computes a different result. */
  lower(node: OnnxNode, ctx: LowerContext): void;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
export { fmt as formatShape };

export class LowerContext {
  readonly values = new Map<string, readonly number[]>();
  readonly constants = new Map<string, ConstTensor>();
  readonly steps: IrStep[] = [];
  private readonly taken: Set<string>;

  constructor(
    readonly file: string,
    readonly opset: number,
    /** Every name the graph uses (inputs, initializers, node outputs), so made-up ids never collide. */
    names: Iterable<string>,
    /** Names some node reads or the graph outputs. */
    private readonly used: ReadonlySet<string>,
  ) {
    this.taken = new Set(names);
  }

  /** Whether any node reads `name` or the graph outputs it. */
  isUsed(name: string): boolean {
    return name !== '' && this.used.has(name);
  }

  /** A new id, `base` or `base_<k>`, unused by the graph and by earlier fresh ids. */
  freshId(base: string): string {
    let id = base, k = 1;
    while (this.taken.has(id)) id = `${base}_${k++}`;
    this.taken.add(id);
    return id;
  }

  operand(node: OnnxNode, i: number): Operand {
    const id = node.inputs[i];
    if (id === undefined || id === '') throw node.error(`input ${i} is missing`);
    const c = this.constants.get(id);
    if (c) return { kind: 'const', id, tensor: c };
    const v = this.values.get(id);
    if (v) return { kind: 'value', id, shape: v };
    throw node.error(`input '${id}' is neither a graph input, an initializer nor the output of an earlier node (nodes must come in topological order)`);
  }

  /** Input i, or undefined when the node omits it (absent or ''). */
  optional(node: OnnxNode, i: number): Operand | undefined {
    return node.inputs[i] === undefined || node.inputs[i] === '' ? undefined : this.operand(node, i);
  }

  /** Input i, which MUST be an activation. */
  value(node: OnnxNode, i: number, what = `input ${i}`): { id: string; shape: readonly number[] } {
    const o = this.operand(node, i);
    if (o.kind !== 'value') throw node.error(`${what} '${o.id}' is a constant; Quiver runs this op on the model's activations only`);
    return o;
  }

  /** Input i, which MUST be a float32 constant (an initializer or a Constant node's output). */
  floatConstant(node: OnnxNode, i: number, what: string): { id: string; tensor: FloatTensor } {
    const o = this.operand(node, i);
    if (o.kind !== 'const') throw node.error(`${what} '${o.id}' is computed by the graph; Quiver needs it as a constant (an initializer)`);
    if (o.tensor.dtype !== 'float32') throw node.error(`${what} '${o.id}' is ${o.tensor.dtype}; float32 expected`);
    return { id: o.id, tensor: o.tensor };
  }

  /** Input i as fixed integers (axes): an int64 constant that does not hold the batch size. */
  intValues(node: OnnxNode, i: number, what: string): number[] {
    const t = this.intConstant(node, i, what);
    if (t.data.some((v) => v === null)) throw node.error(`${what} depends on the batch size; Quiver needs fixed values here`);
    return t.data as number[];
  }

  /** Input i, which MUST be an int64 constant (shapes, axes). */
  intConstant(node: OnnxNode, i: number, what: string): IntTensor {
    const o = this.operand(node, i);
    if (o.kind !== 'const') throw node.error(`${what} '${o.id}' is computed by the graph; Quiver needs it as a constant (an initializer or a Constant node)`);
    if (o.tensor.dtype !== 'int64') throw node.error(`${what} '${o.id}' is ${o.tensor.dtype}; int64 expected`);
    return o.tensor;
  }

  /** A float32 scalar constant input (Clip's min and max). */
  scalar(node: OnnxNode, i: number, what: string): number {
    const { id, tensor } = this.floatConstant(node, i, what);
    if (tensor.data.length !== 1) throw node.error(`${what} '${id}' has shape ${fmt(tensor.shape)}; a scalar is expected`);
    return tensor.data[0];
  }

  /** Output i of the node; only the first output exists for most ops, the others MUST be unused. */
  output(node: OnnxNode, i = 0): string {
    const y = node.outputs[i];
    if (y === undefined || y === '') throw node.error(`output ${i} is missing`);
    if (this.values.has(y) || this.constants.has(y)) throw new PlanError(`${this.file}: ${node.describe()}: output '${y}' is written twice (ONNX graphs are SSA)`);
    return y;
  }

  /** Throws when any output past the first is read by a node or is a graph output (Quiver computes only the first). */
  onlyFirstOutput(node: OnnxNode, names: string): void {
    node.outputs.slice(1).forEach((o) => {
      if (this.isUsed(o)) throw node.error(`output '${o}' (${names}) is used; Quiver computes only the first output of ${node.opType}`);
    });
  }

  /** Appends `step`, whose output gets the per-sample `shape`. */
  emit(step: IrStep, shape: readonly number[]): void {
    this.values.set(step.y, shape);
    this.taken.add(step.y);
    this.steps.push(step);
  }

  /** Defines a constant tensor (a Constant node, a folded expression, a derived weight). */
  defineConstant(id: string, t: ConstTensor): void {
    this.constants.set(id, t);
    this.taken.add(id);
  }
}
