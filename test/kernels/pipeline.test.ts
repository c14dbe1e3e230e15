// The MLP runner as a stream: many batches in flight, a bounded buffer pool, an event loop that keeps running.
import { afterAll, describe, expect, it } from 'vitest';
import { closeGpuDevice, getGpuDevice } from '../../gpu-kernels/device/index.ts';
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { WebgpuMlpRunner } from '../../gpu-kernels/mlp/wgsl.ts';

afterAll(() => closeGpuDevice());

function model(dims: number[]): MlpWeights {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return {
    scale: 1 / 255, shift: -0.5,
    layers: dims.slice(1).map((out, i) => ({
      in: dims[i], out, w: Float32Array.from({ length: out * dims[i] }, rnd), b: Float32Array.from({ length: out }, rnd),
      activation: i === dims.length - 2 ? ('softmax' as const) : ('relu' as const),
    })),
  };
}

describe('MLP runner pipelining', () => {
  it('runs 3000 small batches, 3 in flight, with a bounded pool and identical results', async () => {
    const gd = (await getGpuDevice({ gpu: 'require' }))!;
    const runner = await WebgpuMlpRunner.create(gd, model([20, 12, 5]), 'f32');
    const m = 5;
    const images = Uint8Array.from({ length: m * 20 }, (_, i) => (i * 37) % 256);
    const first = await runner.run(images, m);
    const warm = gd.pool.stats().created;
    const inflight: Promise<{ labels: Int32Array }>[] = [];
    let mismatches = 0;
    for (let i = 0; i < 3000; i++) {
      inflight.push(runner.run(images, m));
      if (inflight.length >= 3) if ((await inflight.shift()!).labels.join() !== first.labels.join()) mismatches++;
    }
    for (const r of await Promise.all(inflight)) if (r.labels.join() !== first.labels.join()) mismatches++;
    expect(mismatches).toBe(0);
    const s = gd.pool.stats();
    expect(s.live).toBe(0);
    // Three jobs in flight need at most ~3x one job's buffers: a leak would grow with the 3000 batches.
    expect(s.created).toBeLessThanOrEqual(warm * 3 + 8);
    runner.dispose();
  }, 120_000);

  it('keeps the event loop free while a batch runs (mapAsync does not block)', async () => {
    const gd = (await getGpuDevice({ gpu: 'require' }))!;
    const runner = await WebgpuMlpRunner.create(gd, model([784, 300, 100, 10]), 'f32');
    const m = 2048;
    const images = Uint8Array.from({ length: m * 784 }, (_, i) => (i * 131) % 256);
    await runner.run(images.subarray(0, 16 * 784), 16);
    let ticks = 0;
    let done = false;
    const tick = () => { ticks++; if (!done) setTimeout(tick, 1); };
    setTimeout(tick, 1);
    const t0 = performance.now();
    const r = await runner.run(images, m);
    const ms = performance.now() - t0;
    done = true;
    expect(r.labels.length).toBe(m);
    // A blocking wait would let no timer run; a free loop runs one every ~1-2 ms of the batch.
    expect(ticks).toBeGreaterThan(Math.min(20, ms / 20));
    runner.dispose();
  }, 120_000);
});
