// Worker-thread entry: piscina calls the default export with one task, or a group of tiny tasks.
import { executeTask } from './execute-task.ts';
import type { TaskPayload, TaskResult } from './task.ts';

export default async function runTask(p: TaskPayload | TaskPayload[]): Promise<TaskResult | TaskResult[]> {
  if (!Array.isArray(p)) return executeTask(p);
  const out: TaskResult[] = [];
  for (const t of p) out.push(await executeTask(t));
  return out;
}
