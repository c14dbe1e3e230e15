// Shape helpers the compile rules share: axes, numpy broadcasting, and the pads of window ops (auto_pad, explicit pads).
import type { OnnxNode } from './node.ts';

export const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** An ONNX axis (negative counts from the end) over a tensor of `rank` full dims, checked. */
export function normalizeAxis(node: OnnxNode, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw node.error(`${what} ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** numpy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** A pair attribute ([h, w]) with a default, checked to hold 2 integers >= min. */
export function pairAttr(node: OnnxNode, name: string, dflt: number, min = 1): [number, number] {
  const v = node.ints(name) ?? [dflt, dflt];
  if (v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= min)) {
    throw node.error(`attribute '${name}' is [${v.join(', ')}]; Quiver runs 2-D windows and needs 2 integers >= ${min}`);
  }
  return [v[0], v[1]];
}

/**
 * The [top, left, bottom, right] pads of a 2-D window op over an input of [h, w]: explicit
 * `pads` (auto_pad NOTSET), none (VALID), or SAME_UPPER / SAME_LOWER (output = ceil(in /
 * stride), the odd cell of padding at the end or the beginning).
 */
export function windowPads(
  node: OnnxNode,
  input: readonly [number, number],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
): [number, number, number, number] {
  const autoPad = node.string('auto_pad', 'NOTSET');
  switch (autoPad) {
    case 'NOTSET': {
      const p = node.ints('pads') ?? [0, 0, 0, 0];
      if (p.length !== 4 || !p.every((x) => Number.isInteger(x) && x >= 0)) throw node.error(`attribute 'pads' is [${p.join(', ')}]; a 2-D window needs 4 integers >= 0`);
      return [p[0], p[1], p[2], p[3]];
    }
    case 'VALID':
      return [0, 0, 0, 0];
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const begin: number[] = [], end: number[] = [];
      for (let i = 0; i < 2; i++) {
        const out = Math.ceil(input[i] / strides[i]);
        const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i]);
        const small = Math.floor(total / 2);
        begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
        end.push(autoPad === 'SAME_UPPER' ? total - small : small);
      }
      return [begin[0], begin[1], end[0], end[1]];
    }
    default:
      throw node.error(`auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  }
}

/** Output size of a window along one axis (ONNX floor semantics). */
export function windowOut(inSize: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation = 1): number {
  return Math.floor((inSize + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}
