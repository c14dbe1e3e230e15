// What loadOnnx and compileOnnx refuse, and how they say it: a PlanError or DataError naming the file, the node and the fix, never a wrong program or a protobuf stack.
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { float, int, ints, OnnxGraph } from '../../bench/lib/onnx-graph.ts';
import { DataError, PlanError } from '../../ops/errors.ts';
import { compileOnnx, loadOnnx, SUPPORTED_OPS } from '../../ops/model/onnx/index.ts';

const { onnx } = onnxProto;

/** A graph with one input x [N, 3, 4, 4] and a 3x3 conv weight 'w' [2, 3, 3, 3]. */
function base(opset = 13): OnnxGraph {
  return new OnnxGraph({ opset }).input('x', ['N', 3, 4, 4]).initializer('w', [2, 3, 3, 3], new Float32Array(54).fill(0.1));
}

function loadError(bytes: Uint8Array, file = 'bad.onnx'): Error {
  try {
    loadOnnx(bytes, file);
  } catch (e) {
    return e as Error;
  }
  throw new Error('loadOnnx accepted the model');
}

function planError(g: OnnxGraph, ...parts: (string | RegExp)[]): PlanError {
  const e = loadError(g.toBytes(), 'models/net.onnx');
  expect(e).toBeInstanceOf(PlanError);
  expect(e.message).toContain('models/net.onnx');
  for (const p of parts) expect(e.message).toMatch(p);
  return e as PlanError;
}

