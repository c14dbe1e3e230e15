// loadOnnx: ONNX model bytes -> OnnxModel (decoded with onnx-proto, versions and domains checked, every node lowered by its compile rule with per-sample shapes).
import onnxProto from 'onnx-proto';
import { DataError, InternalError, PlanError, QuiverError } from '../../errors.ts';
import { LowerContext } from './lower.ts';
import type { FloatTensor, OnnxModel, OnnxTensorInfo } from './model.ts';
import { OnnxNode } from './node.ts';
import { RULES_BY_OP, SUPPORTED_OPS } from './ops/index.ts';
import { tensorFromProto, toInt } from './tensor.ts';
import { stepReads } from './steps.ts';

const { onnx } = onnxProto;

/** Opsets of the default domain Quiver reads: 7 (numpy broadcasting) to 21. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;
/** IR versions Quiver reads: 3 (ONNX 1.0 with opset imports) to 11. */
const MIN_IR = 3;
const MAX_IR = 11;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

function decode(bytes: Uint8Array, file: string): onnxProto.onnx.ModelProto {
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DataError(`not a readable ONNX model (${(e as Error).message}); the file may be truncated or not ONNX`, { file }, { cause: e });
  }
  if (!m.graph || toInt(m.irVersion ?? 0) === 0) throw new DataError('not an ONNX model: it has no ir_version or no graph', { file });
  return m;
}

function defaultOpset(m: onnxProto.onnx.ModelProto, file: string): number {
  const imports = m.opsetImport ?? [];
  const d = imports.find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  if (!d) throw new PlanError(`${file}: the model imports no opset of the default domain (ai.onnx); it imports ${imports.map((o) => `'${o.domain}'`).join(', ') || 'nothing'}`);
  const v = toInt(d.version ?? 0);
  if (v < MIN_OPSET || v > MAX_OPSET) throw new PlanError(`${file}: opset ${v} of ai.onnx is not supported; Quiver reads opsets ${MIN_OPSET} to ${MAX_OPSET} (convert the model with onnx.version_converter)`);
  return v;
}

/** The graph input's per-sample shape: dim 0 is the batch (symbolic, -1, 0 or a number, all read as "any"), the others fixed. */
function inputInfo(v: onnxProto.onnx.IValueInfoProto, file: string): OnnxTensorInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!tt) throw new PlanError(`${file}: graph input '${name}' is not a tensor`);
  if (tt.elemType !== onnx.TensorProto.DataType.FLOAT) throw new PlanError(`${file}: graph input '${name}' is ${onnx.TensorProto.DataType[tt.elemType ?? 0] ?? tt.elemType}; Quiver feeds float32 inputs only`);
  const dims = tt.shape?.dim;
  if (!dims) throw new PlanError(`${file}: graph input '${name}' has no shape; Quiver needs [batch, ...fixed dims]`);
  if (dims.length < 2) throw new PlanError(`${file}: graph input '${name}' has rank ${dims.length}; Quiver needs a batch dim and at least one more`);
  const shape = dims.slice(1).map((d, i) => {
    const n = d.dimValue !== undefined && d.dimValue !== null ? toInt(d.dimValue) : NaN;
    if (!(n >= 1)) throw new PlanError(`${file}: dim ${i + 1} of graph input '${name}' is ${d.dimParam ? `symbolic ('${d.dimParam}')` : 'unknown'}; Quiver needs every dim but the batch (dim 0) fixed`);
    return n;
  });
  return { name, dtype: 'float32', shape };
}

/** Decodes and checks an ONNX model and lowers its graph; every unsupported op or attribute is a PlanError here, never a wrong result later. */
export function loadOnnx(bytes: Uint8Array, file: string): OnnxModel {
  const m = decode(bytes, file);
  const irVersion = toInt(m.irVersion ?? 0);
  if (irVersion < MIN_IR || irVersion > MAX_IR) throw new PlanError(`${file}: ONNX IR version ${irVersion} is not supported; Quiver reads IR versions ${MIN_IR} to ${MAX_IR}`);
  const opset = defaultOpset(m, file);
  const g = m.graph!;
  if ((g.sparseInitializer?.length ?? 0) > 0) throw new PlanError(`${file}: sparse initializers are not supported`);

  const inits = new Map((g.initializer ?? []).map((t, i) => [t.name || `#${i}`, t] as const));
  const inputs = (g.input ?? []).filter((v) => !inits.has(v.name ?? ''));
  if (inputs.length !== 1) throw new PlanError(`${file}: the model has ${inputs.length} inputs (${inputs.map((v) => `'${v.name}'`).join(', ') || 'none'}); Quiver runs models with exactly one`);
  const input = inputInfo(inputs[0], file);

  const nodes = (g.node ?? []).map((n, i) => new OnnxNode(n, i, file));
  const outputNames = (g.output ?? []).map((o) => o.name ?? '');
  const used = new Set<string>([...nodes.flatMap((n) => n.inputs), ...outputNames]);
  const names = [input.name, ...inits.keys(), ...nodes.flatMap((n) => n.outputs)];
  const ctx = new LowerContext(file, opset, names, used);
  ctx.values.set(input.name, input.shape);
  for (const [name, t] of inits) ctx.defineConstant(name, tensorFromProto(t, `initializer '${name}'`, file));

  for (const node of nodes) {
    if (!DEFAULT_DOMAINS.has(node.domain)) throw node.error(`op '${node.opType}' of domain '${node.domain}' is not supported; Quiver compiles ai.onnx ops only: ${SUPPORTED_OPS.join(', ')}`);
    const rule = RULES_BY_OP.get(node.opType);
    if (!rule) throw node.error(`op '${node.opType}' is not supported; Quiver compiles ${SUPPORTED_OPS.join(', ')}`);
    try {
      rule.lower(node, ctx);
    } catch (e) {
      if (e instanceof QuiverError) throw e;
      // toInt's RangeError: an int64 past 2^53 in the model; anything else is a bug here.
      if (e instanceof RangeError) throw node.error(e.message);
      throw new InternalError(`${file}: lowering ${node.describe()} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  const outputs = outputNames.map((name): OnnxTensorInfo => {
    if (ctx.constants.has(name)) throw new PlanError(`${file}: graph output '${name}' is a constant; Quiver computes outputs from the input only`);
    const shape = ctx.values.get(name);
    if (!shape) throw new PlanError(`${file}: graph output '${name}' is written by no node`);
    if (name === input.name) throw new PlanError(`${file}: graph output '${name}' is the input itself`);
    return { name, dtype: 'float32', shape };
  });
  if (outputs.length === 0) throw new PlanError(`${file}: the graph has no outputs`);

  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';

  const constants: Record<string, FloatTensor> = {};
  for (const s of ctx.steps) {
    for (const id of stepReads(s)) {
      const c = ctx.constants.get(id);
      if (c && c.dtype === 'float32') constants[id] = c;
    }
  }
  return {
    file,
    irVersion,
    opset,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
    inputs: [input],
    outputs,
    metadata,
    values: Object.fromEntries([...ctx.values].map(([id, shape]) => [id, { shape }])),
    constants,
    steps: ctx.steps,
  };
}
