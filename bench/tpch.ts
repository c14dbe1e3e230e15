// Benchmark: the 22 TPC-H queries as SQL text, through q.sql (Quiver, 2 workers) and DuckDB (2 threads), on the same Parquet files in the same run.
//
//   npm run bench:tpch                          # SF 1, 3 runs: about 10 minutes on 2 cores
//   npm run bench:tpch -- --sf 0.1 --runs 5     # the shared SF 0.1 files as they are
//   npm run bench:tpch -- --queries 1,6,13
//
// Data: SF 0.1 is ../shared/tpch/sf0.1 (dbgen 2.14; INTEGER keys, DOUBLE decimals, DATE dates).
// SF n > 0.1 is made once, by DuckDB, under --dir: every table but nation and region repeated
// 10n times with all keys shifted together (orderkey, custkey, partkey, suppkey), so every join
// still matches and each copy keeps dbgen's distributions; zstd, row groups of 122,880 rows.
//
// Method: each engine runs in its own process (so each peak RSS, VmHWM, is its own) that first
// runs every query once (warm-up: worker start, page cache, JIT), then once timed. Processes
// alternate (Quiver, DuckDB, DuckDB, Quiver, ...) --runs times; per query the ratio
// Quiver/DuckDB is taken per pair and its median reported, with the geomean over the queries.
// Row counts of the two engines must agree (the values are checked at SF 0.1 by
// test/sql/tpch.test.ts). The fixed cost per query is Quiver's median minus DuckDB's at SF 0.1.
// Peak RSS per query: each timed query starts a new VmHWM (clear_refs); the column is the
// highest over the runs, and the overall peak covers the warm-up pass too.
//
// Flags: --sf N (1); --runs N (3); --queries 1,2,... (all 22); --workers N (2); --dir DIR (data,
// default the OS temp directory); --out DIR (bench/results).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Quiver } from '../core/index.ts';
import { withBoundedMalloc } from '../bin/malloc-env.mjs';
import { renderChart } from './lib/chart.ts';
import { arg, median, printTable } from './util.ts';

const SELF = fileURLToPath(import.meta.url);
const QUERIES = resolve(fileURLToPath(new URL('../test/fixtures/tpch', import.meta.url)));
const SHARED = resolve(fileURLToPath(new URL('../../shared/tpch/sf0.1', import.meta.url)));
const TABLES = ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'supplier', 'nation', 'region'] as const;
const role = arg('role', '');
const workers = Number(arg('workers', '2'));

/** This process's peak resident memory (VmHWM), worker threads included. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts a new peak (VmHWM) at the current RSS, where the kernel allows it. */
function resetPeakRss(): void {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux, or not allowed: the peak covers the whole run */ }
}

const queryText = (n: number) => readFileSync(join(QUERIES, `q${String(n).padStart(2, '0')}.sql`), 'utf8');
const tablePath = (dir: string, t: string) => join(dir, `${t}.parquet`);

async function duck(threads = workers): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(':memory:', { threads: String(threads) })).connect();
}

// ---- child roles: every query once to warm up, then once timed; prints {seconds, rows, peakMb} --
if (role === 'quiver' || role === 'duckdb') {
  const dir = arg('data', '');
  const qs = arg('queries', '').split(',').map(Number);
  let run: (n: number) => Promise<number>;
  let close: () => Promise<void>;
  if (role === 'quiver') {
    const q = await Quiver.local({ workers, quiet: true, ui: false });
    for (const t of TABLES) q.registerTable(t, tablePath(dir, t));
    run = async (n) => (await q.sql(queryText(n)).collect()).numRows;
    close = () => q.close();
  } else {
    const c = await duck();
    for (const t of TABLES) await c.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${tablePath(dir, t)}')`);
    run = async (n) => (await c.runAndReadAll(queryText(n))).getRows().length;
    close = async () => c.closeSync();
  }
  const seconds: Record<number, number> = {}, rows: Record<number, number> = {}, peakMbByQuery: Record<number, number> = {};
  for (const n of qs) await run(n);
  let peakMb = peakRssMb();
  for (const n of qs) {
    // Each timed query's own peak: Linux resets VmHWM to the current RSS on "5" to clear_refs.
    resetPeakRss();
    const t0 = performance.now();
    rows[n] = await run(n);
    seconds[n] = (performance.now() - t0) / 1000;
    peakMbByQuery[n] = peakRssMb();
    peakMb = Math.max(peakMb, peakMbByQuery[n]);
  }
  await close();
  console.log(JSON.stringify({ seconds, rows, peakMb, peakMbByQuery }));
  process.exit(0);
}

