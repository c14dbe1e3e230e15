// The session's cached DataFrames: which are persisted, the stages that compute each (lineage), and where each partition is kept.
import type { Stage } from '../physical/phys-node.ts';
import type { MapOutput } from '../runtime/runtime.ts';

/** One cached DataFrame as the driver knows it. */
export interface CacheEntry<Out extends MapOutput = MapOutput> {
  readonly id: string;
  readonly name: string;
  /** Per partition: where its block is kept (executor, attempt), null until computed or once lost; empty until a job plans it. */
  outputs: (Out | null)[];
  /** Bytes of each kept partition's block. */
  bytes: number[];
}

/** What the storage page shows of a cached DataFrame (see the cacheUpdate event). */
export interface CacheSummary {
  cacheId: string;
  name: string;
  partitions: number;
  cached: number;
  bytes: number;
  /** Partitions kept by each executor. */
  executors: Record<string, number>;
}

export class CacheRegistry<Out extends MapOutput = MapOutput> {
  private readonly entries = new Map<string, CacheEntry<Out>>();
  private next = 0;
  /** Each cached DataFrame's stages as first planned (the physical planner's cachedStages). */
  readonly lineage = new Map<string, Stage[]>();

  /** A new cached DataFrame: computed (and kept) by the first job that reads it. */
  persist(name: string): string {
    const id = `c${this.next++}`;
    this.entries.set(id, { id, name, outputs: [], bytes: [] });
    return id;
  }

  isPersisted(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): CacheEntry<Out> | undefined {
    return this.entries.get(id);
  }

  all(): CacheEntry<Out>[] {
    return [...this.entries.values()];
  }

  /** Forgets a cached DataFrame; returns the outputs its launcher must drop (none when it was not cached). */
  unpersist(id: string): Out[] {
    const e = this.entries.get(id);
    this.entries.delete(id);
    this.lineage.delete(id);
    return (e?.outputs ?? []).filter((o): o is Out => o !== null);
  }

  /** A cache stage's task finished: its partition is kept there (ignored once unpersisted). */
  record(id: string, partitions: number, partition: number, out: Out, bytes: number): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (e.outputs.length !== partitions) { e.outputs = new Array(partitions).fill(null); e.bytes = new Array(partitions).fill(0); }
    e.outputs[partition] = out;
    e.bytes[partition] = bytes;
    return true;
  }

  /** A kept partition could not be read from `executor`: it is recomputed from lineage when next needed. */
  forget(id: string, partition: number, executor: string): boolean {
    const e = this.entries.get(id);
    if (e?.outputs[partition]?.executor !== executor) return false;
    e.outputs[partition] = null;
    e.bytes[partition] = 0;
    return true;
  }

  /** An executor is gone with every partition it kept; returns the cache ids that lost some. */
  lose(executor: string): string[] {
    const hit: string[] = [];
    for (const e of this.entries.values()) {
      let lost = false;
      e.outputs.forEach((o, i) => { if (o?.executor === executor) { e.outputs[i] = null; e.bytes[i] = 0; lost = true; } });
      if (lost) hit.push(e.id);
    }
    return hit;
  }

  summary(id: string): CacheSummary | null {
    const e = this.entries.get(id);
    if (!e) return null;
    const executors: Record<string, number> = {};
    let cached = 0, bytes = 0;
    e.outputs.forEach((o, i) => {
      if (!o) return;
      cached++;
      bytes += e.bytes[i];
      executors[o.executor] = (executors[o.executor] ?? 0) + 1;
    });
    return { cacheId: id, name: e.name, partitions: e.outputs.length, cached, bytes, executors };
  }
}
