// An executor's block store: task output (shuffle, broadcast, result) kept in memory, spilled to disk as Arrow IPC past a budget, served to peers by id.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blocksBytes, blockToIpc, discardBlocks, ipcToBlock, isSpilled, memoryBytes, type Block, type BlockRef } from './ipc.ts';

interface Entry {
  /** One block per reduce partition (null: empty), in memory or in a file this store owns. */
  refs: (BlockRef | null)[];
  /** Bytes of the blocks (as in memory), and of those held in memory. */
  bytes: number;
  memoryBytes: number;
}

/** The id of one output block: `<output key>/<reduce partition>`. */
export const blockId = (key: string, reduce: number) => `${key}/${reduce}`;

/**
 * Output of task attempts by key (driver, job, stage, map partition, attempt). Entries over the
 * memory budget are written to `spillDir`, oldest first; reads bring a spilled block back. A map
 * task may hand over blocks it already spilled itself: the store owns their files from then on.
 */
export class BlockStore {
  private readonly entries = new Map<string, Entry>();
  /** IPC encodings recently served (a block is fetched chunk by chunk). */
  private readonly ipcCache = new Map<string, Uint8Array>();
  private ipcCacheBytes = 0;
  private nextFile = 0;
  memoryBytes = 0;
  spilledBytes = 0;

  constructor(private readonly budgetBytes: number, private readonly spillDir: string) {}

  put(key: string, refs: (BlockRef | null)[]): void {
    this.drop(key);
    const bytes = blocksBytes(refs), inMemory = memoryBytes(refs);
    this.entries.set(key, { refs, bytes, memoryBytes: inMemory });
    this.memoryBytes += inMemory;
    this.spilledBytes += bytes - inMemory;
    this.spillIfNeeded(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Reduce partition `reduce` of `key`: a block, null when that partition is empty, undefined when not here. */
  get(key: string, reduce: number): Block | null | undefined {
    const r = this.peek(key, reduce);
    return r && isSpilled(r) ? ipcToBlock(readFileSync(r.file)) : r;
  }

  /**
   * Reduce partition `reduce` of `key` without reading it back: the block in memory, or the file
   * it was spilled to (the task that reads it loads it); null when empty, undefined when not here.
   */
  peek(key: string, reduce: number): BlockRef | null | undefined {
    const e = this.entries.get(key);
    if (!e || reduce >= e.refs.length) return undefined;
    return e.refs[reduce];
  }

  /** The Arrow IPC bytes of block `id` (`<key>/<reduce>`), for serving to another process. */
  ipc(id: string): Uint8Array | undefined {
    const hit = this.ipcCache.get(id);
    if (hit) return hit;
    const at = id.lastIndexOf('/');
    const key = id.slice(0, at), reduce = Number(id.slice(at + 1));
    if (!Number.isInteger(reduce)) return undefined;
    const r = this.peek(key, reduce);
    const bytes = r === undefined ? undefined : r === null ? EMPTY : isSpilled(r) ? readFileSync(r.file) : blockToIpc(r);
    if (bytes && bytes.length > 0) {
      this.ipcCache.set(id, bytes);
      this.ipcCacheBytes += bytes.length;
      // A few recent blocks: each is read once per reducer, in chunks.
      while (this.ipcCacheBytes > 64 * 1024 * 1024 && this.ipcCache.size > 1) {
        const [k, v] = this.ipcCache.entries().next().value!;
        this.ipcCache.delete(k);
        this.ipcCacheBytes -= v.length;
      }
    }
    return bytes;
  }

  /** Forgets every entry whose key starts with `prefix` (a finished job, or a driver gone). */
  dropPrefix(prefix: string): number {
    let n = 0;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) { this.drop(key); n++; }
    for (const id of [...this.ipcCache.keys()]) if (id.startsWith(prefix)) { this.ipcCacheBytes -= this.ipcCache.get(id)!.length; this.ipcCache.delete(id); }
    return n;
  }

  /** Bytes of these entries in memory and spilled to disk (missing keys count nothing). */
  usage(keys: Iterable<string>): { memoryBytes: number; diskBytes: number } {
    let memoryBytes = 0, diskBytes = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (!e) continue;
      memoryBytes += e.memoryBytes;
      diskBytes += e.bytes - e.memoryBytes;
    }
    return { memoryBytes, diskBytes };
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    discardBlocks(e.refs);
    this.memoryBytes -= e.memoryBytes;
    this.spilledBytes -= e.bytes - e.memoryBytes;
  }

  /** Spills the oldest in-memory entries (not `keep`, just written) until memory is under budget. */
  private spillIfNeeded(keep: string): void {
    for (const [key, e] of this.entries) {
      if (this.memoryBytes <= this.budgetBytes) return;
      if (key === keep || e.memoryBytes === 0) continue;
      mkdirSync(this.spillDir, { recursive: true });
      e.refs = e.refs.map((b) => {
        if (!b || isSpilled(b)) return b;
        const file = join(this.spillDir, `block-${this.nextFile++}.arrows`);
        writeFileSync(file, blockToIpc(b));
        return { file, rows: b.rows, bytes: b.bytes };
      });
      this.memoryBytes -= e.memoryBytes;
      this.spilledBytes += e.memoryBytes;
      e.memoryBytes = 0;
    }
  }

  /** Removes every spill file (the executor is stopping). */
  clear(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
    rmSync(this.spillDir, { recursive: true, force: true });
  }
}

const EMPTY = new Uint8Array(0);
