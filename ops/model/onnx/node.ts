// OnnxNode: one decoded NodeProto with typed attribute access, and the PlanError that names the node and the file.
import onnxProto from 'onnx-proto';
import { PlanError } from '../../errors.ts';
import { toInt, tensorFromProto } from './tensor.ts';
import type { ConstTensor } from './model.ts';

const { onnx } = onnxProto;
const AttrType = onnx.AttributeProto.AttributeType;
type AttributeProto = onnxProto.onnx.IAttributeProto;

export class OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly domain: string;
  /** Input names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  private readonly attrs = new Map<string, AttributeProto>();

  constructor(
    proto: onnxProto.onnx.INodeProto,
    /** Position in the graph, for messages about unnamed nodes. */
    readonly index: number,
    readonly file: string,
  ) {
    this.opType = proto.opType ?? '';
    this.name = proto.name ?? '';
    this.domain = proto.domain ?? '';
    this.inputs = proto.input ?? [];
    this.outputs = proto.output ?? [];
    for (const a of proto.attribute ?? []) this.attrs.set(a.name ?? '', a);
  }

  /** "node 'conv1' (Conv)" or "node #3 (Conv, outputs 'y')". */
  describe(): string {
    if (this.name) return `node '${this.name}' (${this.opType})`;
    return `node #${this.index} (${this.opType}, outputs ${this.outputs.map((o) => `'${o}'`).join(', ')})`;
  }

  /** A PlanError "<file>: <node>: <message>". */
  error(message: string): PlanError {
    return new PlanError(`${this.file}: ${this.describe()}: ${message}`);
  }

  /** Throws unless every attribute the node carries is in `known` (an attribute Quiver would ignore could change the result). */
  checkAttributes(known: readonly string[]): void {
    for (const name of this.attrs.keys()) {
      if (!known.includes(name)) {
        throw this.error(`attribute '${name}' is not supported (Quiver reads ${known.length ? known.map((k) => `'${k}'`).join(', ') : 'no attributes'} on ${this.opType})`);
      }
    }
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.attrs.get(name);
    if (a === undefined) return undefined;
    // Old exporters leave `type` unset; then the field that is present decides.
    if (a.type !== undefined && a.type !== null && a.type !== AttrType.UNDEFINED && a.type !== type) {
      throw this.error(`attribute '${name}' must be ${typeName}, got ${AttrType[a.type] ?? a.type}`);
    }
    return a;
  }

  int(name: string, dflt: number): number {
    const a = this.get(name, AttrType.INT, 'an INT');
    return a === undefined ? dflt : toInt(a.i ?? 0);
  }

  float(name: string, dflt: number): number {
    const a = this.get(name, AttrType.FLOAT, 'a FLOAT');
    return a === undefined ? dflt : (a.f ?? 0);
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttrType.INTS, 'INTS');
    return a === undefined ? undefined : (a.ints ?? []).map(toInt);
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, AttrType.FLOATS, 'FLOATS');
    return a === undefined ? undefined : [...(a.floats ?? [])];
  }

  string(name: string, dflt: string): string {
    const a = this.get(name, AttrType.STRING, 'a STRING');
    return a === undefined ? dflt : new TextDecoder().decode(a.s ?? new Uint8Array(0));
  }

  tensor(name: string): ConstTensor | undefined {
    const a = this.get(name, AttrType.TENSOR, 'a TENSOR');
    if (a === undefined) return undefined;
    if (!a.t) throw this.error(`attribute '${name}' holds no tensor`);
    return tensorFromProto(a.t, `${this.describe()} attribute '${name}'`, this.file);
  }
}
