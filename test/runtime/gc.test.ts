// The collection after a job: once the process has grown 128 MB, a full GC frees blocks (SharedArrayBuffers) that only garbage still held; below that, nothing runs.
import { describe, expect, it } from 'vitest';
import { collectAfterJob } from '../../core/runtime/gc.ts';

const MB = 2 ** 20;

describe('collectAfterJob', () => {
  it('collects once the process has grown 128 MB, and the memory of dead SharedArrayBuffers goes back', async () => {
    collectAfterJob();
    let blocks: SharedArrayBuffer[] | null = Array.from({ length: 20 }, () => {
      const b = new SharedArrayBuffer(16 * MB);
      new Uint8Array(b).fill(1);
      return b;
    });
    expect(blocks.length).toBe(20);
    const grown = process.memoryUsage.rss();
    blocks = null;
    expect(collectAfterJob()).toBe(true);
    // V8 frees dead buffers' memory on a background thread after the collection.
    const t0 = Date.now();
    while (process.memoryUsage.rss() > grown - 200 * MB && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(process.memoryUsage.rss()).toBeLessThan(grown - 200 * MB);
    // Nothing grew since: no second collection.
    expect(collectAfterJob()).toBe(false);
  });
});