describe('unsupported ops and attributes', () => {
  it('an LSTM names the op, the node, the file and the supported ops', () => {
    const g = base().node('LSTM', ['x'], ['y'], {}, { name: 'encoder/lstm' }).output('y');
    const e = planError(g, "node 'encoder/lstm' (LSTM)", "op 'LSTM' is not supported");
    for (const op of ['Conv', 'BatchNormalization', 'Gemm', 'Softmax', 'MaxPool']) expect(e.message).toContain(op);
    expect(SUPPORTED_OPS).toContain('GlobalAveragePool');
  });

  it('an unnamed node is named by its index and outputs', () => {
    const g = base().node('Relu', ['x'], ['r']).node('Erf', ['r'], ['y'], {}, { name: '' }).output('y');
    planError(g, "node #1 (Erf, outputs 'y')");
  });

  it('an op of another domain is refused by name and domain', () => {
    const g = base().node('FusedConv', ['x', 'w'], ['y'], {}, { domain: 'com.microsoft' }).output('y');
    planError(g, "op 'FusedConv' of domain 'com.microsoft'");
  });

  it('Softmax over axis 0 (the batch), and over a non-last axis in opset 13', () => {
    planError(base().node('Softmax', ['x'], ['y'], { axis: int(0) }).output('y'), 'axis 0 is the batch');
    planError(base().node('Softmax', ['x'], ['y'], { axis: int(1) }).output('y'), 'not the last axis');
  });

  it('a Conv whose weight is computed by the graph', () => {
    const g = new OnnxGraph().input('x', ['N', 1, 3, 3]).node('Conv', ['x', 'x'], ['y'], {}, { name: 'c' }).output('y');
    planError(g, "node 'c' (Conv)", "weight W 'x' is computed by the graph");
  });

  it('an attribute Quiver does not read, and attribute values it does not implement', () => {
    planError(base().node('Conv', ['x', 'w'], ['y'], { pads: ints([1, 1, 1, 1]), output_padding: ints([1, 1]) }).output('y'), "attribute 'output_padding' is not supported");
    planError(base().node('Flatten', ['x'], ['f']).node('Gemm', ['f', 'w'], ['y'], { transA: int(1) }).output('y'), 'transA = 1');
    planError(base().node('MaxPool', ['x'], ['y'], { kernel_shape: ints([2, 2]), dilations: ints([2, 2]) }).output('y'), 'dilations');
    planError(base().node('AveragePool', ['x'], ['y'], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1), count_include_pad: int(1) }).output('y'), 'ceil_mode = 1 with count_include_pad = 1');
    planError(base().node('Conv', ['x', 'w'], ['y'], { auto_pad: { type: 'string', value: 'SAME' } }).output('y'), "auto_pad 'SAME'");
    planError(base().node('Conv', ['x', 'w'], ['y'], { kernel_shape: ints([5, 5]) }).output('y'), 'kernel_shape [5, 5] does not match');
    planError(base().node('Flatten', ['x'], ['f']).node('Gemm', ['f', 'w'], ['y'], { alpha: int(1) }).output('y'), "attribute 'alpha' must be a FLOAT");
  });

  it('shape changes that would move the batch axis', () => {
    const g1 = base().initializer('s', [2], [1, -1], 'int64').node('Reshape', ['x', 's'], ['y']).output('y');
    planError(g1, 'fixes the batch size to 1');
    planError(base().node('Transpose', ['x'], ['y'], { perm: ints([0, 2, 3, 1]) }).output('y'), 'moves size-1 axes');
    planError(base().node('Flatten', ['x'], ['y'], { axis: int(0) }).output('y'), 'axis 0');
    planError(base().node('Concat', ['x', 'x'], ['y'], { axis: int(0) }).output('y'), 'axis 0 is the batch');
    planError(base(11).node('Squeeze', ['x'], ['y']).output('y'), 'without axes');
  });

  it('Gather on an activation, and a shape that uses the batch size off dim 0', () => {
    const idx = (g: OnnxGraph) => g.initializer('i', [1], [0], 'int64');
    planError(idx(base()).node('Gather', ['x', 'i'], ['y'], { axis: int(1) }).output('y'), "Gather on the computed tensor 'x'");
    const g = idx(base()).node('Shape', ['x'], ['s']).node('Gather', ['s', 'i'], ['b']).initializer('m', [1], [-1], 'int64')
      .node('Concat', ['m', 'b'], ['t'], { axis: int(0) }).node('Reshape', ['x', 't'], ['y']).output('y');
    planError(g, 'uses the batch size off dim 0');
  });

  it('Dropout in training mode', () => {
    const g = base().initializer('r', [], [0.5]).rawInitializer({ name: 't', dims: [], dataType: onnx.TensorProto.DataType.BOOL, rawData: Uint8Array.of(1) })
      .node('Dropout', ['x', 'r', 't'], ['y']).output('y');
    planError(g, "training_mode 't' must be a constant false");
  });

  it('a used second output (MaxPool indices, BatchNormalization statistics, Dropout mask)', () => {
    planError(base().node('MaxPool', ['x'], ['y', 'idx'], { kernel_shape: ints([2, 2]) }).output('y').output('idx'), "output 'idx' (the argmax Indices) is used");
  });

  it('Sub and Div with a constant left side, and Sub of two computed tensors', () => {
    const g = base().initializer('one', [], [1]).node('Sub', ['one', 'x'], ['y']).output('y');
    planError(g, 'constant left operand');
    planError(base().node('Relu', ['x'], ['r']).node('Div', ['x', 'r'], ['y']).output('y'), 'Div of two computed tensors');
  });

  it('a graph input Quiver cannot feed: two inputs, a symbolic feature dim, uint8', () => {
    planError(new OnnxGraph().input('a', ['N', 2]).input('b', ['N', 2]).node('Add', ['a', 'b'], ['y']).output('y'), 'has 2 inputs');
    planError(new OnnxGraph().input('a', ['N', 'C']).node('Relu', ['a'], ['y']).output('y'), "dim 1 of graph input 'a' is symbolic ('C')");
    planError(new OnnxGraph().input('a', ['N', 2], 'uint8').node('Relu', ['a'], ['y']).output('y'), 'UINT8');
  });
});

