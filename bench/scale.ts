// Benchmark: big data on one machine — a distributed sort to Parquet part files, a join whose sides exceed memoryBudget, and a partitioned write from a cluster's executors; each against DuckDB in the same run.
//
//   npm run bench:scale                                    # 100M-row sort, 50M-row cluster write (no join)
//   npm run bench:scale -- --join-rows 12000000 --join-budget-mb 32   # + a join whose sides are 4.5x its budget per task
//
// 1. Sort: N rows (int64 key, 20-byte string) in one Parquet file of 1M-row row groups ->
//    `orderBy('k').write.parquet(dir)` (Quiver, 2 workers) vs DuckDB's
//    `COPY (SELECT * ... ORDER BY k) TO ...` (2 threads). Each engine runs in its own process, so
//    each peak RSS (VmHWM) is its own; runs alternate and the ratio is taken per pair. Quiver's
//    output is checked by DuckDB: every part file ordered, files ordered by partition, the same
//    rows (count, sum of keys, sum of string hashes).
// 2. Join: two tables of --join-rows rows (about 48 bytes a row in Arrow memory), joined on a key
//    and aggregated with memoryBudget --join-budget-mb; the output says how many times the budget
//    each side is per task partition; the result must equal DuckDB's, and the join must spill.
// 3. Cluster write: a driver and 2 executors (1 worker each) over NATS; N rows written with
//    `partitionBy('c')` (100 values); the driver's peak RSS is its own process's; DuckDB reads
//    the output directory: every id present exactly once.
//
// Flags: --sort-rows, --join-rows, --write-rows (0 skips a part); --runs N (sort pairs, 1);
// --budget-mb N (memoryBudget of the Quiver sessions, 256); --join-budget-mb N (the join's, the
// same by default); --dir DIR (data, default the OS temp directory); --out DIR (bench/results).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { col, fn, Quiver } from '../core/index.ts';
import { startBenchNats, startExecutorProcess } from './lib/cluster.ts';
import { renderChart } from './lib/chart.ts';
import { arg, median, printTable } from './util.ts';
import { withBoundedMalloc } from '../bin/malloc-env.mjs';

const SELF = fileURLToPath(import.meta.url);
const role = arg('role', '');
const budgetMb = Number(arg('budget-mb', '256'));
/** The join's memoryBudget: its sides must exceed it 4x per task, which at 256 MB means sides of several GB. */
const joinBudgetMb = Number(arg('join-budget-mb', String(budgetMb)));
const workers = 2;

