// conv2d (NCHW, groups, strides, pads, dilations, fused bias and activation) on every backend against the reference, and shape errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { conv2dContract, type Conv2dArgs } from '../../gpu-kernels/conv2d/contract.ts';
import { conv2dCpu, conv2dReference } from '../../gpu-kernels/conv2d/cpu.ts';
import type { Activation } from '../../gpu-kernels/program/contract.ts';
import { cnnBackends } from './cnn-backends.ts';

const backends = await cnnBackends();

function args(n: number, c: number, h: number, w: number, m: number, k: number, seed: number, opts: Partial<Conv2dArgs> = {}): Conv2dArgs {
  const r = rng(seed);
  const group = opts.group ?? 1, kh = opts.kh ?? k, kw = opts.kw ?? k;
  const f = (len: number) => Float32Array.from({ length: len }, () => r() * 2 - 1);
  return { x: f(n * c * h * w), n, c, h, w, weight: f(m * (c / group) * kh * kw), m, kh, kw, bias: f(m), strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group, act: { op: 'none' }, ...opts };
}

const relu: Activation = { op: 'relu' }, relu6: Activation = { op: 'clip', min: 0, max: 6 };

describe('conv2d shapes', () => {
  it.each<[string, Partial<Conv2dArgs>, RegExp]>([
    ['x', { x: new Float32Array(5) }, /^conv2d: x has 5 elements/],
    ['weight', { weight: new Float32Array(5) }, /^conv2d: weight has 5 elements/],
    ['bias', { bias: new Float32Array(5) }, /^conv2d: bias has 5 elements/],
    ['group', { group: 3 }, /^conv2d: group 3 must divide c = 2 and m = 4/],
    ['kernel larger than the input', { kh: 9, kw: 9 }, /^conv2d: the output would be/],
  ])('a wrong %s throws a RangeError naming it', (_, bad, msg) => {
    for (const f of [conv2dReference, conv2dCpu]) expect(() => f({ ...args(1, 2, 5, 5, 4, 3, 1), ...bad })).toThrow(msg);
  });
});

