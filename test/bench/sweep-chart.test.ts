// kernelSweep's rates, failures and budget skips on a fake backend; the chart renders as SVG and PNG with its bars.
import { describe, expect, it } from 'vitest';
import type { KernelBackend } from '../../gpu-kernels/backend.ts';
import { svgToPng, toSvg } from '../../bench/lib/chart.ts';
import { kernelMlpCharts } from '../../bench/lib/kernel-charts.ts';
import { kernelSweep, Unit, type SweepCase } from '../../bench/lib/sweep.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Matmul takes `msPerMflop` per 2 m n k / 1e6; every other kernel throws. */
function fakeBackend(msPerMflop: number): KernelBackend {
  const fail = () => Promise.reject(new Error('not implemented'));
  return {
    name: 'reference', precision: 'f32', description: 'fake',
    async matmul(a) { await sleep((2 * a.m * a.n * a.k / 1e6) * msPerMflop); return new Float32Array(a.m * a.n); },
    normalize: fail, softmax: fail, argmax: fail, topk: fail, map: fail, mlp: fail, program: fail,
  };
}

function matmulCase(n: number): SweepCase {
  return { kernel: 'matmul', shape: `${n}^3`, size: n, unit: Unit.GflopS, work: 2 * n ** 3, prepare: () => (b) => b.matmul({ x: new Float32Array(0), w: new Float32Array(0), bias: null, m: n, k: n, n, activation: 'none' }) };
}

describe('kernelSweep', () => {
  it('reports rates, stops runs at the budget, skips what its last speed says is too slow, and names failures', async () => {
    const fast = { name: 'fast', backend: fakeBackend(0.5) }, slow = { name: 'slow', backend: fakeBackend(20) };
    const softmax = { ...matmulCase(64), kernel: 'softmax' as const, prepare: () => (b: KernelBackend) => b.softmax({ x: new Float32Array(0), m: 0, n: 1 }) };
    const rows = await kernelSweep([fast, slow], [matmulCase(200), matmulCase(400), matmulCase(100), softmax], 3, 0.5, () => {});
    const get = (backend: string, shape: string, kernel = 'matmul') => rows.find((r) => r.backend === backend && r.shape === shape && r.kernel === kernel)!;
    // 200^3 = 16 MFLOP: slow sleeps 320 ms a call, so the 0.5 s budget is spent after 2 of 3 runs.
    expect(get('slow', '200^3').note).toBe('2 runs (slow)');
    expect(get('slow', '200^3').rate).toBeLessThan(0.051); // a sleep is never shorter than asked
    // 400^3 would take ~2.6 s a call on slow: skipped; 100^3 (~40 ms) is measured again.
    expect(get('slow', '400^3').note).toMatch(/^skipped: would take ~2\.\d s a call$/);
    expect(get('slow', '100^3').note).toBe('');
    expect(get('fast', '400^3').note).toBe('');
    expect(get('fast', '100^3').rate).toBeGreaterThan(get('slow', '100^3').rate * 3);
    expect(get('fast', '64^3', 'softmax').note).toBe('failed: not implemented');
  });
});

describe('kernel charts', () => {
  it('renders the MLP bars and the matmul lines to SVG, and the SVG to PNG', async () => {
    const spec = kernelMlpCharts(
      [{ kernel: 'matmul', shape: '256^3', size: 256, backend: 'quiver-cpu', unit: Unit.GflopS, seconds: 0.01, rate: 3.3, note: '' },
        { kernel: 'matmul', shape: '512^3', size: 512, backend: 'quiver-cpu', unit: Unit.GflopS, seconds: 0.05, rate: 5.3, note: '' }],
      [{ contender: 'quiver-cpu', batch: 256, imagesPerSecond: 20000 }, { contender: 'onnxruntime', batch: 256, imagesPerSecond: 40000 }],
    );
    const svg = await toSvg(spec);
    const bars = [...svg.matchAll(/aria-roledescription="bar" d="M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)/g)].map((m) => Number(m[2]));
    expect(bars).toHaveLength(2);
    expect(bars.every((h) => h > 0)).toBe(true); // a zero-height bar is what a stacked log scale draws
    expect(svg).toContain('matmul (n x n x n)');
    const png = svgToPng(svg, 1);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});
