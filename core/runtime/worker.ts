// Worker-thread entry: piscina calls the default export with one task, or a group of tiny tasks.
import { executeTask } from './execute-task.ts';
import type { TaskGroup, TaskPayload, TaskResult } from './task.ts';

export default async function runTask(m: TaskPayload | TaskGroup): Promise<TaskResult | TaskResult[]> {
  if (!('tasks' in m)) return executeTask(m);
  const out: TaskResult[] = [];
  for (const t of m.tasks) out.push(await executeTask({ jobId: m.jobId, stageJson: m.stageJson, config: m.config, ...t }));
  return out;
}