describe('conv2d contract', () => {
  it('rejects an output off by more than the tolerance, and a NaN where a number is expected', () => {
    const a = args(1, 2, 4, 4, 3, 3, 14);
    const want = conv2dReference(a);
    const off = want.slice();
    off[3] += 1e-3;
    expect(conv2dContract.check(a, off, want)).toMatch(/^y\[0,0,1,1\] = /);
    off[3] = NaN;
    expect(conv2dContract.check(a, off, want)).toMatch(/NaN/);
    expect(conv2dContract.check(a, want, want)).toBeNull();
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('conv2d on %s', (_, backend) => {
  const cases: [string, Conv2dArgs][] = [
    ['empty batch (n = 0)', args(0, 3, 5, 5, 4, 3, 1)],
    ['1x1 conv, 1 channel', args(1, 1, 1, 1, 1, 1, 2)],
    ['3x3, odd sizes, relu', args(2, 3, 7, 5, 5, 3, 3, { act: relu })],
    ['3x3 pad 1 stride 2, relu6, m not a multiple of the tile', args(2, 4, 9, 8, 7, 3, 4, { pads: [1, 1, 1, 1], strides: [2, 2], act: relu6 })],
    ['asymmetric pads and strides, no bias', args(1, 2, 6, 7, 3, 3, 5, { pads: [0, 2, 1, 0], strides: [1, 2], bias: null })],
    ['dilation 2, sigmoid', args(1, 3, 9, 9, 4, 3, 6, { dilations: [2, 2], pads: [2, 2, 2, 2], act: { op: 'sigmoid' } })],
    ['grouped (2 groups), hardswish', args(2, 4, 5, 5, 6, 3, 7, { group: 2, pads: [1, 1, 1, 1], act: { op: 'hardswish' } })],
    ['depthwise 3x3 stride 2 pad 1, relu6', args(2, 6, 9, 9, 6, 3, 8, { group: 6, pads: [1, 1, 1, 1], strides: [2, 2], act: relu6 })],
    ['depthwise 5x5 no bias', args(1, 3, 6, 6, 3, 5, 9, { group: 3, pads: [2, 2, 2, 2], bias: null })],
    ['pointwise 1x1, 33 pixels x 17 channels (not multiples of 4 or 8)', args(1, 16, 3, 11, 17, 1, 10, { act: relu })],
    ['more pixels than one CPU block (130)', args(1, 3, 10, 13, 9, 3, 11, { pads: [1, 1, 1, 1] })],
    ['7x1 kernel', args(1, 2, 8, 4, 3, 1, 12, { kh: 7, kw: 1, pads: [3, 0, 3, 0] })],
    // Rows of 8 pixels or more take the CPU's direct kernels: padding, column phases for strides, row tails, partial channel blocks.
    ['1 channel 3x3 pad 1 over 28x28, relu (rows of 28: a tail block)', args(3, 1, 28, 28, 16, 3, 20, { pads: [1, 1, 1, 1], act: relu })],
    ['3x3 stride 2 pad 1 over 3 x 19 x 21, relu6, 5 channels', args(2, 3, 19, 21, 5, 3, 21, { pads: [1, 1, 1, 1], strides: [2, 2], act: relu6 })],
    ['3x3 stride 3 x 2, dilation 2, asymmetric pads, sigmoid', args(1, 2, 20, 26, 6, 3, 22, { pads: [2, 1, 0, 3], strides: [3, 2], dilations: [2, 2], act: { op: 'sigmoid' } })],
    ['1x1 over 16 x 14 x 14 to 32, relu (one 196-pixel run)', args(2, 16, 14, 14, 32, 1, 23, { act: relu })],
    ['1x1 stride 2 (rows, not one run), no bias', args(1, 4, 18, 17, 6, 1, 24, { strides: [2, 2], bias: null })],
    ['1x1 wider than a row, padded', args(1, 3, 9, 9, 7, 1, 25, { pads: [1, 1, 1, 1], act: { op: 'hardswish' } })],
    ['depthwise 3x3 stride 1 pad 1 over 14x14, relu', args(2, 16, 14, 14, 16, 3, 26, { group: 16, pads: [1, 1, 1, 1], act: relu })],
    ['depthwise 3x3 stride 2 pad 1 over 33x31, relu6, no bias', args(1, 5, 33, 31, 5, 3, 27, { group: 5, pads: [1, 1, 1, 1], strides: [2, 2], act: relu6, bias: null })],
    ['depthwise 5x5 pad 2 with floor (odd size, stride 2)', args(1, 3, 20, 20, 3, 5, 28, { group: 3, pads: [2, 2, 1, 1], strides: [2, 2] })],
    ['grouped 3x3 (3 groups of 2 in, 3 out) over 10x12', args(2, 6, 10, 12, 9, 3, 29, { group: 3, pads: [1, 1, 1, 1], act: relu })],
    ['depth multiplier 2 (group = c, m = 2c) over 9x16', args(1, 4, 9, 16, 8, 3, 30, { group: 4, pads: [0, 1, 0, 1] })],
    ['exactly 8 wide, valid 3x3', args(1, 2, 10, 10, 4, 3, 31)],
    // WebGPU's depthwise kernel computes 4 pixels of a plane per invocation, its GEMM walks taps outside channels: blocks across row ends and plane tails, pixel counts below 4.
    ['depthwise 3x3 pad 1 over 7x5 (35-pixel planes: blocks across rows, a 3-pixel tail), 2 images', args(2, 3, 7, 5, 3, 3, 34, { group: 3, pads: [1, 1, 1, 1], act: relu })],
    ['depthwise 3x3 stride 2 over 13x11 (7x6 out, partial last block), relu6', args(2, 4, 13, 11, 4, 3, 35, { group: 4, pads: [1, 1, 1, 1], strides: [2, 2], act: relu6 })],
    ['depthwise 3x3 valid over 3x3 (one output pixel per plane)', args(3, 5, 3, 3, 5, 3, 36, { group: 5 })],
    ['depthwise 3x2 kernel, dilation 2 x 1, asymmetric pads, stride 1 x 2, hardswish', args(1, 3, 9, 11, 3, 3, 37, { group: 3, kh: 3, kw: 2, dilations: [2, 1], pads: [2, 0, 1, 1], strides: [1, 2], act: { op: 'hardswish' } })],
    ['grouped (2 groups of 3 in, 2 out) 2x3 kernel, dilation 2 x 1, asymmetric pads, stride 2 x 1, sigmoid', args(2, 6, 9, 7, 4, 3, 38, { group: 2, kh: 2, kw: 3, dilations: [2, 1], pads: [1, 0, 0, 2], strides: [2, 1], act: { op: 'sigmoid' } })],
    ['5x5 pad 2 over 5 channels, 3 x 3 output pixels (one partial block), 6 out', args(1, 5, 3, 3, 6, 5, 39, { pads: [2, 2, 2, 2], act: relu })],
  ];
  const special = args(1, 2, 5, 5, 3, 3, 13, { act: relu });
  special.x[6] = NaN; // every output whose window covers (0, 1, 1) is NaN, through ReLU too
  special.x[25 + 24] = Infinity;
  cases.push(['NaN and inf inputs', special]);
  const wide = args(1, 2, 10, 12, 5, 3, 32, { pads: [1, 1, 1, 1], act: relu });
  wide.x[13] = NaN;
  wide.x[120 + 50] = -Infinity;
  cases.push(['NaN and inf inputs, rows of 12 (direct kernel)', wide]);
  const dwNan = args(1, 3, 9, 10, 3, 3, 33, { group: 3, pads: [1, 1, 1, 1], strides: [2, 1], act: relu6 });
  dwNan.x[95] = NaN;
  cases.push(['NaN through a depthwise direct kernel and relu6', dwNan]);
  it.each(cases)('%s', async (_, a) => {
    const got = await backend.conv2d(a);
    expect(conv2dContract.check(a, got, conv2dReference(a), backend.precision)).toBeNull();
  });
});
