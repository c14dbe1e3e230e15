// The fused MLP on every backend against the reference; the reference on hand-computed models; runner reuse, threads, dispose and process exit.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { mlpContract, type MlpArgs, type MlpLayer, type MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { createCpuMlp, mlpReference } from '../../gpu-kernels/mlp/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();
const ROOT = resolve(import.meta.dirname, '../..');
/** Per-test limit for whole-model runs: WebGPU on a software adapter (llvmpipe) compiles and runs slowly. */
const SLOW = 240_000;

function model(sizes: number[], seed: number, last: MlpLayer['activation'] = 'softmax', scale = 1 / 255, shift = 0): MlpWeights {
  const r = rng(seed);
  const layers = sizes.slice(1).map((out, i): MlpLayer => {
    const nIn = sizes[i], std = Math.sqrt(2 / nIn) * 1.7;
    return {
      w: Float32Array.from({ length: out * nIn }, () => (r() * 2 - 1) * std),
      b: Float32Array.from({ length: out }, () => (r() - 0.5) * 0.2),
      in: nIn, out, activation: i === sizes.length - 2 ? last : 'relu',
    };
  });
  return { layers, scale, shift };
}

/** Images like (Fashion-)MNIST: about half the pixels 0, the rest spread over 1..255. */
function images(m: number, n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: m * n }, () => (r() < 0.5 ? 0 : 1 + Math.floor(r() * 255)));
}

/** The reference with top-2, which the contract's near-tie rule reads. */
const reference = (a: MlpArgs) => mlpReference({ ...a, topK: Math.max(a.topK ?? 0, Math.min(2, a.weights.layers[a.weights.layers.length - 1].out)) });