describe('model files', () => {
  it('an opset outside 7..21, or no default-domain opset', () => {
    planError(new OnnxGraph({ opset: 6 }).input('x', ['N', 2]).node('Relu', ['x'], ['y']).output('y'), 'opset 6 of ai.onnx is not supported', '7 to 21');
    planError(new OnnxGraph({ opset: 22 }).input('x', ['N', 2]).node('Relu', ['x'], ['y']).output('y'), 'opset 22');
    const m = onnx.ModelProto.decode(new OnnxGraph().input('x', ['N', 2]).node('Relu', ['x'], ['y']).output('y').toBytes());
    m.opsetImport = [{ domain: 'com.example', version: 1 }];
    const e = loadError(onnx.ModelProto.encode(m).finish(), 'models/net.onnx');
    expect(e).toBeInstanceOf(PlanError);
    expect(e.message).toMatch(/no opset of the default domain.*'com\.example'/);
  });

  it('an IR version out of range', () => {
    planError(new OnnxGraph({ irVersion: 2 }).input('x', ['N', 2]).node('Relu', ['x'], ['y']).output('y'), 'IR version 2');
  });

  it('an initializer with external data, and one of another dtype', () => {
    const ext = base().rawInitializer({
      name: 'big', dims: [2], dataType: onnx.TensorProto.DataType.FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: 'net.onnx.data' }],
    }).node('Add', ['x', 'big'], ['y']).output('y');
    planError(ext, "initializer 'big' keeps its data in an external file ('net.onnx.data')", 'save_as_external_data=False');
    const f64 = base().rawInitializer({ name: 'd', dims: [1], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: [1] }).node('Add', ['x', 'd'], ['y']).output('y');
    planError(f64, "initializer 'd' is DOUBLE", 'float32, int64 and bool');
  });

  it('an initializer whose data does not fill its dims is a DataError', () => {
    const g = base().rawInitializer({ name: 'short', dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1, 2] }).node('Add', ['x', 'short'], ['y']).output('y');
    const e = loadError(g.toBytes(), 'models/net.onnx');
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/^models\/net\.onnx: initializer 'short' has 2 values, but its dims \[4\] hold 4/);
  });

  it('garbage, truncated and empty files are DataErrors naming the file', () => {
    const good = base().node('Conv', ['x', 'w'], ['y']).output('y').toBytes();
    const garbage = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256);
    for (const [what, bytes] of [['garbage', garbage], ['truncated', good.subarray(0, good.length - 20)], ['empty', new Uint8Array(0)], ['text', new TextEncoder().encode('{"not": "onnx"}')]] as const) {
      const e = loadError(bytes, `models/${what}.onnx`);
      expect(e, what).toBeInstanceOf(DataError);
      expect(e.message, what).toMatch(new RegExp(`^models/${what}\\.onnx: not (a readable ONNX model|an ONNX model)`));
      expect(e.message.split('\n'), what).toHaveLength(1);
    }
  });

  it('a node reading a tensor no earlier node writes', () => {
    planError(base().node('Relu', ['later'], ['y']).node('Relu', ['x'], ['later']).output('y'), "input 'later' is neither", 'topological order');
  });
});

describe('compileOnnx options', () => {
  const model = () => loadOnnx(base().node('Conv', ['x', 'w'], ['c']).node('Relu', ['c'], ['y']).output('y').toBytes(), 'models/net.onnx');
  const image = { h: 4, w: 4, c: 3, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] };

  it('an output the model does not compute', () => {
    expect(() => compileOnnx(model(), { outputs: ['logits'] })).toThrow(/'logits' is not a tensor the model computes; its outputs are 'y'/);
  });

  it('an image that does not match the input, an NHWC model, bad normalisation', () => {
    expect(() => compileOnnx(model(), { image: { ...image, h: 5 } })).toThrow(/input 'x' has shape \[N, 3, 4, 4\], but 5 x 4 images of 3 channels give \[N, 3, 5, 4\]/);
    const nhwc = loadOnnx(new OnnxGraph().input('x', ['N', 4, 4, 3]).node('Relu', ['x'], ['y']).output('y').toBytes(), 'nhwc.onnx');
    expect(() => compileOnnx(nhwc, { image })).toThrow(/looks like NHWC/);
    expect(() => compileOnnx(model(), { image: { ...image, std: [1, 0, 1] } })).toThrow(PlanError);
    expect(() => compileOnnx(model(), { image: { ...image, mean: [0] } })).toThrow(/3 entries/);
  });

});

describe('values', () => {
  it('Clip with min above max', () => {
    planError(new OnnxGraph({ opset: 10 }).input('x', ['N', 2]).node('Clip', ['x'], ['y'], { min: float(2), max: float(1) }).output('y'), 'min 2 is greater than max 1');
  });
});
