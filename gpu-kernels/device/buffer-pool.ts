// BufferPool: reuses GPU buffers by usage and size class, so a stream of batches allocates nothing after warm-up.

/**
 * Size classes: powers of two up to 64 KiB, then quarter steps (1, 1.25, 1.5, 1.75 x 2^k), so a
 * reused buffer wastes at most 25% and batches of slightly different sizes share buffers.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, bytes);
  if (b <= 65536) return 2 ** Math.ceil(Math.log2(b));
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  live: number;
  /** Buffers kept for reuse. */
  free: number;
  freeBytes: number;
  /** Buffers ever created (a steady stream MUST stop growing this). */
  created: number;
}

/**
 * One pool per GpuDevice. acquire() MUST be paired with release() once the GPU no longer uses
 * the buffer (after the submission that used it completed: a mapAsync of its readback resolved),
 * or a later job may overwrite data still being read.
 */
export class BufferPool {
  private readonly freeLists = new Map<string, GPUBuffer[]>();
  private readonly leased = new Set<GPUBuffer>();
  private freeBytes = 0;
  private created = 0;
  private destroyed = false;

  /** maxFreeBytes caps what idle buffers may hold; beyond it released buffers are destroyed. */
  constructor(private readonly device: GPUDevice, private readonly maxFreeBytes = 512 * 2 ** 20) {}

  acquire(bytes: number, usage: number, label?: string): GPUBuffer {
    if (this.destroyed) throw new Error('BufferPool: acquire after destroy (the GpuDevice was closed)');
    const size = sizeClass(bytes);
    const list = this.freeLists.get(`${usage}:${size}`);
    let buf = list?.pop();
    if (buf) this.freeBytes -= size;
    else {
      buf = this.device.createBuffer({ size, usage, label: label ?? `pool ${size}` });
      this.created++;
    }
    this.leased.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.leased.delete(buf)) return; // released twice or not ours: ignore rather than double-pool
    if (this.destroyed || buf.mapState !== 'unmapped' || this.freeBytes + buf.size > this.maxFreeBytes) {
      buf.destroy();
      return;
    }
    const key = `${buf.usage}:${buf.size}`;
    let list = this.freeLists.get(key);
    if (!list) this.freeLists.set(key, (list = []));
    list.push(buf);
    this.freeBytes += buf.size;
  }

  stats(): PoolStats {
    let free = 0;
    for (const l of this.freeLists.values()) free += l.length;
    return { live: this.leased.size, free, freeBytes: this.freeBytes, created: this.created };
  }

  /** Destroys idle buffers (leased ones are destroyed on release). */
  trim(): void {
    for (const l of this.freeLists.values()) for (const b of l) b.destroy();
    this.freeLists.clear();
    this.freeBytes = 0;
  }

  destroy(): void {
    this.destroyed = true;
    this.trim();
  }
}
