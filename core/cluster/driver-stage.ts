// A job's last stage on the driver: one task over few shuffled rows (a top-k or a global aggregate's merge) runs here, saving an executor round trip and the result's fetch.
import type { NatsConnection } from '@nats-io/transport-node';
import { mkdir } from 'node:fs/promises';
import { errorToJSON } from '../../ops/errors.ts';
import { udfRefsIn } from '../../ops/udf-registry.ts';
import { taskShuffleReads, walkPhys, type PhysicalPlan, type PhysNode, type Stage } from '../physical/phys-node.ts';
import { blockId } from '../runtime/block-store.ts';
import { executeTask } from '../runtime/execute-task.ts';
import { isSpilled, type Block, type BlockRef } from '../runtime/ipc.ts';
import type { MapOutput, Outcome } from '../runtime/runtime.ts';
import type { TaskConfig } from '../runtime/task.ts';
import { FetchFailed, gatherBlocks, locations, type GatherOptions } from './shuffle-fetch.ts';
import { taskInputs } from './stage-inputs.ts';
import { outputKey } from './task-host.ts';

/** Operators that compute on their input alone: no files, models, user code or executor-held data. */
const DRIVER_OPS = new Set<PhysNode['op']>(['shuffleRead', 'filter', 'project', 'aggregate', 'sort', 'limit', 'window', 'union', 'generate']);

/**
 * The rows the stage would read if it ran on the driver, or null when it must run on an
 * executor: it is not the job's single result task, an operator needs an executor (a scan, a
 * join's broadcast, a model, user code, a write, a cached block), a map output it reads is not
 * known, or it reads more than `maxRows` rows.
 */
export function driverStageRows(plan: PhysicalPlan, stage: Stage, outputs: Map<number, (MapOutput | null)[]>, maxRows: number): number | null {
  if (maxRows <= 0 || stage.output.kind !== 'result' || stage.partitions !== 1) return null;
  let computeOnly = true;
  walkPhys(stage.root, (n) => { if (!DRIVER_OPS.has(n.op)) computeOnly = false; });
  if (!computeOnly || udfRefsIn(stage.root).length > 0) return null;
  let rows = 0;
  for (const r of taskShuffleReads(plan, stage, 0)) {
    if (r.cacheId !== undefined) return null;
    for (const m of outputs.get(r.stage) ?? [null]) {
      if (!m) return null;
      for (const reduce of r.reduces) rows += m.rows[reduce] ?? 0;
    }
  }
  return rows <= maxRows ? rows : null;
}

export interface DriverTask {
  nc: NatsConnection;
  driverId: string;
  jobId: number;
  plan: PhysicalPlan;
  stage: Stage;
  /** The stage as sent to executors (JSON). */
  stageJson: string;
  attempt: number;
  outputs: Map<number, (MapOutput | null)[]>;
  config: TaskConfig;
  /** Where an executor serves its blocks. */
  subjectOf(executor: string): string;
  /** Direct transfer from executors' block servers. */
  direct?: GatherOptions['direct'];
}

/** Runs the stage's task here: its shuffle inputs fetched from the executors that hold them, then the operators on this thread. */
export async function runOnDriver(t: DriverTask): Promise<Outcome> {
  const t0 = performance.now();
  const counters: Record<string, number> = {};
  try {
    const inputs = taskInputs(t.plan, t.stage, 0, t.outputs, {});
    const shuffle: Record<number, BlockRef[]> = {};
    for (const [id, input] of Object.entries(inputs.shuffle)) {
      const parts = await Promise.all(input.parts.map((part) => gatherBlocks(locations(part.from), {
        nc: t.nc, stage: input.stage, counters,
        subjectOf: t.subjectOf, direct: t.direct,
        idOf: (w) => blockId(outputKey(t.driverId, t.jobId, input.stage, w.map, w.attempt), part.reduce),
      })));
      shuffle[Number(id)] = parts.flat();
    }
    counters.inputWaitMs = performance.now() - t0;
    await mkdir(t.config.spillRoot, { recursive: true });
    const r = await executeTask({ jobId: t.jobId, stageJson: t.stageJson, partition: 0, attempt: t.attempt, config: t.config, shuffle, broadcast: {}, resources: {} });
    const metrics = { ...r.metrics, ...counters };
    if (!r.ok) return { kind: 'failed', error: r.error ?? errorToJSON(new Error('the task failed without an error')), durationMs: r.durationMs, metrics };
    const blocks = r.blocks.filter((b): b is Block => b !== null && !isSpilled(b));
    return { kind: 'done', rows: r.rows, durationMs: r.durationMs, metrics, bytes: blocks.reduce((s, b) => s + b.bytes, 0), result: async () => blocks };
  } catch (e) {
    const durationMs = performance.now() - t0;
    if (e instanceof FetchFailed) return { kind: 'fetchFailed', stage: e.stage, map: e.map, executor: e.executor, reason: e.message, durationMs, metrics: counters };
    return { kind: 'failed', error: errorToJSON(e), durationMs, metrics: counters };
  }
}
