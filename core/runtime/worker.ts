// Worker-thread entry: piscina calls the default export with one task, or a group of tiny tasks.
import { loadUdf } from '../../ops/map-batches-exec.ts';
import { executeTask } from './execute-task.ts';
import type { CallPayload, TaskGroup, TaskPayload, TaskResult } from './task.ts';

export default async function runTask(m: TaskPayload | TaskGroup | CallPayload): Promise<TaskResult | TaskResult[] | unknown> {
  if ('call' in m) {
    const fn = (await loadUdf(m.call)) as unknown as (args: unknown) => unknown;
    return fn(m.args);
  }
  if (!('tasks' in m)) return executeTask(m);
  const out: TaskResult[] = [];
  for (const t of m.tasks) out.push(await executeTask({ jobId: m.jobId, stageJson: m.stageJson, config: m.config, ...t }));
  return out;
}