interface ChildOut { seconds: Record<number, number>; rows: Record<number, number>; peakMb: number; peakMbByQuery: Record<number, number> }

/** Runs one engine's pass in a fresh process (as the quiver command runs: bin/malloc-env.mjs) and returns what it printed. */
async function child(args: string[]): Promise<ChildOut> {
  const p = spawn(process.execPath, [...process.execArgv, SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: withBoundedMalloc(process.env) });
  let out = '';
  p.stdout!.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bench child ${args.join(' ')} failed (exit ${code}):\n${out.slice(-2000)}`);
  return JSON.parse(line) as ChildOut;
}

/** The tables at scale factor `sf`: the shared SF 0.1 files, or copies of them with shifted keys (made once). */
async function dataFor(sf: number, root: string): Promise<string> {
  if (sf === 0.1) return SHARED;
  const copies = Math.round(sf / 0.1);
  if (copies < 1 || Math.abs(copies * 0.1 - sf) > 1e-9) throw new Error(`--sf must be a multiple of 0.1, got ${sf}`);
  const dir = join(root, `sf${sf}`);
  if (existsSync(join(dir, '_DONE'))) return dir;
  mkdirSync(dir, { recursive: true });
  console.log(`making SF ${sf} under ${dir} (${copies} shifted copies of SF 0.1; once) ...`);
  const c = await duck(cpus().length);
  const src = (t: string) => `read_parquet('${tablePath(SHARED, t)}')`;
  const max = async (sql: string) => Number((await c.runAndReadAll(sql)).getRows()[0][0]);
  const O = await max(`SELECT max(o_orderkey) FROM ${src('orders')}`);
  const C = await max(`SELECT max(c_custkey) FROM ${src('customer')}`);
  const P = await max(`SELECT max(p_partkey) FROM ${src('part')}`);
  const S = await max(`SELECT max(s_suppkey) FROM ${src('supplier')}`);
  const shifted: Record<string, { keys: Record<string, number>; order: string }> = {
    lineitem: { keys: { l_orderkey: O, l_partkey: P, l_suppkey: S }, order: 'l_orderkey, l_linenumber' },
    orders: { keys: { o_orderkey: O, o_custkey: C }, order: 'o_orderkey' },
    customer: { keys: { c_custkey: C }, order: 'c_custkey' },
    part: { keys: { p_partkey: P }, order: 'p_partkey' },
    partsupp: { keys: { ps_partkey: P, ps_suppkey: S }, order: 'ps_partkey, ps_suppkey' },
    supplier: { keys: { s_suppkey: S }, order: 's_suppkey' },
  };
  const opts = `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`;
  for (const t of TABLES) {
    const s = shifted[t];
    const tmp = `${tablePath(dir, t)}.tmp`;
    if (!s) await c.run(`COPY (SELECT * FROM ${src(t)}) TO '${tmp}' ${opts}`);
    else {
      const replace = Object.entries(s.keys).map(([k, off]) => `(${k} + r.i * ${off})::INTEGER AS ${k}`).join(', ');
      await c.run(`COPY (SELECT * EXCLUDE (i) REPLACE (${replace}) FROM range(${copies}) r(i), ${src(t)} ORDER BY ${s.order}) TO '${tmp}' ${opts}`);
    }
    renameSync(tmp, tablePath(dir, t));
  }
  writeFileSync(join(dir, '_DONE'), '');
  c.closeSync();
  return dir;
}

// ---- the driver of the benchmark ---------------------------------------------------------------
const sf = Number(arg('sf', '1'));
const runs = Number(arg('runs', '3'));
const queries = arg('queries', Array.from({ length: 22 }, (_, i) => i + 1).join(',')).split(',').map(Number);
const outDir = arg('out', 'bench/results');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const data = await dataFor(sf, resolve(arg('dir', join(tmpdir(), 'quiver-bench-tpch'))));
console.log(`bench:tpch SF ${sf} on ${cpu} (${cpus().length} cores): Quiver (${workers} workers, q.sql) vs DuckDB (${workers} threads), ${runs} runs, data ${data}\n`);

const childArgs = ['--data', data, '--queries', queries.join(','), '--workers', String(workers)];
const quiver: ChildOut[] = [], duckdb: ChildOut[] = [];
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ['quiver', 'duckdb'] : ['duckdb', 'quiver'];
  for (const r of order) (r === 'quiver' ? quiver : duckdb).push(await child(['--role', r, ...childArgs]));
  const last = (xs: ChildOut[]) => xs[xs.length - 1];
  for (const n of queries) {
    // Q15 keeps the suppliers whose revenue equals the maximum. Above SF 0.1 each supplier has
    // copies with the same lineitems, so their revenues tie in exact arithmetic (10 suppliers at
    // SF 1, computed by DuckDB over DECIMAL); summed as doubles, which copies still tie depends on
    // the order of the additions (DuckDB's parallel sums keep 1, Quiver's 10). Its row count is
    // only checked at SF 0.1, where the tests compare its values too.
    if (n === 15 && sf > 0.1) continue;
    if (last(quiver).rows[n] !== last(duckdb).rows[n]) throw new Error(`Q${n}: Quiver gave ${last(quiver).rows[n]} rows, DuckDB ${last(duckdb).rows[n]}`);
  }
  console.log(`run ${i + 1}/${runs}: Quiver ${queries.reduce((s, n) => s + last(quiver).seconds[n], 0).toFixed(1)} s, DuckDB ${queries.reduce((s, n) => s + last(duckdb).seconds[n], 0).toFixed(1)} s in all`);
}

const rows = queries.map((n) => {
  const ratios = quiver.map((r, i) => r.seconds[n] / duckdb[i].seconds[n]);
  const qs = median(quiver.map((r) => r.seconds[n])), ds = median(duckdb.map((r) => r.seconds[n]));
  return {
    query: `Q${n}`, rows: quiver[0].rows[n], quiver_s: qs, duckdb_s: ds, 'quiver/duckdb': median(ratios), over_ms: (qs - ds) * 1000,
    quiver_peak_mb: Math.max(...quiver.map((r) => r.peakMbByQuery[n])), duckdb_peak_mb: Math.max(...duckdb.map((r) => r.peakMbByQuery[n])),
  };
});
const geomean = Math.exp(rows.reduce((s, r) => s + Math.log(r['quiver/duckdb']), 0) / rows.length);
const worst = rows.reduce((a, b) => (b['quiver/duckdb'] > a['quiver/duckdb'] ? b : a));
const peakQuiver = Math.max(...quiver.map((r) => r.peakMb)), peakDuck = Math.max(...duckdb.map((r) => r.peakMb));
console.log(`\nTPC-H SF ${sf}, medians of ${runs} runs (ratio per pair, then median); ${cpu}`);
printTable(rows);
console.log(`\ngeomean Quiver/DuckDB ${geomean.toFixed(2)}x (bar <= 3, goal <= 1.5); slowest ${worst.query} ${worst['quiver/duckdb'].toFixed(2)}x (bar <= 6)`);
console.log(`peak RSS: Quiver ${peakQuiver.toFixed(0)} MB (bar < 2048), DuckDB ${peakDuck.toFixed(0)} MB`);

mkdirSync(outDir, { recursive: true });
const base = join(outDir, `tpch-sf${sf}`);
writeFileSync(`${base}.json`, JSON.stringify({ sf, cpu, runs, workers, geomean, peakQuiverMb: peakQuiver, peakDuckdbMb: peakDuck, rows, quiver, duckdb }, null, 2));
const points = rows.flatMap((r) => [{ query: r.query, engine: 'Quiver', seconds: r.quiver_s }, { query: r.query, engine: 'DuckDB', seconds: r.duckdb_s }]);
const charts = await renderChart({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  config: { font: 'DejaVu Sans', view: { stroke: null } },
  title: { text: `TPC-H SF ${sf} on ${cpu}: seconds per query (lower is better); geomean ${geomean.toFixed(2)}x DuckDB`, anchor: 'start' },
  width: 560, height: 220,
  data: { values: points },
  mark: { type: 'bar' },
  encoding: {
    x: { field: 'query', type: 'nominal', sort: null, title: null },
    xOffset: { field: 'engine' },
    y: { field: 'seconds', type: 'quantitative', title: 'seconds' },
    color: { field: 'engine', type: 'nominal', title: null },
  },
}, base);
console.log(`\nwrote ${base}.json, ${charts.join(', ')}`);
