// Test support for operator tests: a minimal TaskContext, an in-memory source operator, collectors.
import * as arrow from 'apache-arrow';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecPlan, TaskContext } from '../../ops/exec-plan.ts';
import type { ExprNode } from '../../ops/expr/node.ts';

export interface TestContext extends TaskContext {
  readonly counters: Map<string, number>;
}

/** A task context with real metrics, spill dir, batch size and budget; everything else throws. */
export async function makeContext(opts: { batchSize?: number; memoryBudget?: number } = {}): Promise<TestContext> {
  const counters = new Map<string, number>();
  const spillDir = await mkdtemp(join(tmpdir(), 'quiver-ops-'));
  const unavailable = (what: string) => () => { throw new Error(`${what} is not available in this test`); };
  return {
    stageId: 0, partition: 0, attempt: 0,
    memoryBudget: opts.memoryBudget ?? 1 << 30,
    spillDir,
    batchSize: opts.batchSize ?? 1024,
    counters,
    metrics: { add: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) },
    shuffleInput: unavailable('shuffleInput'),
    broadcast: unavailable('broadcast'),
    resource: unavailable('resource'),
  };
}

/**
 * Yields the given batches per partition. Counts pulls, records whether its `finally` ran,
 * and throws when pulled for more than `failAfter` batches.
 */
export class SourceExec implements ExecPlan {
  readonly name = 'SourceExec';
  readonly children: readonly ExecPlan[] = [];
  pulls = 0;
  closed = 0;
  constructor(readonly schema: arrow.Schema, readonly partitions: readonly (readonly arrow.RecordBatch[])[], readonly failAfter = Infinity) {}
  display(): string { return 'SourceExec'; }
  async *execute(partition: number): AsyncGenerator<arrow.RecordBatch> {
    try {
      for (const b of this.partitions[partition]) {
        if (this.pulls >= this.failAfter) throw new Error(`pulled more than ${this.failAfter} batches`);
        this.pulls++;
        yield b;
      }
    } finally {
      this.closed++;
    }
  }
}

/** A source over one partition holding `table`'s rows split into batches of `size` rows. */
export function sourceOf(table: arrow.Table, size: number): SourceExec {
  const batches: arrow.RecordBatch[] = [];
  const whole = table.batches.length === 1 ? table.batches[0] : null;
  if (!whole) throw new Error('sourceOf expects a table with one batch');
  for (let i = 0; i < table.numRows; i += size) batches.push(whole.slice(i, Math.min(table.numRows, i + size)));
  return new SourceExec(table.schema, [batches]);
}

export async function collect(it: AsyncIterable<arrow.RecordBatch>): Promise<arrow.RecordBatch[]> {
  const out: arrow.RecordBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

/** Values of one column across batches, in order. */
export function columnValues(batches: readonly arrow.RecordBatch[], name: string): unknown[] {
  return batches.flatMap((b) => [...b.getChild(name)!]);
}

export const col = (name: string): ExprNode => ({ kind: 'column', name });
export const sortKey = (name: string, ascending = true, nullsFirst = false): ExprNode => ({ kind: 'sort', arg: col(name), ascending, nullsFirst });
