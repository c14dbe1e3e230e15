// Worker-thread entry: piscina calls the default export once per task.
import { executeTask } from './execute-task.ts';
import type { TaskPayload, TaskResult } from './task.ts';

export default async function runTask(p: TaskPayload): Promise<TaskResult> {
  return executeTask(p);
}
