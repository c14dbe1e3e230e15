// OnnxGraph: a small builder of ONNX models (inputs, outputs, initializers, nodes, metadata) encoded by onnx-proto, for benchmarks and tests.
//
//   const bytes = new OnnxGraph({ opset: 13 })
//     .input('x', ['N', 3, 8, 8])
//     .initializer('w', [4, 3, 3, 3], weights)
//     .node('Conv', ['x', 'w'], ['y'], { pads: ints([1, 1, 1, 1]) })
//     .node('Relu', ['y'], ['z'])
//     .output('z', ['N', 4, 8, 8])
//     .toBytes();
//
// Attributes are tagged with their ONNX type (`int(1)`, `float(1)`, ...), because a JavaScript
// number cannot say whether Gemm's alpha = 1 is an INT or a FLOAT, and ORT rejects the wrong one.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** Element types a graph input, output or initializer may have here. */
export type OnnxDtype = 'float32' | 'uint8' | 'int64' | 'float64' | 'int32';

const DTYPE: Record<OnnxDtype, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int64: onnx.TensorProto.DataType.INT64,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
};

/** A constant tensor (a Constant node's `value`, or an initializer). */
export interface TensorValue {
  readonly dims: readonly number[];
  readonly dtype?: 'float32' | 'int64';
  readonly data: Float32Array | readonly number[] | BigInt64Array;
}

/** An attribute value tagged with its ONNX type; build one with int(), ints(), float(), floats(), str(), tensor(). */
export type AttrValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: TensorValue };

export const int = (value: number): AttrValue => ({ type: 'int', value });
export const ints = (value: readonly number[]): AttrValue => ({ type: 'ints', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const floats = (value: readonly number[]): AttrValue => ({ type: 'floats', value });
export const str = (value: string): AttrValue => ({ type: 'string', value });
export const tensor = (value: TensorValue): AttrValue => ({ type: 'tensor', value });

/** A dim of a graph input or output: a number, a symbolic name ('N'), or null for "unknown". */
export type Dim = number | string | null;

export interface OnnxGraphOptions {
  /** Opset of the default domain; 13 unless given. */
  readonly opset?: number;
  /** IR version; the one that shipped with `opset` unless given. */
  readonly irVersion?: number;
  readonly name?: string;
  readonly producer?: string;
}

export interface InitializerOptions {
  /** 'raw' (raw_data, the default, as exporters write it) or 'typed' (float_data / int64_data). */
  readonly encoding?: 'raw' | 'typed';
}

export interface NodeOptions {
  /** The node's name; `<op>_<index>` unless given ('' writes no name). */
  readonly name?: string;
  /** The operator set domain; the default domain unless given. */
  readonly domain?: string;
}

/** The IR version released together with each opset (ONNX's versioning table), so ORT accepts the pair. */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function dtypeOf(name: OnnxDtype): number {
  const t = DTYPE[name];
  if (t === undefined) throw new RangeError(`OnnxGraph: unknown dtype '${name}', expected one of ${Object.keys(DTYPE).join(', ')}`);
  return t;
}

function tensorProto(name: string, t: TensorValue, encoding: 'raw' | 'typed'): TensorProto {
  const dtype = t.dtype ?? (t.data instanceof BigInt64Array ? 'int64' : 'float32');
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) throw new RangeError(`OnnxGraph: tensor '${name}' has ${t.data.length} values, but dims [${t.dims.join(', ')}] hold ${count}`);
  const out: TensorProto = { name, dims: [...t.dims], dataType: dtypeOf(dtype) };
  if (dtype === 'float32') {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
    // raw_data is little-endian, as is every platform Node runs on: the bytes go as they are.
    if (encoding === 'raw') out.rawData = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    else out.floatData = Array.from(f);
  } else {
    const i = t.data instanceof BigInt64Array ? t.data : BigInt64Array.from(t.data as ArrayLike<number>, (v) => BigInt(v));
    if (encoding === 'raw') out.rawData = new Uint8Array(i.buffer.slice(i.byteOffset, i.byteOffset + i.byteLength));
    else out.int64Data = Array.from(i, Number);
  }
  return out;
}

function attrProto(name: string, a: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto('', a.value, 'raw') };
  }
}

function valueInfo(name: string, dtype: OnnxDtype, dims: readonly Dim[] | null): ValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: dtypeOf(dtype) };
  if (dims !== null) tensorType.shape = { dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

/** Builds one ONNX model; every method but toBytes() returns the builder. */
export class OnnxGraph {
  private readonly opset: number;
  private readonly irVersion: number;
  private readonly name: string;
  private readonly producer: string;
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly nodes: NodeProto[] = [];
  private readonly meta: { key: string; value: string }[] = [];
  private readonly extraOpsets = new Map<string, number>();

  constructor(options: OnnxGraphOptions = {}) {
    this.opset = options.opset ?? 13;
    this.irVersion = options.irVersion ?? irVersionForOpset(this.opset);
    this.name = options.name ?? 'graph';
    this.producer = options.producer ?? 'quiver';
  }

  /** A graph input; `dims` may mix numbers and symbolic names (null: no shape at all). */
  input(name: string, dims: readonly Dim[] | null, dtype: OnnxDtype = 'float32'): this {
    this.inputs.push(valueInfo(name, dtype, dims));
    return this;
  }

  /** A graph output; without `dims` its shape is left for the runtime to infer. */
  output(name: string, dims: readonly Dim[] | null = null, dtype: OnnxDtype = 'float32'): this {
    this.outputs.push(valueInfo(name, dtype, dims));
    return this;
  }

  /** A float32 (Float32Array or numbers) or int64 (BigInt64Array, or numbers with dtype 'int64') initializer. */
  initializer(name: string, dims: readonly number[], data: TensorValue['data'], dtype?: 'float32' | 'int64', options: InitializerOptions = {}): this {
    this.inits.push(tensorProto(name, { dims, data, ...(dtype ? { dtype } : {}) }, options.encoding ?? 'raw'));
    return this;
  }

  /** An initializer given as a TensorProto as is (other dtypes, external data), for tests of what loaders refuse. */
  rawInitializer(t: TensorProto): this {
    this.inits.push(t);
    return this;
  }

  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, options: NodeOptions = {}): this {
    const n: NodeProto = {
      opType: op,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
    };
    const name = options.name ?? `${op.toLowerCase()}_${this.nodes.length}`;
    if (name !== '') n.name = name;
    if (options.domain !== undefined && options.domain !== '') {
      n.domain = options.domain;
      if (!this.extraOpsets.has(options.domain)) this.extraOpsets.set(options.domain, 1);
    }
    this.nodes.push(n);
    return this;
  }

  /** A metadata_props entry of the model. */
  metadata(key: string, value: string): this {
    this.meta.push({ key, value });
    return this;
  }

  /** The serialized ModelProto, ready for `InferenceSession.create(bytes)`. */
  toBytes(): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: this.irVersion,
      producerName: this.producer,
      opsetImport: [{ domain: '', version: this.opset }, ...[...this.extraOpsets].map(([domain, version]) => ({ domain, version }))],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: this.meta,
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
