import { afterAll, describe, expect, it } from 'vitest';
import { GpuJob, closeGpuDevice, getGpuDevice } from '../../gpu-kernels/device/index.ts';

afterAll(() => closeGpuDevice());

/** Uploads `view` through GpuJob.upload (writePadded) and reads back its bytes. */
async function roundTrip(view: Uint8Array): Promise<Uint8Array> {
  const gd = (await getGpuDevice({ gpu: 'require' }))!;
  const job = new GpuJob(gd, 'write-padded test');
  job.read(job.upload(view), view.byteLength);
  const [out] = await job.submit();
  return new Uint8Array(out);
}

describe('writePadded (queue.writeBuffer of any view)', () => {
  it('uploads views of a SharedArrayBuffer (shuffle blocks, in-memory tables), at any offset and length', async () => {
    const sab = new SharedArrayBuffer(1 << 17);
    const all = new Uint8Array(sab);
    for (let i = 0; i < all.length; i++) all[i] = (i * 31 + 7) & 0xff;
    for (const [off, len] of [[0, 16], [3, 10], [5, 1], [8, 100_003], [1, 4]]) {
      const v = new Uint8Array(sab, off, len);
      expect(await roundTrip(v)).toEqual(Uint8Array.from(v));
    }
    // The staging copy is reused: a smaller upload after a larger one still reads its own bytes.
    const small = new Uint8Array(sab, 7, 9);
    expect(await roundTrip(small)).toEqual(Uint8Array.from(small));
  });

  it('uploads views of a plain ArrayBuffer as they are', async () => {
    const v = new Uint8Array(new ArrayBuffer(64), 2, 13).map((_, i) => 200 - i);
    expect(await roundTrip(v)).toEqual(Uint8Array.from(v));
  });
});