describe('mlp reference', () => {
  it('is normalize, then each layer, then softmax and argmax (hand-computed)', () => {
    // One identity layer: the logits are the normalized pixels.
    const id: MlpWeights = { layers: [{ w: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), b: new Float32Array(3), in: 3, out: 3, activation: 'none' }], scale: 0.5, shift: -1 };
    const r = mlpReference({ weights: id, images: Uint8Array.from([0, 6, 4, 2, 2, 2]), m: 2, topK: 3 });
    expect([...r.labels]).toEqual([1, 0]);
    expect([...r.scores]).toEqual([2, 0]);
    expect([...r.top!.index]).toEqual([1, 2, 0, 0, 1, 2]);
    expect([...r.top!.value]).toEqual([2, 1, -1, 0, 0, 0]);
    // 2 -> 2 (relu) -> 2 (softmax): h = relu([x0 - x1, x1 - x0]), logits = [h0, h1 + ln 3].
    const two: MlpWeights = {
      layers: [
        { w: Float32Array.from([1, -1, -1, 1]), b: new Float32Array(2), in: 2, out: 2, activation: 'relu' },
        { w: Float32Array.from([1, 0, 0, 1]), b: Float32Array.from([0, Math.log(3)]), in: 2, out: 2, activation: 'softmax' },
      ], scale: 1, shift: 0,
    };
    const s = mlpReference({ weights: two, images: Uint8Array.from([5, 5, 1, 0]), m: 2 });
    expect([...s.labels]).toEqual([1, 1]);
    expect(s.scores[0]).toBeCloseTo(0.75, 6); // logits [0, ln 3]
    expect(s.scores[1]).toBeCloseTo(3 / (3 + Math.E), 6); // logits [1, ln 3]
  });

  it('throws a RangeError naming the argument whose length does not match', () => {
    const w = model([5, 4, 3], 1);
    expect(() => mlpReference({ weights: w, images: new Uint8Array(9), m: 2 })).toThrow(/^mlp: images has 9 elements, expected 10/);
    const bad = { ...w, layers: [{ ...w.layers[0], b: new Float32Array(3) }, w.layers[1]] };
    expect(() => mlpReference({ weights: bad, images: new Uint8Array(10), m: 2 })).toThrow(/^mlp: layers\[0\]\.b has 3 elements/);
    expect(() => createCpuMlp(bad, { threads: 1 })).toThrow(RangeError);
    const chain = { ...w, layers: [w.layers[0], { ...w.layers[1], in: 5, w: new Float32Array(15) }] };
    expect(() => createCpuMlp(chain, { threads: 1 })).toThrow(/layers\[1\]\.in is 5, expected layers\[0\]\.out = 4/);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('mlp on %s', (_, backend) => {
  const models: [string, MlpWeights][] = [
    ['784-300-100-10 softmax', model([784, 300, 100, 10], 1)],
    ['784-300-100-10 logits', model([784, 300, 100, 10], 2, 'none')],
    ['5-3 softmax', model([5, 3], 3)],
    ['17-9-2 relu last, shifted input', model([17, 9, 2], 4, 'relu', 0.01, -1)],
    ['63-65-1', model([63, 65, 1], 5)],
    ['3-127-33-11', model([3, 127, 33, 11], 6, 'softmax', 1 / 64, -2)],
  ];
  it.each(models)('%s over batches of 0, 1, 3, 33, 65 and 257 rows', async (_, weights) => {
    const runner = await backend.mlp(weights);
    try {
      const nIn = weights.layers[0].in;
      for (const m of [0, 1, 3, 33, 65, 257]) {
        const a: MlpArgs = { weights, images: images(m, nIn, m), m, topK: 0 };
        const got = await runner.run(a.images, m);
        expect(mlpContract.check(a, got, reference(a), backend.precision), `m = ${m}`).toBeNull();
        expect(got.top).toBeUndefined();
      }
    } finally {
      runner.dispose();
    }
  }, SLOW);

  it('follows the softmax and argmax contracts on inf and NaN logits', async () => {
    if (backend.precision !== 'f32') return; // 1e38 weights are inf in f16 from the start
    // One layer, one input: logits are w * pixel, so pixel 255 pushes them to +-inf.
    const one = (w: number[], activation: MlpLayer['activation']): MlpWeights => ({ layers: [{ w: Float32Array.from(w), b: new Float32Array(w.length), in: 1, out: w.length, activation }], scale: 1, shift: 0 });
    const cases: [MlpWeights, number[]][] = [
      [one([1e38, 1e38, 1], 'softmax'), [255, 0, 1]], // two +inf share: label 0, score 0.5
      [one([1e38, 1e38, 1], 'none'), [255, 0]], // score is the logit, +inf
      [one([-1e38, -1e38], 'softmax'), [255, 3]], // all -inf: NaN
      [one([1, NaN, 2], 'softmax'), [7, 0]], // a NaN logit ranks first, and the row is NaN
      [one([-0, 0, -0], 'none'), [9]], // -0 and 0 tie: the first
    ];
    for (const [weights, pixels] of cases) {
      const runner = await backend.mlp(weights);
      try {
        const a: MlpArgs = { weights, images: Uint8Array.from(pixels), m: pixels.length };
        const got = await runner.run(a.images, a.m), want = mlpReference(a);
        expect([...got.labels]).toEqual([...want.labels]);
        expect([...got.scores]).toEqual([...want.scores]);
      } finally {
        runner.dispose();
      }
    }
  });

  it('returns the top k when asked (k = 1, 3, all)', async () => {
    const weights = model([20, 16, 7], 7);
    const runner = await backend.mlp(weights);
    try {
      for (const k of [1, 3, 7]) {
        const a: MlpArgs = { weights, images: images(41, 20, k), m: 41, topK: k };
        const got = await runner.run(a.images, 41, k);
        const want = mlpReference(a);
        expect(got.top!.index.length).toBe(41 * k);
        // Scores within the contract's score tolerance; indices may differ only where values tie that closely.
        const tol = backend.precision === 'f16' ? 2e-2 : 1e-4;
        for (let i = 0; i < 41 * k; i++) expect(Math.abs(got.top!.value[i] - want.top!.value[i])).toBeLessThan(tol);
      }
    } finally {
      runner.dispose();
    }
  }, SLOW);

  it('gives the same results reused over many batches as a fresh runner', async () => {
    const weights = model([784, 300, 100, 10], 8);
    const batches = [100, 1, 64, 257, 3].map((m, i) => ({ m, x: images(m, 784, 50 + i) }));
    const reused = await backend.mlp(weights);
    try {
      for (const { m, x } of batches) {
        const fresh = await backend.mlp(weights);
        try {
          expect(await reused.run(x, m)).toEqual(await fresh.run(x, m));
        } finally {
          fresh.dispose();
        }
      }
    } finally {
      reused.dispose();
    }
  }, SLOW);
});

describe('cpu mlp runner', () => {
  const weights = model([784, 300, 100, 10], 9);

  it('agrees exactly between 1 and 2 threads, and with itself on repeat', async () => {
    const x = images(1000, 784, 3);
    const one = createCpuMlp(weights, { threads: 1 }), two = createCpuMlp(weights, { threads: 2 });
    try {
      const a = await one.run(x, 1000, 3), b = await two.run(x, 1000, 3), c = await two.run(x, 1000, 3);
      expect(b).toEqual(a);
      expect(c).toEqual(b);
      expect(mlpContract.check({ weights, images: x, m: 1000 }, b, reference({ weights, images: x, m: 1000 }))).toBeNull();
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it('skips 0 bytes in the first layer only where exact, and agrees with the dense path', async () => {
    const sparse = createCpuMlp(weights, { threads: 1 }), dense = createCpuMlp(weights, { threads: 1, sparse: false });
    try {
      // Chunks (32 rows) of sparse images, then dense ones, then sparse again: both paths in one batch.
      const x = new Uint8Array(160 * 784);
      x.set(images(64, 784, 11), 0);
      x.set(Uint8Array.from({ length: 64 * 784 }, (_, i) => 1 + (i * 7) % 255), 64 * 784);
      x.set(images(32, 784, 12), 128 * 784);
      const want = reference({ weights, images: x, m: 160 });
      for (const r of [sparse, dense]) expect(mlpContract.check({ weights, images: x, m: 160 }, await r.run(x, 160), want)).toBeNull();
    } finally {
      sparse.dispose();
      dense.dispose();
    }
    // 0 * inf is NaN: with an infinite first-layer weight, a row whose pixel there is 0 is NaN
    // (skipping the 0 would lose that, so this model must take the dense path).
    const inf = model([30, 8, 3], 13);
    inf.layers[0].w[5] = Infinity;
    const r = createCpuMlp(inf, { threads: 1 });
    try {
      const x = images(40, 30, 14);
      x.fill(0, 0, 30); // row 0 all 0
      const got = await r.run(x, 40);
      expect(got.scores[0]).toBeNaN();
      expect(mlpContract.check({ weights: inf, images: x, m: 40 }, got, reference({ weights: inf, images: x, m: 40 }))).toBeNull();
    } finally {
      r.dispose();
    }
  });

  it('refuses to run after dispose, and dispose twice is harmless', async () => {
    const r = createCpuMlp(weights, { threads: 2 });
    r.dispose();
    r.dispose();
    await expect(r.run(new Uint8Array(784), 1)).rejects.toThrow(/disposed/);
  });

  it('lets the process exit promptly after dispose, also when created inside a worker thread', async () => {
    const script = `
      import { Worker } from 'node:worker_threads';
      const { createCpuMlp } = await import(${JSON.stringify(resolve(ROOT, 'gpu-kernels/mlp/cpu.ts'))});
      const layers = [{ w: new Float32Array(784 * 30).fill(0.01), b: new Float32Array(30), in: 784, out: 30, activation: 'relu' },
        { w: new Float32Array(300).fill(0.02), b: new Float32Array(10), in: 30, out: 10, activation: 'softmax' }];
      const r = createCpuMlp({ layers, scale: 1 / 255, shift: 0 }, { threads: 2 });
      const out = await r.run(new Uint8Array(784 * 500).fill(7), 500);
      r.dispose();
      const inWorker = await new Promise((ok, fail) => {
        const w = new Worker(\`
          const { parentPort } = process.getBuiltinModule('node:worker_threads');
          // Like a piscina worker running TypeScript (core/runtime/worker-tsx.mjs): register tsx first.
          import('tsx/esm/api').then((t) => { t.register(); return import(\${JSON.stringify(${JSON.stringify(resolve(ROOT, 'gpu-kernels/mlp/cpu.ts'))})}); }).then(async ({ createCpuMlp }) => {
            const layers = [{ w: new Float32Array(784 * 10).fill(0.01), b: new Float32Array(10), in: 784, out: 10, activation: 'softmax' }];
            const r = createCpuMlp({ layers, scale: 1, shift: 0 }, { threads: 2 });
            const res = await r.run(new Uint8Array(784 * 300).fill(1), 300);
            r.dispose();
            parentPort.postMessage(res.labels.length);
          });\`, { eval: true });
        w.once('message', ok);
        w.once('error', fail);
      });
      console.log(JSON.stringify({ rows: out.labels.length, inWorker }));
      console.log('disposed');
    `;
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string; ms: number | null }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '', at: number | null = null;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (at === null && stdout.includes('disposed\n')) at = performance.now();
      });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr, ms: at === null ? null : performance.now() - at });
      });
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.split('\n')[0])).toEqual({ rows: 500, inWorker: 300 });
    expect(run.ms).not.toBeNull();
    expect(run.ms!).toBeLessThan(3000);
  });
});
