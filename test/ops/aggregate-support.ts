// Shared by the aggregate and join tests: random tables, row normalization and a naive aggregate reference.
import * as arrow from 'apache-arrow';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import type { AggFn, ExprNode } from '../../ops/expr/node.ts';
import { collect, makeContext, SourceExec } from './stream-support.ts';

export const agg = (fn: AggFn, arg: string | null, alias?: string): ExprNode => {
  const a: ExprNode = { kind: 'agg', fn, arg: arg === null ? null : { kind: 'column', name: arg } };
  return alias ? { kind: 'alias', arg: a, name: alias } : a;
};

/** A small deterministic PRNG (tests must not depend on Math.random). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Gen { rows: number; groups: number; nullRate?: number; seed?: number }

/** Columns: k (utf8 key), g (int32 key), v (int32), f (float64), s (utf8), b (bool), big (int64), ts (timestamp). */
export function randomTable({ rows, groups, nullRate = 0.1, seed = 1 }: Gen): arrow.Table {
  const r = rng(seed);
  const maybe = <T>(x: T): T | null => (r() < nullRate ? null : x);
  const k: (string | null)[] = [], g: (number | null)[] = [], v: (number | null)[] = [], f: (number | null)[] = [];
  const s: (string | null)[] = [], b: (boolean | null)[] = [], big: (bigint | null)[] = [], ts: (number | null)[] = [];
  for (let i = 0; i < rows; i++) {
    const grp = Math.floor(r() * groups);
    k.push(maybe(`key-${grp % 997}-${'x'.repeat(grp % 7)}`));
    g.push(maybe(Math.floor(grp / 997)));
    v.push(maybe(Math.floor(r() * 200) - 100));
    f.push(maybe(Math.round(r() * 1e4) / 100));
    s.push(maybe(['', 'apple', 'Äpfel', 'banana', 'zebra', 'ab'][Math.floor(r() * 6)]));
    b.push(maybe(r() < 0.5));
    big.push(maybe(BigInt(Math.floor(r() * 1000)) * 10000000000n - 5000000000000n));
    ts.push(maybe(1_600_000_000_000 + Math.floor(r() * 1e9)));
  }
  return new arrow.Table({
    k: arrow.vectorFromArray(k, new arrow.Utf8()),
    g: arrow.vectorFromArray(g, new arrow.Int32()),
    v: arrow.vectorFromArray(v, new arrow.Int32()),
    f: arrow.vectorFromArray(f, new arrow.Float64()),
    s: arrow.vectorFromArray(s, new arrow.Utf8()),
    b: arrow.vectorFromArray(b, new arrow.Bool()),
    big: arrow.vectorFromArray(big, new arrow.Int64()),
    ts: arrow.vectorFromArray(ts, new arrow.TimestampMillisecond()),
  });
}

/** The table's rows in batches of `size` (slices of one batch, so offsets are exercised). */
export function batchesOf(t: arrow.Table, size: number): arrow.RecordBatch[] {
  if (t.batches.length !== 1) throw new Error('batchesOf expects a table with one batch');
  const whole = t.batches[0];
  const out: arrow.RecordBatch[] = [];
  for (let i = 0; i < t.numRows; i += size) out.push(whole.slice(i, Math.min(t.numRows, i + size)));
  return out;
}

/** Plain JS values: bigint -> number when safe, else string; floats rounded to 9 digits. */
export function norm(x: unknown): unknown {
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
  if (typeof x === 'number') return Number.isInteger(x) ? x : Number(x.toPrecision(9));
  if (x instanceof Uint8Array) return Array.from(x).join(',');
  return x ?? null;
}

export function rowsOf(batches: readonly arrow.RecordBatch[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const b of batches) {
    const names = b.schema.fields.map((f) => f.name);
    const cols = names.map((n) => b.getChild(n)!);
    for (let i = 0; i < b.numRows; i++) {
      const row: Record<string, unknown> = {};
      names.forEach((n, c) => { row[n] = norm(cols[c].get(i)); });
      out.push(row);
    }
  }
  return out;
}

