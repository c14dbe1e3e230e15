// StreamingQueryManager (q.streams): the session's active streaming queries; one per checkpoint and name; all stopped when the session closes.
import { PlanError } from '../../ops/errors.ts';
import type { StreamingQuery } from './streaming-query.ts';

export class StreamingQueryManager {
  private readonly queries = new Map<StreamingQuery, { checkpoint: string }>();

  get active(): StreamingQuery[] { return [...this.queries.keys()]; }

  get(id: string): StreamingQuery | null {
    return this.active.find((q) => q.id === id) ?? null;
  }

  /** Refuses a second active query on a checkpoint or a name (two would write the same logs or table). */
  checkFree(checkpoint: string, name: string | null): void {
    for (const [q, o] of this.queries) {
      if (o.checkpoint === checkpoint) throw new PlanError(`a streaming query (id ${q.id}) is already running with checkpointLocation ${checkpoint}; stop it first or use another location`);
      if (name !== null && q.name === name) throw new PlanError(`a streaming query named '${name}' is already running; stop it first or pick another queryName`);
    }
  }

  add(q: StreamingQuery, checkpoint: string): void { if (q.isActive) this.queries.set(q, { checkpoint }); }
  remove(q: StreamingQuery): void { this.queries.delete(q); }

  /** Stops every active query (q.close() calls this before closing the workers). */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.active.map((q) => q.stop()));
  }
}