/** This process's peak resident memory (VmHWM), worker threads included. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Runs one engine's part in a fresh process (so its peak RSS is its own) and returns what it printed as JSON. */
async function child(args: string[]): Promise<Record<string, number>> {
  // As the quiver command runs: with glibc's malloc returning freed buffers (bin/malloc-env.mjs).
  const p = spawn(process.execPath, [...process.execArgv, SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: withBoundedMalloc(process.env) });
  let out = '';
  p.stdout!.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bench child ${args.join(' ')} failed (exit ${code}):\n${out.slice(-2000)}`);
  return JSON.parse(line);
}

async function duck(threads = workers): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(':memory:', { threads: String(threads) })).connect();
}

const seconds = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

// ---- child roles: one engine's run, printing {seconds, peakMb, ...} ----------------------------
if (role === 'quiver-sort') {
  const q = await Quiver.local({ workers, memoryBudget: budgetMb * 2 ** 20, quiet: true, ui: false });
  const s = await seconds(() => q.read.parquet(arg('in', '')).orderBy('k').write.mode('overwrite').parquet(arg('to', '')));
  const tasks = q.session.lastJob?.tasks ?? 0;
  const spills = q.session.lastJob?.counters.spills ?? 0;
  await q.close();
  console.log(JSON.stringify({ seconds: s, peakMb: peakRssMb(), tasks, spills }));
  process.exit(0);
}
if (role === 'duckdb-sort') {
  const c = await duck();
  await c.run(`SET memory_limit='${Math.max(1, Math.round(budgetMb * workers / 1024 * 4))}GB'`);
  const s = await seconds(() => c.run(`COPY (SELECT * FROM read_parquet('${arg('in', '')}') ORDER BY k) TO '${arg('to', '')}' (FORMAT parquet)`));
  console.log(JSON.stringify({ seconds: s, peakMb: peakRssMb() }));
  process.exit(0);
}
if (role === 'quiver-join') {
  const q = await Quiver.local({ workers, memoryBudget: budgetMb * 2 ** 20, broadcastThresholdBytes: 0, quiet: true, ui: false });
  const l = q.read.parquet(arg('left', ''));
  const r = q.read.parquet(arg('right', '')).select(col('k').alias('rk'), col('v').alias('rv'), col('t').alias('rt'));
  let rows: Record<string, unknown>[] = [];
  const s = await seconds(async () => {
    rows = await l.join(r, col('k').eq(col('rk')), 'inner').agg(fn.count().alias('n'), fn.sum(col('v').add(col('rv'))).alias('sv')).toArray();
  });
  const m = q.session.lastJob!;
  await q.close();
  console.log(JSON.stringify({ seconds: s, peakMb: peakRssMb(), n: Number(rows[0].n), sv: Number(rows[0].sv), spills: m.counters.spills ?? 0, spillBytes: m.counters.spillBytes ?? 0 }));
  process.exit(0);
}
if (role === 'duckdb-join') {
  const c = await duck();
  let row: unknown[] = [];
  const s = await seconds(async () => {
    row = (await c.runAndReadAll(`SELECT count(*), sum(l.v + r.v) FROM read_parquet('${arg('left', '')}') l JOIN read_parquet('${arg('right', '')}') r ON l.k = r.k`)).getRows()[0];
  });
  console.log(JSON.stringify({ seconds: s, peakMb: peakRssMb(), n: Number(row[0]), sv: Number(row[1]) }));
  process.exit(0);
}
if (role === 'cluster-write') {
  const q = await Quiver.connect({ servers: arg('servers', ''), cluster: arg('cluster', ''), minExecutors: 2, memoryBudget: budgetMb * 2 ** 20, quiet: true, ui: false });
  const s = await seconds(() => q.read.parquet(arg('in', '')).write.mode('overwrite').partitionBy('c').parquet(arg('to', '')));
  const tasks = q.session.lastJob?.tasks ?? 0;
  await q.close();
  console.log(JSON.stringify({ seconds: s, peakMb: peakRssMb(), tasks }));
  process.exit(0);
}

// ---- the driver of the benchmark ---------------------------------------------------------------
const sortRows = Number(arg('sort-rows', '100000000'));
const joinRows = Number(arg('join-rows', '0'));
const writeRows = Number(arg('write-rows', '50000000'));
const runs = Number(arg('runs', '1'));
const outDir = arg('out', 'bench/results');
const dir = resolve(arg('dir', join(tmpdir(), 'quiver-bench-scale')));
mkdirSync(dir, { recursive: true });
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`bench:scale on ${cpu} (${cpus().length} cores), memoryBudget ${budgetMb} MB, data under ${dir}\n`);
const c = await duck();
const table: Record<string, string | number>[] = [];
const figures: Record<string, unknown> = { cpu, budgetMb };

/** Writes a table's Parquet file once (kept between runs of the benchmark). */
async function ensure(path: string, sql: string): Promise<void> {
  if (existsSync(path)) return;
  console.log(`generating ${path} ...`);
  await c.run(`COPY (${sql}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`);
}

if (sortRows > 0) {
  const input = join(dir, `sort-${sortRows}.parquet`);
  await ensure(input, `SELECT (hash(i) % 1000000000000)::BIGINT AS k, substr(md5(i::VARCHAR), 1, 20) AS s FROM range(${sortRows}) t(i)`);
  const qOut = join(dir, 'sort-out-quiver'), dOut = join(dir, 'sort-out-duckdb.parquet');
  const qs: Record<string, number>[] = [], ds: Record<string, number>[] = [], ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(dOut, { force: true });
    const a = await child(['--role', 'quiver-sort', '--in', input, '--to', qOut, '--budget-mb', String(budgetMb)]);
    const b = await child(['--role', 'duckdb-sort', '--in', input, '--to', dOut, '--budget-mb', String(budgetMb)]);
    qs.push(a); ds.push(b); ratios.push(a.seconds / b.seconds);
    console.log(`sort run ${i + 1}: Quiver ${a.seconds.toFixed(1)} s (peak ${a.peakMb.toFixed(0)} MB, ${a.tasks} tasks, ${a.spills} spills), DuckDB ${b.seconds.toFixed(1)} s (peak ${b.peakMb.toFixed(0)} MB)`);
  }
  // Ordered and complete: within each part file, across files in partition order, and the same rows.
  const files = readdirSync(qOut).filter((f) => f.endsWith('.parquet')).sort((x, y) => partOf(x) - partOf(y) || x.localeCompare(y));
  let prevMax = -Infinity, unordered = 0, count = 0;
  for (const f of files) {
    const [[bad, lo, hi, n]] = (await c.runAndReadAll(`SELECT count(*) FILTER (WHERE k < pk), min(k), max(k), count(*) FROM (SELECT k, lag(k) OVER (ORDER BY file_row_number) AS pk FROM read_parquet('${join(qOut, f)}', file_row_number = true))`)).getRows() as bigint[][];
    unordered += Number(bad);
    if (Number(n) > 0) {
      if (Number(lo) < prevMax) unordered++;
      prevMax = Number(hi);
    }
    count += Number(n);
  }
  const sums = async (src: string) => (await c.runAndReadAll(`SELECT count(*), sum(k)::VARCHAR, sum(hash(s) % 1000003)::VARCHAR FROM read_parquet('${src}')`)).getRows()[0].map(String).join('/');
  const same = (await sums(input)) === (await sums(join(qOut, '*.parquet')));
  const ok = unordered === 0 && count === sortRows && same;
  console.log(`sort output: ${files.length} part files, ${count.toLocaleString()} rows, ${unordered} out of order, same rows as the input: ${same}\n`);
  const q = median(qs.map((r) => r.seconds)), d = median(ds.map((r) => r.seconds));
  table.push({ part: `sort ${sortRows.toLocaleString()} rows -> Parquet`, quiver_s: q, duckdb_s: d, 'quiver/duckdb': median(ratios), quiver_peak_mb: Math.max(...qs.map((r) => r.peakMb)), duckdb_peak_mb: Math.max(...ds.map((r) => r.peakMb)), verified: ok ? 'yes' : 'NO' });
  figures.sort = { rows: sortRows, quiver: qs, duckdb: ds, ratios, files: files.length, ordered: unordered === 0, complete: count === sortRows && same };
}

if (joinRows > 0) {
  const left = join(dir, `join-left-${joinRows}.parquet`), right = join(dir, `join-right-${joinRows}.parquet`);
  await ensure(left, `SELECT (hash(i) % ${Math.floor(joinRows / 2)})::BIGINT AS k, i::BIGINT AS v, md5(i::VARCHAR)[1:24] AS t FROM range(${joinRows}) t(i)`);
  await ensure(right, `SELECT (hash(i + 7) % ${Math.floor(joinRows / 2)})::BIGINT AS k, (i % 1000)::BIGINT AS v, md5((i + 1)::VARCHAR)[1:24] AS t FROM range(${joinRows}) t(i)`);
  const a = await child(['--role', 'quiver-join', '--left', left, '--right', right, '--budget-mb', String(joinBudgetMb)]);
  const b = await child(['--role', 'duckdb-join', '--left', left, '--right', right]);
  const same = a.n === b.n && a.sv === b.sv;
  const perPartition = (joinRows * 48) / (workers * 2) / 2 ** 20;
  console.log(`join: Quiver ${a.seconds.toFixed(1)} s (peak ${a.peakMb.toFixed(0)} MB, ${a.spills} spill files, ${(a.spillBytes / 2 ** 20).toFixed(0)} MB spilled), DuckDB ${b.seconds.toFixed(1)} s; ${a.n} rows, equal to DuckDB: ${same}; each side ~${perPartition.toFixed(0)} MB per task partition (${(perPartition / joinBudgetMb).toFixed(1)}x its memoryBudget of ${joinBudgetMb} MB)\n`);
  table.push({ part: `join ${joinRows.toLocaleString()} x ${joinRows.toLocaleString()} rows`, quiver_s: a.seconds, duckdb_s: b.seconds, 'quiver/duckdb': a.seconds / b.seconds, quiver_peak_mb: a.peakMb, duckdb_peak_mb: b.peakMb, verified: same && a.spills > 0 ? 'yes (spilled)' : same ? 'yes (no spill)' : 'NO' });
  figures.join = { rows: joinRows, budgetMb: joinBudgetMb, perPartitionMb: perPartition, quiver: a, duckdb: b, equal: same };
}

if (writeRows > 0) {
  const input = join(dir, `write-${writeRows}.parquet`);
  await ensure(input, `SELECT i::BIGINT AS id, (i % 100)::INTEGER AS c, md5(i::VARCHAR)[1:16] AS s FROM range(${writeRows}) t(i)`);
  const to = join(dir, 'write-out');
  const nats = await startBenchNats();
  const cluster = `scale${process.pid}`;
  const execs = await Promise.all([0, 1].map((i) => startExecutorProcess({ servers: nats.url, cluster, name: `scale-${i}`, workers: 1, paths: [dir] })));
  let a: Record<string, number>;
  try {
    a = await child(['--role', 'cluster-write', '--servers', nats.url, '--cluster', cluster, '--in', input, '--to', to, '--budget-mb', String(budgetMb)]);
  } finally {
    await Promise.all(execs.map((e) => e.stop()));
    await nats.stop();
  }
  const [[n, distinct, dirs]] = (await c.runAndReadAll(`SELECT count(*), count(DISTINCT id), count(DISTINCT c) FROM read_parquet('${to}/**/*.parquet', hive_partitioning = true)`)).getRows() as bigint[][];
  const hidden = readdirSync(to).filter((f) => f.startsWith('_') && f !== '_SUCCESS');
  const ok = Number(n) === writeRows && Number(distinct) === writeRows && Number(dirs) === 100 && hidden.length === 0;
  console.log(`cluster write: ${a.seconds.toFixed(1)} s, driver peak RSS ${a.peakMb.toFixed(0)} MB, ${a.tasks} tasks; DuckDB reads ${Number(n).toLocaleString()} rows, ${Number(distinct).toLocaleString()} distinct ids, ${dirs} partition values; leftover temporary entries: ${hidden.length}\n`);
  table.push({ part: `cluster write ${writeRows.toLocaleString()} rows partitionBy(c)`, quiver_s: a.seconds, duckdb_s: NaN, 'quiver/duckdb': NaN, quiver_peak_mb: a.peakMb, duckdb_peak_mb: NaN, verified: ok ? 'yes' : 'NO' });
  figures.write = { rows: writeRows, quiver: a, rowsRead: Number(n), distinct: Number(distinct), ok };
}

printTable(table);
console.log('(quiver_peak_mb: the Quiver process (driver + worker threads; for the cluster write, the driver alone); DuckDB in its own process)');
mkdirSync(outDir, { recursive: true });
const base = `${outDir}/scale`;
writeFileSync(`${base}.json`, JSON.stringify({ ...figures, rows: table }, null, 2) + '\n');
const points = table.flatMap((r) => [
  { part: r.part, engine: 'Quiver (2 workers)', seconds: r.quiver_s },
  { part: r.part, engine: 'DuckDB (2 threads)', seconds: r.duckdb_s },
]).filter((p) => Number.isFinite(p.seconds as number));
const charts = await renderChart({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  config: { font: 'DejaVu Sans', view: { stroke: null } },
  title: { text: `Scale on ${cpu}: seconds (lower is better), memoryBudget ${budgetMb} MB`, anchor: 'start' },
  width: 440, height: 200,
  data: { values: points },
  mark: { type: 'bar' },
  encoding: {
    y: { field: 'part', type: 'nominal', title: null, axis: { labelLimit: 360 } },
    yOffset: { field: 'engine', type: 'nominal' },
    x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
    color: { field: 'engine', type: 'nominal', title: null, scale: { range: ['#1f4e99', '#d9622b'] }, legend: { orient: 'bottom' } },
  },
}, base);
console.log(`wrote ${base}.json, ${charts.join(', ')}`);

/** The partition index in a part file's name (part-<partition>-...). */
function partOf(name: string): number {
  const m = /^part-(\d+)-/.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