export function sortRows(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}

export async function run(plan: ExecPlan, opts: { batchSize?: number; memoryBudget?: number; partition?: number } = {}) {
  const ctx = await makeContext(opts);
  const batches = await collect(plan.execute(opts.partition ?? 0, ctx));
  return { batches, rows: rowsOf(batches), ctx };
}

export function source(t: arrow.Table, partitions: number, batchSize: number): SourceExec {
  const all = batchesOf(t, batchSize);
  const parts: arrow.RecordBatch[][] = Array.from({ length: partitions }, () => []);
  // Contiguous ranges per partition, so "input order" is partition order then batch order.
  const per = Math.ceil(all.length / partitions);
  all.forEach((b, i) => parts[Math.min(partitions - 1, Math.floor(i / per))].push(b));
  return new SourceExec(t.schema, parts);
}

type Row = Record<string, unknown>;

/** Naive aggregate over JS rows: the reference the operator is compared with. */
export function referenceAggregate(rows: Row[], keys: string[], aggs: { fn: AggFn; arg: string | null; name: string }[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = JSON.stringify(keys.map((c) => r[c]));
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  if (keys.length === 0 && groups.size === 0) groups.set('[]', []);
  const cmp = (a: unknown, b: unknown): number => {
    if (typeof a === 'string' && typeof b === 'string') {
      const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    }
    if (typeof a === 'boolean') return Number(a) - Number(b);
    if (typeof a === 'bigint' || typeof b === 'bigint') return a! < b! ? -1 : a! > b! ? 1 : 0;
    return (a as number) - (b as number);
  };
  const out: Row[] = [];
  for (const [k, rs] of groups) {
    const row: Row = {};
    const kv = JSON.parse(k) as unknown[];
    keys.forEach((c, i) => { row[c] = kv[i]; });
    for (const a of aggs) {
      const vals = a.arg === null ? rs.map(() => 1) : rs.map((r) => r[a.arg!]);
      const nn = vals.filter((x) => x !== null && x !== undefined);
      let res: unknown;
      switch (a.fn) {
        case 'countStar': res = rs.length; break;
        case 'count': res = nn.length; break;
        case 'sum': res = nn.length ? nn.reduce((s: number, x) => s + Number(x), 0) : null; break;
        case 'avg': res = nn.length ? nn.reduce((s: number, x) => s + Number(x), 0) / nn.length : null; break;
        case 'min': res = nn.length ? nn.reduce((m, x) => (cmp(x, m) < 0 ? x : m)) : null; break;
        case 'max': res = nn.length ? nn.reduce((m, x) => (cmp(x, m) > 0 ? x : m)) : null; break;
        case 'first': res = vals.length ? vals[0] : null; break;
        case 'last': res = vals.length ? vals[vals.length - 1] : null; break;
        case 'countDistinct': res = new Set(nn.map((x) => JSON.stringify(norm(x)))).size; break;
      }
      row[a.name] = norm(res);
    }
    out.push(row);
  }
  return out;
}

/** A SQL literal for a plain JS value. */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return String(v);
}

/** CREATE TABLE + INSERT statements holding `t`'s rows (columns typed by `sqlTypes`). */
export function sqlTable(name: string, t: arrow.Table, sqlTypes: Record<string, string>): string[] {
  const cols = Object.keys(sqlTypes);
  const rows = rowsOf(t.batches);
  const values = rows.map((r) => `(${cols.map((c) => sqlLiteral(r[c])).join(', ')})`);
  const out = [`CREATE TABLE ${name} (${cols.map((c) => `${c} ${sqlTypes[c]}`).join(', ')})`];
  for (let i = 0; i < values.length; i += 1000) out.push(`INSERT INTO ${name} VALUES ${values.slice(i, i + 1000).join(', ')}`);
  return out;
}
