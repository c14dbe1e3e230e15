// The bench's NHWC WGSL conv (GEMM and depthwise; vec4 and all-scalar variants) against the NCHW CPU reference, its inputs and outputs transposed.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { conv2dContract, convOutShape, type Conv2dArgs } from '../../gpu-kernels/conv2d/contract.ts';
import { conv2dReference } from '../../gpu-kernels/conv2d/cpu.ts';
import { getGpuDevice } from '../../gpu-kernels/device/index.ts';
import type { Activation } from '../../gpu-kernels/program/contract.ts';
import { conv2dNhwcWebgpu, nchwToNhwc, nhwcToNchw, nhwcVariant } from '../../bench/lib/conv-nhwc-wgsl.ts';

// 'require': no Vulkan adapter fails here (setup.sh installs lavapipe) instead of skipping.
const gd = (await getGpuDevice({ gpu: 'require' }))!;

function args(n: number, c: number, h: number, w: number, m: number, k: number, seed: number, opts: Partial<Conv2dArgs> = {}): Conv2dArgs {
  const r = rng(seed);
  const group = opts.group ?? 1, kh = opts.kh ?? k, kw = opts.kw ?? k;
  const f = (len: number) => Float32Array.from({ length: len }, () => r() * 2 - 1);
  return { x: f(n * c * h * w), n, c, h, w, weight: f(m * (c / group) * kh * kw), m, kh, kw, bias: f(m), strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group, act: { op: 'none' }, ...opts };
}

/** The NHWC kernel's output for NCHW args, transposed back to NCHW. */
async function viaNhwc(a: Conv2dArgs, vec4: boolean): Promise<Float32Array> {
  const y = await conv2dNhwcWebgpu(gd, { ...a, x: nchwToNhwc(a.x, a.n, a.c, a.h, a.w) }, vec4);
  const [oh, ow] = convOutShape(a);
  return nhwcToNchw(y, a.n, a.m, oh, ow);
}

const relu: Activation = { op: 'relu' };

describe('layout transposes', () => {
  it('move the channel axis and back', () => {
    // n = 1, c = 2, h = 1, w = 3: [[0, 1, 2], [3, 4, 5]] -> pixels (0, 3), (1, 4), (2, 5).
    const nchw = Float32Array.from([0, 1, 2, 3, 4, 5]);
    expect([...nchwToNhwc(nchw, 1, 2, 1, 3)]).toEqual([0, 3, 1, 4, 2, 5]);
    const x = args(2, 3, 4, 5, 1, 1, 1).x;
    expect(nhwcToNchw(nchwToNhwc(x, 2, 3, 4, 5), 2, 3, 4, 5)).toEqual(x);
  });
});

describe('NHWC conv2d on WebGPU against the reference', () => {
  const cases: [string, Conv2dArgs, string][] = [
    ['stem-like 3x3 stride 2 pad 1, 3 channels in, relu', args(2, 3, 11, 9, 8, 3, 2, { strides: [2, 2], pads: [1, 1, 1, 1], act: relu }), 'gemm xv0 yv1'],
    ['1 channel in, 3x3 pad 1, 7 out (a partial channel block), odd pixel count', args(3, 1, 7, 5, 7, 3, 3, { pads: [1, 1, 1, 1], act: relu }), 'gemm xv0 yv0'],
    ['pointwise 1x1, 16 -> 12, 33 pixels', args(1, 16, 3, 11, 12, 1, 4, { act: relu }), 'gemm xv1 yv1'],
    ['pointwise 1x1, 8 -> 6, no bias', args(2, 8, 5, 5, 6, 1, 5, { bias: null }), 'gemm xv1 yv0'],
    ['3x3 asymmetric pads, strides 1 x 2, dilation 2, 8 -> 8', args(1, 8, 9, 12, 8, 3, 6, { pads: [2, 1, 0, 3], strides: [1, 2], dilations: [2, 2], act: relu }), 'gemm xv1 yv1'],
    ['grouped: 2 groups of 4 in, 6 out each', args(2, 8, 6, 6, 12, 3, 7, { group: 2, pads: [1, 1, 1, 1] }), 'gemm xv1 yv0'],
    ['depthwise 3x3 stride 1 pad 1, 16 channels, relu', args(2, 16, 10, 9, 16, 3, 8, { group: 16, pads: [1, 1, 1, 1], act: relu }), 'depthwise xv1 yv1'],
    ['depthwise 3x3 stride 2 pad 1, 5 channels (a partial block), relu6', args(2, 5, 13, 11, 5, 3, 9, { group: 5, pads: [1, 1, 1, 1], strides: [2, 2], act: { op: 'clip', min: 0, max: 6 } }), 'depthwise xv0 yv0'],
  ];
  const nan = args(1, 4, 6, 6, 4, 3, 10, { pads: [1, 1, 1, 1], act: relu });
  nan.x[7] = NaN; // channel 0, (1, 1): every output whose window covers it is NaN, through ReLU too
  nan.x[36 + 20] = Infinity;
  cases.push(['NaN and inf inputs, vec4 loads', nan, 'gemm xv1 yv1']);
  const dwNan = args(1, 8, 7, 7, 8, 3, 11, { group: 8, pads: [1, 1, 1, 1] });
  dwNan.x[49 * 3 + 10] = NaN;
  cases.push(['NaN through the depthwise shader', dwNan, 'depthwise xv1 yv1']);

  it.each(cases)('%s', async (_, a, variant) => {
    const v = nhwcVariant(a);
    expect(`${v.depthwise ? 'depthwise' : 'gemm'} xv${+v.xv} yv${+v.yv}`).toBe(variant);
    const want = conv2dReference(a);
    expect(conv2dContract.check(a, await viaNhwc(a, true), want)).toBeNull();
    // The same shape with every load and store scalar (the bench's third column).
    expect(conv2dContract.check(a, await viaNhwc(a, false), want)).toBeNull();
  });

  it('an NHWC result read as NCHW fails the check (the transposes matter)', async () => {
    const a = cases[2][1];
    const y = await conv2dNhwcWebgpu(gd, { ...a, x: nchwToNhwc(a.x, a.n, a.c, a.h, a.w) });
    expect(conv2dContract.check(a, y, conv2dReference(a))).toMatch(/^y\[/);
  });
});
