// Test helpers for the io suite: a minimal TaskContext, temp dirs, IDX files, and draining a scan.
import * as arrow from 'apache-arrow';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskContext } from '../../ops/exec-plan.ts';
import { ScanExec, type ScanExecOptions } from '../../ops/scan-exec.ts';
import { inferSchema, planSplits, resolvePaths, type FileFormat } from '../../ops/sources/index.ts';
import { withParquetWasm } from '../../ops/sources/parquet-wasm.ts';

/** A u8 IDX file (MNIST's format): the header for `dims`, then the values. */
export function idxU8(dims: number[], values: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length + values.length);
  b[2] = 0x08; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  b.set(values, 4 + 4 * dims.length);
  return b;
}

export async function tempDir(prefix = 'quiver-io-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestContext extends TaskContext {
  readonly counters: Map<string, number>;
}

/** A TaskContext with real metrics and spill dir; the shuffle/broadcast/resource methods throw. */
export async function testContext(over: Partial<{ partition: number; batchSize: number; stageId: number; attempt: number }> = {}): Promise<TestContext> {
  const counters = new Map<string, number>();
  const spillDir = await tempDir('quiver-spill-');
  return {
    stageId: over.stageId ?? 1,
    partition: over.partition ?? 0,
    attempt: over.attempt ?? 0,
    memoryBudget: 64 << 20,
    spillDir,
    batchSize: over.batchSize ?? 1000,
    metrics: { add: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) },
    counters,
    shuffleInput: () => { throw new Error('no shuffle in this test'); },
    broadcast: () => { throw new Error('no broadcast in this test'); },
    resource: () => { throw new Error('no resources in this test'); },
  };
}

/** Plans and runs a scan of `paths` end to end; returns every partition's rows in order. */
export async function scanAll(format: FileFormat, paths: string | string[], options: Record<string, unknown> = {},
  more: Partial<Pick<ScanExecOptions, 'projection' | 'filters' | 'limit'>> & { splitBytes?: number; batchSize?: number } = {}): Promise<{ rows: Record<string, unknown>[]; batches: arrow.RecordBatch[]; ctx: TestContext[]; exec: ScanExec }> {
  const files = await resolvePaths(paths);
  const source = { format, paths: files, options };
  const fileSchema = await inferSchema(source);
  const splits = await planSplits(source, more.splitBytes ?? 64 << 20);
  const exec = new ScanExec({ format, splits, options, fileSchema, projection: more.projection ?? null, filters: more.filters ?? [], limit: more.limit ?? null });
  const rows: Record<string, unknown>[] = [];
  const batches: arrow.RecordBatch[] = [];
  const ctxs: TestContext[] = [];
  for (let p = 0; p < splits.length; p++) {
    const ctx = await testContext({ partition: p, batchSize: more.batchSize ?? 1000 });
    ctxs.push(ctx);
    for await (const b of exec.execute(p, ctx)) {
      batches.push(b);
      for (const r of b) rows.push(r.toJSON() as Record<string, unknown>);
    }
  }
  return { rows, batches, ctx: ctxs, exec };
}

/** The FileMetaData bytes of a whole Parquet file. */
export function footerOf(bytes: Buffer): Buffer {
  const len = bytes.readUInt32LE(bytes.length - 8);
  return bytes.subarray(bytes.length - 8 - len, bytes.length - 8);
}

/** Row groups `groups` (and only `columns`, when given) of a Parquet file image, decoded through IPC. */
export const decodeParquet = (bytes: Uint8Array, groups: number[], columns?: string[]): arrow.Table =>
  arrow.tableFromIPC(withParquetWasm((pq) => pq.readParquet(bytes, { rowGroups: groups, ...(columns ? { columns } : {}) }).intoIPCStream()));

/** A digest of a column's values (comparing 600k-row columns value by value is slow in expect). */
export function digest(t: arrow.Table, name: string): string {
  const h = createHash('sha256');
  for (const v of t.getChild(name)!) h.update(`${v}\u0000`);
  return h.digest('hex');
}
