// AggregateState: a streaming aggregate's groups kept in the driver across micro-batches: merged per batch, emitted by output mode, evicted by the watermark, saved as Arrow IPC.
import { readFile } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { DataError } from '../../ops/errors.ts';
import { writeAtomically } from '../../ops/sinks/atomic.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { tableFromRows } from '../api/ingest.ts';
import { rowsOf } from '../api/show.ts';
import { keyColumn, LATE, MAX_EVENT_TIME, ROWS, type StatefulAggregate, type StateSlot } from './stateful-aggregate.ts';

interface Group {
  readonly key: unknown[];
  /** Per slot: count -> number; sum/min/max -> value or null; avg -> [sum, count]. */
  readonly acc: unknown[];
}

/** What merging one batch's partial aggregate found. */
export interface MergeResult {
  readonly lateRows: number;
  /** The latest event time among the batch's rows (late ones included), or null. */
  readonly maxEventMs: number | null;
  /** Keys of the groups this batch changed. */
  readonly updated: ReadonlySet<string>;
}

const plain = (v: unknown): unknown => (v instanceof Date ? v.getTime() : v);
const keyOf = (key: readonly unknown[]): string => JSON.stringify(key.map(plain));
const less = (a: unknown, b: unknown): boolean => (plain(a) as number | string) < (plain(b) as number | string);

function mergeSlot(s: StateSlot, acc: unknown, part: readonly unknown[]): unknown {
  const [v, c] = part;
  switch (s.fn) {
    case 'count': return (acc as number) + (v as number);
    case 'sum': return v === null ? acc : acc === null ? v : (acc as number) + (v as number);
    case 'min': return v === null ? acc : acc === null || less(v, acc) ? v : acc;
    case 'max': return v === null ? acc : acc === null || less(acc, v) ? v : acc;
    case 'avg': {
      const [sum, n] = acc as [number, number];
      return [v === null ? sum : sum + (v as number), n + (c as number)];
    }
  }
}

const emptySlot = (s: StateSlot): unknown => (s.fn === 'count' ? 0 : s.fn === 'avg' ? [0, 0] : null);

function finalValue(s: StateSlot, acc: unknown): unknown {
  if (s.fn !== 'avg') return acc;
  const [sum, n] = acc as [number, number];
  return n === 0 ? null : sum / n;
}

export class AggregateState {
  private readonly groups = new Map<string, Group>();
  private readonly keyFields: readonly FieldJSON[];

  constructor(private readonly sa: StatefulAggregate) {
    this.keyFields = sa.aggregate.schema.slice(0, sa.aggregate.groupBy.length);
  }

  get size(): number { return this.groups.size; }

  /** Adds a batch's partial aggregate (partialAggregate's columns): late rows are counted, not merged. */
  merge(partial: arrow.Table): MergeResult {
    const updated = new Set<string>();
    let lateRows = 0;
    let maxEventMs: number | null = null;
    for (const r of rowsOf(partial)) {
      const t = r[MAX_EVENT_TIME];
      if (t instanceof Date && (maxEventMs === null || t.getTime() > maxEventMs)) maxEventMs = t.getTime();
      if (r[LATE] === true) {
        lateRows += r[ROWS] as number;
        continue;
      }
      const key = this.keyFields.map((_, i) => r[keyColumn(i)]);
      const k = keyOf(key);
      const g = this.groups.get(k) ?? { key, acc: this.sa.slots.map(emptySlot) };
      this.sa.slots.forEach((s, i) => { g.acc[i] = mergeSlot(s, g.acc[i], s.columns.map((c) => r[c])); });
      this.groups.set(k, g);
      updated.add(k);
    }
    return { lateRows, maxEventMs, updated };
  }

  /**
   * The rows this batch outputs (the Aggregate's schema) by output mode, with `watermarkMs` the
   * watermark after the batch: complete, every group; update, the groups changed; append, the
   * groups whose window ended at or before the watermark. Groups whose window has ended leave
   * the state (except in complete mode, which keeps every group).
   */
  emit(updated: ReadonlySet<string>, watermarkMs: number | null): Record<string, unknown>[] {
    const { mode, windowEndKey } = this.sa;
    const closed = (g: Group): boolean => {
      if (windowEndKey < 0 || watermarkMs === null) return false;
      const end = plain(g.key[windowEndKey]);
      return typeof end === 'number' && end <= watermarkMs;
    };
    const out: Record<string, unknown>[] = [];
    for (const [k, g] of this.groups) {
      const done = mode !== 'complete' && closed(g);
      if (mode === 'complete' || (mode === 'update' && updated.has(k)) || (mode === 'append' && done)) out.push(this.row(g));
      if (done) this.groups.delete(k);
    }
    return out;
  }

  private row(g: Group): Record<string, unknown> {
    const fields = this.sa.aggregate.schema;
    const row: Record<string, unknown> = {};
    this.keyFields.forEach((f, i) => { row[f.name] = g.key[i]; });
    this.sa.slots.forEach((s, i) => { row[fields[this.keyFields.length + i].name] = finalValue(s, g.acc[i]); });
    return row;
  }

  /** The state's columns on disk: the keys, then each slot's accumulator (avg as sum and count). */
  private diskSchema(): FieldJSON[] {
    return [
      ...this.keyFields.map((f, i) => ({ name: keyColumn(i), type: f.type, nullable: true })),
      ...this.sa.slots.flatMap((s): FieldJSON[] => (s.fn === 'avg'
        ? [{ name: s.columns[0], type: 'float64', nullable: false }, { name: s.columns[1], type: 'int64', nullable: false }]
        : [{ name: s.columns[0], type: s.field.type, nullable: true }])),
    ];
  }

  /** Writes every group to `file` as one Arrow IPC file, atomically (a crash leaves the old file or none). */
  async save(file: string): Promise<void> {
    const rows = [...this.groups.values()].map((g) => {
      const r: Record<string, unknown> = {};
      g.key.forEach((v, i) => { r[keyColumn(i)] = v; });
      this.sa.slots.forEach((s, i) => {
        if (s.fn === 'avg') [r[s.columns[0]], r[s.columns[1]]] = g.acc[i] as [number, number];
        else r[s.columns[0]] = g.acc[i];
      });
      return r;
    });
    const bytes = arrow.tableToIPC(tableFromRows(rows, this.diskSchema()), 'file');
    await writeAtomically(file, (sink) => sink.write(bytes));
  }

  /** Replaces the groups with those saved in `file`. */
  async load(file: string): Promise<void> {
    let table: arrow.Table;
    try {
      table = arrow.tableFromIPC(await readFile(file));
    } catch (e) {
      throw new DataError(`cannot read the saved state (${(e as Error).message}); the checkpoint is damaged: start the query with a new checkpointLocation`, { file }, { cause: e });
    }
    const want = this.diskSchema().map((f) => f.name);
    const have = table.schema.fields.map((f) => f.name);
    if (want.join() !== have.join()) throw new DataError(`the saved state has columns [${have.join(', ')}], this query keeps [${want.join(', ')}]: the query changed; use a new checkpointLocation`, { file });
    this.groups.clear();
    for (const r of rowsOf(table)) {
      const key = this.keyFields.map((_, i) => r[keyColumn(i)]);
      const acc = this.sa.slots.map((s) => (s.fn === 'avg' ? [r[s.columns[0]], r[s.columns[1]]] : r[s.columns[0]]));
      this.groups.set(keyOf(key), { key, acc });
    }
  }
}
