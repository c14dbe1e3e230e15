// Micro-benchmark: KeyTable insert/lookup rows/s by key shape and distinct count, and takeData rows/s by type.
//
//   npm run bench:hash
//   npm run bench:hash -- --runs 5 --rows 6000000 --distinct 10000,1000000,5000000 --only int32,utf8
//
// Flags: --runs N (medians reported), --rows N (rows per case), --distinct list (distinct keys
// per case), --only list (key shapes: int32, int64, 2xint32, utf8; and take), --out DIR
// (default bench/results). Rows come in batches of 64Ki, as operators see them. Every
// distinct key appears at least once; the rest are drawn uniformly, and the rows shuffled.
// Insert builds a fresh table over all rows (no capacity hint, as aggregation does); lookup
// probes the same rows against a table built beforehand (as a join's probe side does).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { rng } from '../examples/data/access-log.ts';
import { KeyTable } from '../ops/compute/key-table.ts';
import { takeData } from '../ops/compute/take.ts';
import { arg, median, printTable } from './util.ts';

const BATCH = 65536;
const runs = Number(arg('runs', '3'));
const rows = Number(arg('rows', '6000000'));
const distincts = arg('distinct', '10000,1000000,5000000').split(',').map(Number);
const only = arg('only', 'int32,int64,2xint32,utf8,take').split(',');
const outDir = arg('out', 'bench/results');

/** A key shape: its Arrow types and how to make batch columns from distinct-key numbers. */
interface Shape { name: string; types: arrow.DataType[]; columns(keys: Int32Array): arrow.Data[] }

/** A bijection on 32 bits, so that key k's value does not reveal k (no sequential keys). */
const scramble = (k: number, salt: number) => { const x = Math.imul(k ^ salt, 0x9e3779b1); return x ^ (x >>> 16); };

function int32Col(keys: Int32Array, salt: number): arrow.Data {
  const v = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) v[i] = scramble(keys[i], salt);
  return arrow.makeData({ type: new arrow.Int32(), length: v.length, nullCount: 0, data: v });
}

function int64Col(keys: Int32Array): arrow.Data {
  const v = new BigInt64Array(keys.length);
  const w = new Int32Array(v.buffer);
  for (let i = 0; i < keys.length; i++) { w[2 * i] = scramble(keys[i], 1); w[2 * i + 1] = keys[i] & 0xff; }
  return arrow.makeData({ type: new arrow.Int64(), length: v.length, nullCount: 0, data: v });
}

function utf8Col(keys: Int32Array): arrow.Data {
  const enc = new TextEncoder();
  const offs = new Int32Array(keys.length + 1);
  const parts = Array.from(keys, (k) => enc.encode(`Customer#${String(scramble(k, 2) >>> 0).padStart(10, '0')}`));
  for (let i = 0; i < keys.length; i++) offs[i + 1] = offs[i] + parts[i].length;
  const bytes = new Uint8Array(offs[keys.length]);
  for (let i = 0; i < keys.length; i++) bytes.set(parts[i], offs[i]);
  return arrow.makeData({ type: new arrow.Utf8(), length: keys.length, nullCount: 0, valueOffsets: offs, data: bytes });
}

const SHAPES: Shape[] = [
  { name: 'int32', types: [new arrow.Int32()], columns: (k) => [int32Col(k, 0)] },
  { name: 'int64', types: [new arrow.Int64()], columns: (k) => [int64Col(k)] },
  { name: '2xint32', types: [new arrow.Int32(), new arrow.Int32()], columns: (k) => [int32Col(k, 3), int32Col(k, 4)] },
  { name: 'utf8', types: [new arrow.Utf8()], columns: (k) => [utf8Col(k)] },
];

/** Distinct-key numbers of `n` rows: each of 0..distinct-1 at least once, shuffled. */
function keyRows(n: number, distinct: number, seed: number): Int32Array {
  const r = rng(seed);
  const k = new Int32Array(n);
  for (let i = 0; i < n; i++) k[i] = i < distinct ? i : Math.floor(r() * distinct);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const t = k[i]; k[i] = k[j]; k[j] = t; }
  return k;
}

function batchesOf(keys: Int32Array, shape: Shape): arrow.Data[][] {
  const out: arrow.Data[][] = [];
  for (let s = 0; s < keys.length; s += BATCH) out.push(shape.columns(keys.subarray(s, Math.min(keys.length, s + BATCH))));
  return out;
}

function insertAll(shape: Shape, batches: arrow.Data[][]): KeyTable {
  const t = new KeyTable(shape.types);
  const ids = new Int32Array(BATCH);
  for (const b of batches) t.insert(b, b[0].length, ids);
  return t;
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

const results: { case: string; op: string; distinct: number; rows: number; times: number[]; rowsPerSec: number }[] = [];
function record(name: string, op: string, distinct: number, times: number[]): void {
  const rowsPerSec = rows / median(times);
  results.push({ case: name, op, distinct, rows, times, rowsPerSec });
  console.log(`${name.padEnd(8)} ${op.padEnd(7)} ${String(distinct).padStart(8)} distinct: ${(rowsPerSec / 1e6).toFixed(2)} M rows/s`);
}

for (const shape of SHAPES.filter((s) => only.includes(s.name))) {
  for (const distinct of distincts) {
    const batches = batchesOf(keyRows(rows, distinct, 42 + distinct), shape);
    const ins: number[] = [], look: number[] = [];
    let table: KeyTable | null = null;
    for (let r = 0; r < runs; r++) ins.push(time(() => { table = insertAll(shape, batches); }));
    if (table!.size !== distinct) throw new Error(`${shape.name}: ${table!.size} groups, expected ${distinct}`);
    const ids = new Int32Array(BATCH);
    for (let r = 0; r < runs; r++) look.push(time(() => { for (const b of batches) table!.lookup(b, b[0].length, ids); }));
    record(shape.name, 'insert', distinct, ins);
    record(shape.name, 'lookup', distinct, look);
  }
}

if (only.includes('take')) {
  // Gathers from a 1M-row column by random indices, 64Ki at a time (what joins and sorts do).
  const SRC = 1 << 20;
  const r = rng(7);
  const srcKeys = keyRows(SRC, SRC, 7);
  const idx: Int32Array[] = [];
  for (let s = 0; s < rows; s += BATCH) idx.push(Int32Array.from({ length: Math.min(BATCH, rows - s) }, () => Math.floor(r() * SRC)));
  const f64 = arrow.makeData({ type: new arrow.Float64(), length: SRC, nullCount: 0, data: Float64Array.from(srcKeys, (k) => k * 0.5) });
  const int64 = int64Col(srcKeys);
  for (const [name, d] of [['int32', int32Col(srcKeys, 0)], ['int64', int64], ['float64', f64], ['utf8', utf8Col(srcKeys)]] as const) {
    const times: number[] = [];
    for (let k = 0; k < runs; k++) times.push(time(() => { for (const ix of idx) takeData(d, ix); }));
    record(`take ${name}`, 'take', SRC, times);
  }
}

printTable(results.map((x) => ({ case: x.case, op: x.op, distinct: String(x.distinct), 'M rows/s': x.rowsPerSec / 1e6 })));
mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'hash-table.json');
writeFileSync(file, JSON.stringify({
  date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgAtStart: loadavg()[0] },
  rows, batch: BATCH, runs, results,
}, null, 1));
console.log(`\nwrote ${file}`);
