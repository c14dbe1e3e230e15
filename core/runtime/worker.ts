// Worker-thread entry: piscina calls the default export with one task, or a group of tiny tasks.
import { loadUdf } from '../../ops/map-batches-exec.ts';
import { executeTask } from './execute-task.ts';
import { Progress, type CallPayload, type TaskGroup, type TaskPayload, type TaskResult } from './task.ts';

export default async function runTask(m: TaskPayload | TaskGroup | CallPayload): Promise<TaskResult | TaskResult[] | unknown> {
  if ('call' in m) {
    const fn = (await loadUdf(m.call)) as unknown as (args: unknown) => unknown;
    return fn(m.args);
  }
  const cells = m.progress ? new Int32Array(m.progress) : null;
  try {
    if (!('tasks' in m)) {
      if (cells) Atomics.store(cells, Progress.Running, 1);
      return await executeTask(m);
    }
    const out: TaskResult[] = [];
    for (const [i, t] of m.tasks.entries()) {
      if (cells) Atomics.store(cells, Progress.Running, i + 1);
      out.push(await executeTask({ jobId: m.jobId, stageJson: m.stageJson, config: m.config, progress: m.progress, inference: m.inference, ...t }));
    }
    return out;
  } finally {
    // The inference thread drops whatever this port still had queued.
    m.inference?.close();
  }
}
