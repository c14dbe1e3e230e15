// ForeachBatchSink: writeStream.foreachBatch(fn): the user's function gets each batch (as a DataFrame) and its id; exactly-once is the function's to keep, by batch id.
import type { LogicalPlan } from '../../plan/node.ts';
import type { Sink } from '../sink.ts';

export class ForeachBatchSink implements Sink {
  readonly description = 'ForeachBatchSink';

  constructor(private readonly fn: (plan: LogicalPlan, batchId: number) => unknown) {}

  async addBatch(batchId: number, plan: LogicalPlan): Promise<null> {
    await this.fn(plan, batchId);
    return null;
  }

  async stop(): Promise<void> {}
}
