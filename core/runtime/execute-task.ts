// Runs one task attempt: rebuilds the stage's operators, executes a partition, encodes the output.
import * as arrow from 'apache-arrow';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecPlan, TaskContext } from '../../ops/exec-plan.ts';
import { errorToJSON, PlanError } from '../../ops/errors.ts';
import { makeBatch } from '../../ops/compute/batch.ts';
import { splitByIds, splitByPartition } from '../../ops/compute/partition.ts';
import { preloadUdfs, udfRefsIn } from '../../ops/udf-registry.ts';
import { buildExec } from '../physical/build-exec.ts';
import type { Stage } from '../physical/phys-node.ts';
import { decodeBlock, encodeBlock, readBlockRef } from './ipc.ts';
import { MapOutput } from './map-output.ts';
import { Progress, type TaskPayload, type TaskResult } from './task.ts';

const stageCache = new Map<string, { stage: Stage; exec: ExecPlan; udfs: ReturnType<typeof udfRefsIn> }>();

function stageFor(json: string): { stage: Stage; exec: ExecPlan; udfs: ReturnType<typeof udfRefsIn> } {
  let hit = stageCache.get(json);
  if (!hit) {
    const stage = JSON.parse(json) as Stage;
    hit = { stage, exec: buildExec(stage.root), udfs: udfRefsIn(stage.root) };
    if (stageCache.size > 32) stageCache.delete(stageCache.keys().next().value!);
    stageCache.set(json, hit);
  }
  return hit;
}

export async function executeTask(p: TaskPayload): Promise<TaskResult> {
  const t0 = performance.now();
  const metrics: Record<string, number> = {};
  const spillDir = join(p.config.spillRoot, `job${p.jobId}-t${p.partition}-a${p.attempt}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let spillUsed = false;
  let mapOutput: MapOutput | null = null;
  // Progress for the runtime's watchdog: a task that stops bumping this is stopped as stalled.
  const cells = p.progress ? new Int32Array(p.progress) : null;
  const tick = cells ? (): void => { Atomics.add(cells, Progress.Count, 1); } : (): void => {};
  tick();
  try {
    const { stage, exec, udfs } = stageFor(p.stageJson);
    // Expressions call user code synchronously: its modules are imported before the first batch.
    if (udfs.length) await preloadUdfs(udfs);
    const broadcastCache = new Map<number, arrow.Table>();
    const ctx: TaskContext = {
      stageId: stage.id,
      partition: p.partition,
      attempt: p.attempt,
      memoryBudget: p.config.memoryBudget,
      get spillDir() { spillUsed = true; return spillDir; },
      batchSize: p.config.batchSize,
      // Operators read the signal once per batch they pull (to stop when aborted): each read is
      // progress, so a long aggregate over many input batches is never mistaken for a stall.
      get signal() { tick(); return undefined; },
      metrics: { add(name, n) { metrics[name] = (metrics[name] ?? 0) + n; } },
      async *shuffleInput(shuffleId) {
        // The rows a task reads (here, from resource() and in ScanExec): the capacity planner's unit.
        for (const block of p.shuffle[shuffleId] ?? []) for (const b of readBlockRef(block)) { tick(); metrics.inputRows = (metrics.inputRows ?? 0) + b.numRows; yield b; }
      },
      async broadcast(id) {
        let t = broadcastCache.get(id);
        if (!t) {
          const batches: arrow.RecordBatch[] = [];
          for (const block of p.broadcast[id] ?? []) for (const b of readBlockRef(block)) batches.push(b);
          t = new arrow.Table(batches.length ? batches : exec.schema.fields.length ? [] : []);
          broadcastCache.set(id, t);
        }
        return t;
      },
      inference: p.inference,
      resource(id) {
        const r = p.resources[id];
        if (!r) throw new PlanError(`in-memory data '${id}' is not available to this task`);
        return (function* () { for (const b of decodeBlock(r)) { tick(); metrics.inputRows = (metrics.inputRows ?? 0) + b.numRows; yield b; } })();
      },
    };
    let rows = 0;
    const out = stage.output;
    if (out.kind === 'shuffle') {
      // A range shuffle's rows carry their partition in the root's last column, which is not written.
      const schema = out.range ? new arrow.Schema(exec.schema.fields.slice(0, -1)) : exec.schema;
      // Past half the task's memory budget, the output so far goes to disk (the store owns the files).
      mapOutput = new MapOutput(schema, out.partitions, p.config.memoryBudget / 2, join(p.config.spillRoot, 'map-output'));
      let rr = p.partition;
      for await (const b of exec.execute(p.partition, ctx)) {
        tick();
        if (b.numRows === 0) continue;
        rows += b.numRows;
        if (out.range) {
          const last = b.data.children.length - 1;
          const rowsOnly = makeBatch(schema, b.data.children.slice(0, last), b.numRows);
          const split = splitByIds(rowsOnly, b.data.children[last].values as Int32Array, out.partitions);
          split.forEach((s, i) => mapOutput!.add(i, s));
        } else if (out.partitions === 1) mapOutput.add(0, b);
        else {
          const split = splitByPartition(b, out.keys, out.partitions, rr);
          rr += b.numRows;
          split.forEach((s, i) => mapOutput!.add(i, s));
        }
      }
      const blocks = mapOutput.finish();
      if (mapOutput.spilledBytes > 0) metrics.shuffleSpillBytes = (metrics.shuffleSpillBytes ?? 0) + mapOutput.spilledBytes;
      mapOutput = null;
      return { ok: true, blocks, rows, metrics, durationMs: performance.now() - t0 };
    }
    // The partition's batches, gathered into one block (cache and result stages).
    const gather = async (): Promise<arrow.RecordBatch[]> => {
      const batches: arrow.RecordBatch[] = [];
      for await (const b of exec.execute(p.partition, ctx)) {
        tick();
        if (b.numRows === 0) continue;
        rows += b.numRows;
        batches.push(b);
      }
      return batches;
    };
    if (out.kind === 'cache') {
      // Block p of the output, the others empty: a cacheRead of partition p reads it as a shuffle.
      const batches = await gather();
      const blocks = Array.from({ length: out.partitions }, (_, i) => (i === p.partition && batches.length ? encodeBlock(exec.schema, batches) : null));
      return { ok: true, blocks, rows, metrics, durationMs: performance.now() - t0 };
    }
    const batches = await gather();
    // One block slot even when empty (null): an executor serves it as an empty output, where a
    // missing slot reads as a lost one (the driver would re-run the task again and again).
    return { ok: true, blocks: [batches.length ? encodeBlock(exec.schema, batches) : null], rows, metrics, durationMs: performance.now() - t0 };
  } catch (e) {
    mapOutput?.discard();
    return { ok: false, error: errorToJSON(e), blocks: [], rows: 0, metrics, durationMs: performance.now() - t0 };
  } finally {
    if (spillUsed) await rm(spillDir, { recursive: true, force: true });
  }
}

/** Ensures the spill root exists (called once per worker). */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
