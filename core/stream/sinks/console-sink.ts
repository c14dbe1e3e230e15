// ConsoleSink: format('console'): prints each batch's first rows under its batch id (not idempotent: a re-run batch prints again).
import { formatTable } from '../../api/show.ts';
import type { Session } from '../../api/session.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import type { Sink } from '../sink.ts';

export class ConsoleSink implements Sink {
  readonly description = 'ConsoleSink';

  constructor(private readonly session: Session, private readonly numRows: number) {}

  async addBatch(batchId: number, plan: LogicalPlan): Promise<number> {
    const t = await this.session.execute(plan);
    const rule = '-'.repeat(43);
    const more = t.numRows > this.numRows ? `\nonly showing top ${this.numRows} of ${t.numRows} rows` : '';
    // stdout, as show(): the rows are the user's output, not Quiver's log.
    console.log(`${rule}\nBatch: ${batchId}\n${rule}\n${formatTable(t.slice(0, this.numRows))}${more}\n`);
    return t.numRows;
  }

  async stop(): Promise<void> {}
}
