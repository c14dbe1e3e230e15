// GpuDevice: adapter info, modes, errors that fail one operation, workers, and a process that exits promptly.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuDevice, GpuError, closeGpuDevice, getGpuDevice } from '../../gpu-kernels/device/index.ts';
import { createWebgpuBackend } from '../../gpu-kernels/webgpu-backend.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

afterAll(() => closeGpuDevice());

describe('GpuDevice', () => {
  it('opens an adapter (run `sudo bash scripts/setup.sh` if this fails: it installs lavapipe)', async () => {
    const gd = await getGpuDevice({ gpu: 'require' });
    expect(gd).not.toBeNull();
    const info = gd!.info;
    expect(info.name.length).toBeGreaterThan(0);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    if (/llvmpipe/i.test(info.description)) expect(info.isCpu).toBe(true);
    expect(info.hasF16).toBe(info.features.includes('shader-f16'));
    expect(await getGpuDevice({ gpu: 'auto' })).toBe(gd); // one per thread
  });

  it("'off' gives no device", async () => {
    expect(await getGpuDevice({ gpu: 'off' })).toBeNull();
  });

  it("'require' without an adapter names what to install; 'auto' falls back with one log line", async () => {
    const lines: string[] = [];
    await expect(GpuDevice.open({ gpu: 'require', backend: 'null-no-such-backend' })).rejects.toThrow(/no Vulkan adapter.*bookworm-backports/s);
    expect(await GpuDevice.open({ gpu: 'auto', backend: 'null-no-such-backend', log: (l) => lines.push(l) })).toBeNull();
    expect(await GpuDevice.open({ gpu: 'auto', backend: 'null-no-such-backend', log: (l) => lines.push(l) })).toBeNull();
    expect(lines.length).toBeLessThanOrEqual(1); // once per process (an earlier test may have logged it)
  });

  it('a shader error fails that operation with a GpuError (code RESOURCE_ERROR) and the device keeps working', async () => {
    const gd = (await getGpuDevice({ gpu: 'require' }))!;
    const err = await gd.pipeline('broken', () => '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }').catch((e) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(err.code).toBe('RESOURCE_ERROR');
    expect(err.reason).toBe('validation');
    const job = gd.job('oversized');
    job.read(job.buffer(16), 64); // reads past the buffer: a validation error at submit
    await expect(job.submit()).rejects.toMatchObject({ code: 'RESOURCE_ERROR', reason: 'validation' });
    const be = createWebgpuBackend(gd, 'f32');
    expect(Array.from(await be.map({ x: new Float32Array([-1, 2]), fn: { op: 'relu' } }))).toEqual([0, 2]);
    expect(gd.pool.stats().live).toBe(0);
  });

  it('a destroyed device fails with reason destroyed', async () => {
    const gd = (await GpuDevice.open({ gpu: 'require' }))!;
    gd.destroy();
    expect(() => gd.job()).toThrow(GpuError);
  });

  it('works from worker threads (each has its own device)', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      (async () => {
        const { create } = await import('webgpu');
        const gpu = create(['backend=vulkan']);
        const dev = await (await gpu.requestAdapter()).requestDevice();
        const b = dev.createBuffer({ size: 16, usage: 1 | 8 });
        dev.queue.writeBuffer(b, 0, new Float32Array([1, 2, 3, 4]));
        await b.mapAsync(1);
        const r = Array.from(new Float32Array(b.getMappedRange()));
        b.unmap(); dev.destroy();
        parentPort.postMessage(r);
      })();`;
    const run = () => new Promise<number[]>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', resolve).once('error', reject);
    });
    expect(await Promise.all([run(), run()])).toEqual([[1, 2, 3, 4], [1, 2, 3, 4]]);
  });

  it('a process that creates a device, runs a kernel and destroys it exits within a few seconds', () => {
    const script = `
      import { getGpuDevice, closeGpuDevice } from '${root}gpu-kernels/device/index.ts';
      import { createWebgpuBackend } from '${root}gpu-kernels/webgpu-backend.ts';
      const gd = await getGpuDevice({ gpu: 'require' });
      const y = await createWebgpuBackend(gd, 'f32').matmul({ x: new Float32Array([1, 2]), w: new Float32Array([3, 4]), bias: null, m: 1, k: 2, n: 1, activation: 'none' });
      console.log('y=' + y[0]);
      await closeGpuDevice();
      globalThis.__t = Date.now();`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toContain('y=11');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000); // startup (tsx, Dawn, lavapipe) included; a hang hits the 30 s timeout
  });

  it('devices opened and destroyed over and over, with garbage collections between, neither crash nor hang the process', () => {
    // An executor describes its GPU by opening and destroying a device; a collected Dawn instance
    // used to crash the process later (SIGSEGV in ProcessEvents, or std::system_error) or hang it.
    const script = `
      import { GpuDevice } from '${root}gpu-kernels/device/index.ts';
      const once = async () => { const d = await GpuDevice.open({ gpu: 'require' }); d.destroy(); };
      for (let i = 0; i < 20; i++) {
        await Promise.all([once(), once()]);
        for (let k = 0; k < 3; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 5)); }
      }
      console.log('rounds done');`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 45_000 });
    expect(r.stdout).toContain('rounds done');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });
});
