// checkProgram: a TensorProgram's ids, shapes and constants validated once, with what every runner needs (per-step shapes, last readers).
import { sampleSize, windowOut, type ProgramStep, type TensorProgram } from './contract.ts';
import { broadcastShape } from '../eltwise/contract.ts';
import { checkActivation } from '../eltwise/cpu.ts';

/** What checkProgram learned: shapes by id and, for each value, the index of the last step that reads it. */
export interface CheckedProgram {
  readonly program: TensorProgram;
  /** Per-sample shape of a value, full shape of a constant. */
  shape(id: string): readonly number[];
  isConstant(id: string): boolean;
  /** Index of the last step reading each value; outputs and the input read by no step are absent (kept to the end). */
  readonly lastRead: ReadonlyMap<string, number>;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
const isInt = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;

/** The ids a step reads (constants included). */
export function stepInputs(s: ProgramStep): string[] {
  switch (s.kind) {
    case 'conv2d': case 'gemm': return [s.x, s.w, ...(s.b ? [s.b] : [])];
    case 'binary': return [s.a, s.b];
    case 'concat': return [...s.xs];
    default: return [s.x];
  }
}

/**
 * Validates `p`: ids unique across values and constants, every constant sized as its shape,
 * every step reading tensors defined before it and writing one new value whose declared shape
 * matches what the step computes. Throws a RangeError naming the step (index, kind, output id).
 */
export function checkProgram(p: TensorProgram): CheckedProgram {
  const values = p.values, constants = p.constants;
  for (const id of Object.keys(constants)) {
    if (Object.hasOwn(values, id)) throw new RangeError(`program: id '${id}' is both a value and a constant; ids must be unique`);
    const c = constants[id];
    if (!c.shape.every((d) => isInt(d, 0))) throw new RangeError(`program: constant '${id}' has shape ${fmt(c.shape)}; dims must be integers >= 0`);
    if (!(c.data instanceof Float32Array) || c.data.length !== sampleSize(c.shape)) throw new RangeError(`program: constant '${id}' has ${c.data?.length} elements, expected ${sampleSize(c.shape)} (shape ${fmt(c.shape)})`);
  }
  for (const [id, v] of Object.entries(values)) if (!v.shape.every((d) => isInt(d, 0))) throw new RangeError(`program: value '${id}' has shape ${fmt(v.shape)}; dims must be integers >= 0`);
  const inp = p.input;
  if (!Object.hasOwn(values, inp.id)) throw new RangeError(`program: the input '${inp.id}' is not in values`);
  if (!same(values[inp.id].shape, inp.shape)) throw new RangeError(`program: the input '${inp.id}' has shape ${fmt(inp.shape)} but values says ${fmt(values[inp.id].shape)}`);
  if (inp.dtype !== 'uint8' && inp.dtype !== 'float32') throw new RangeError(`program: input dtype must be 'uint8' or 'float32', got ${String(inp.dtype)}`);

  const defined = new Set([inp.id]);
  const lastRead = new Map<string, number>();
  const shape = (id: string): readonly number[] => (Object.hasOwn(constants, id) ? constants[id].shape : values[id].shape);

  p.steps.forEach((s, i) => {
    const where = `program: step ${i} (${s?.kind} -> '${(s as { y?: string })?.y}')`;
    const fail = (msg: string): never => { throw new RangeError(`${where}: ${msg}`); };
    const value = (id: string, what: string): readonly number[] => {
      if (Object.hasOwn(constants, id)) fail(`${what} '${id}' is a constant; a value is expected`);
      if (!Object.hasOwn(values, id)) fail(`${what} '${id}' is not in values`);
      if (!defined.has(id)) fail(`${what} '${id}' is read before any step writes it`);
      if (id === inp.id && inp.dtype === 'uint8' && s.kind !== 'image-to-tensor') fail(`${what} '${id}' is the uint8 input; only image-to-tensor reads it`);
      lastRead.set(id, i);
      return values[id].shape;
    };
    const constant = (id: string, what: string, want?: readonly number[]): readonly number[] => {
      if (!Object.hasOwn(constants, id)) fail(`${what} '${id}' is not a constant`);
      const sh = constants[id].shape;
      if (want && !same(sh, want)) fail(`${what} '${id}' has shape ${fmt(sh)}, expected ${fmt(want)}`);
      return sh;
    };
    if (!s || typeof s !== 'object' || typeof s.y !== 'string') fail('a step needs a kind and an output y');
    if (!Object.hasOwn(values, s.y)) fail(`output '${s.y}' is not in values (${Object.hasOwn(constants, s.y) ? 'it is a constant' : 'declare its per-sample shape'})`);
    if (defined.has(s.y)) fail(`output '${s.y}' is already written (steps are SSA: one writer per tensor)`);
    const ys = values[s.y].shape;
    const expectY = (want: readonly number[]): void => { if (!same(ys, want)) fail(`output '${s.y}' is declared ${fmt(ys)} but the step makes ${fmt(want)}`); };
    switch (s.kind) {
      case 'image-to-tensor': {
        if (s.x !== inp.id || inp.dtype !== 'uint8') fail(`x '${s.x}' must be the program's uint8 input`);
        const xs = value(s.x, 'x');
        if (![s.h, s.w, s.c].every((d) => isInt(d, 1))) fail('h, w and c must be integers >= 1');
        if (!same(xs, [s.h, s.w, s.c])) fail(`x has shape ${fmt(xs)}, expected [h, w, c] = ${fmt([s.h, s.w, s.c])}`);
        if (s.mean.length !== s.c || s.std.length !== s.c) fail(`mean and std need c = ${s.c} entries, got ${s.mean.length} and ${s.std.length}`);
        if (!s.std.every((v) => v !== 0 && Number.isFinite(v))) fail(`std ${fmt(s.std)} must be finite and non-zero`);
        if (!Number.isFinite(s.scale) || !s.mean.every(Number.isFinite)) fail('scale and mean must be finite');
        expectY([s.c, s.h, s.w]);
        break;
      }
      case 'conv2d': {
        const xs = value(s.x, 'x');
        if (xs.length !== 3) fail(`x '${s.x}' has shape ${fmt(xs)}; conv2d needs [C, H, W]`);
        const ws = constant(s.w, 'w');
        if (ws.length !== 4) fail(`w '${s.w}' has shape ${fmt(ws)}; expected [M, C/group, kH, kW]`);
        const [C, H, W] = xs, [M, Cg, kh, kw] = ws;
        if (!isInt(s.group, 1) || C % s.group !== 0 || M % s.group !== 0) fail(`group ${s.group} must divide C = ${C} and M = ${M}`);
        if (Cg * s.group !== C) fail(`w '${s.w}' has ${Cg} input channels per group, expected C / group = ${C / s.group}`);
        if (s.b !== null) constant(s.b, 'b', [M]);
        if (!s.strides.every((v) => isInt(v, 1)) || !s.dilations.every((v) => isInt(v, 1))) fail('strides and dilations must be integers >= 1');
        if (s.pads.length !== 4 || !s.pads.every((v) => isInt(v, 0))) fail('pads must be 4 integers >= 0');
        checkActivation(where, s.act);
        const oh = windowOut(H, kh, s.strides[0], s.pads[0], s.pads[2], s.dilations[0]), ow = windowOut(W, kw, s.strides[1], s.pads[1], s.pads[3], s.dilations[1]);
        if (oh < 1 || ow < 1) fail(`the ${kh} x ${kw} kernel does not fit the padded ${H} x ${W} input`);
        expectY([M, oh, ow]);
        break;
      }
      case 'pool2d': {
        const xs = value(s.x, 'x');
        if (xs.length !== 3) fail(`x '${s.x}' has shape ${fmt(xs)}; pool2d needs [C, H, W]`);
        if (s.mode !== 'max' && s.mode !== 'avg') fail(`mode must be 'max' or 'avg', got ${String(s.mode)}`);
        if (!s.kernel.every((v) => isInt(v, 1)) || !s.strides.every((v) => isInt(v, 1))) fail('kernel and strides must be integers >= 1');
        if (s.pads.length !== 4 || !s.pads.every((v, j) => isInt(v, 0) && v < s.kernel[j % 2])) fail(`pads ${fmt(s.pads)} must be integers >= 0 smaller than the kernel`);
        const [C, H, W] = xs;
        const oh = windowOut(H, s.kernel[0], s.strides[0], s.pads[0], s.pads[2]), ow = windowOut(W, s.kernel[1], s.strides[1], s.pads[1], s.pads[3]);
        if (oh < 1 || ow < 1) fail(`the ${s.kernel.join(' x ')} window does not fit the padded ${H} x ${W} input`);
        expectY([C, oh, ow]);
        break;
      }
      case 'gemm': {
        const k = sampleSize(value(s.x, 'x'));
        const ws = constant(s.w, 'w');
        if (ws.length !== 2 || ws[1] !== k) fail(`w '${s.w}' has shape ${fmt(ws)}, expected [n, ${k}] (x flattened has ${k} elements)`);
        if (s.b !== null) constant(s.b, 'b', [ws[0]]);
        checkActivation(where, s.act);
        expectY([ws[0]]);
        break;
      }
      case 'binary': {
        if (s.op !== 'add' && s.op !== 'mul') fail(`op must be 'add' or 'mul', got ${String(s.op)}`);
        const isC = (id: string) => Object.hasOwn(constants, id);
        if (isC(s.a) && isC(s.b)) fail('both operands are constants; at least one must be a value');
        const sa = isC(s.a) ? constants[s.a].shape : value(s.a, 'a'), sb = isC(s.b) ? constants[s.b].shape : value(s.b, 'b');
        if (!isC(s.a) && !isC(s.b) && sa.length !== sb.length) fail(`values '${s.a}' ${fmt(sa)} and '${s.b}' ${fmt(sb)} have different ranks (their batch axes would not line up)`);
        const vr = isC(s.a) ? sb.length : sa.length;
        for (const [id, sh] of [[s.a, sa], [s.b, sb]] as const) {
          if (isC(id) && (sh.length > vr + 1 || (sh.length === vr + 1 && sh[0] !== 1))) fail(`constant '${id}' ${fmt(sh)} would broadcast over the batch axis; its rank must be <= ${vr}, or ${vr + 1} with a leading 1`);
        }
        checkActivation(where, s.act);
        let out: number[] = [];
        try { out = broadcastShape(operandOf(sa, vr), operandOf(sb, vr)); } catch (e) { fail((e as Error).message); }
        expectY(out);
        break;
      }
      case 'activation': {
        checkActivation(where, s.act);
        expectY(value(s.x, 'x'));
        break;
      }
      case 'concat': {
        if (!Array.isArray(s.xs) || s.xs.length === 0) fail('xs needs at least one input');
        const shapes = s.xs.map((id, j) => value(id, `xs[${j}]`));
        const r = shapes[0].length;
        if (!isInt(s.axis, 1) || s.axis > r) fail(`axis ${s.axis} must be in 1..${r} (0 is the batch)`);
        const out = [...shapes[0]];
        out[s.axis - 1] = 0;
        shapes.forEach((sh, j) => {
          if (sh.length !== r || sh.some((d, q) => q !== s.axis - 1 && d !== shapes[0][q])) fail(`xs[${j}] '${s.xs[j]}' has shape ${fmt(sh)}, which differs from ${fmt(shapes[0])} off axis ${s.axis}`);
          out[s.axis - 1] += sh[s.axis - 1];
        });
        expectY(out);
        break;
      }
      case 'softmax': {
        const xs = value(s.x, 'x');
        if (xs.length < 1 || xs[xs.length - 1] < 1) fail(`x '${s.x}' has shape ${fmt(xs)}; softmax needs a last axis >= 1`);
        expectY(xs);
        break;
      }
      case 'reshape': {
        const xs = value(s.x, 'x');
        if (sampleSize(xs) !== sampleSize(ys)) fail(`x '${s.x}' ${fmt(xs)} has ${sampleSize(xs)} elements per sample, y ${fmt(ys)} has ${sampleSize(ys)}`);
        break;
      }
      default:
        fail(`unknown step kind '${(s as { kind: string }).kind}'`);
    }
    defined.add(s.y);
  });
  if (!Array.isArray(p.outputs) || p.outputs.length === 0) throw new RangeError('program: outputs must name at least one tensor');
  for (const id of p.outputs) {
    if (!defined.has(id)) throw new RangeError(`program: output '${id}' is ${Object.hasOwn(values, id) ? 'written by no step' : 'not in values'}`);
    if (id === inp.id && inp.dtype === 'uint8') throw new RangeError(`program: output '${id}' is the uint8 input; outputs are float32`);
    lastRead.delete(id);
  }
  return {
    program: p,
    shape,
    isConstant: (id) => Object.hasOwn(constants, id),
    lastRead,
  };
}

/** A constant operand's shape with a leading 1 over the batch axis dropped (rank vr + 1 -> vr). */
function operandOf(sh: readonly number[], vr: number): readonly number[] {
  return sh.length === vr + 1 ? sh.slice(1) : sh;
}
