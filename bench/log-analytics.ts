// Benchmark: top-5 paths and a two-key group-by over a generated access log, Quiver vs DuckDB vs the shell.
//
//   npm run bench:logs                       # 10M lines (~665 MB), 3 runs each
//   npm run bench:logs -- --lines 1000000 --runs 5 --no-shell [--out bench/results]
//
// Writes the table as JSON and a chart (SVG and PNG) beside it: <out>/log-analytics.{json,svg,png}.
//
// Quiver and DuckDB runs alternate, so that load on a shared machine hits both alike; the
// ratio is taken per pair and its median reported.
import { DuckDBInstance } from '@duckdb/node-api';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Quiver, col, fn } from '../core/index.ts';
import { writeAccessLog } from '../examples/data/access-log.ts';
import { renderChart } from './lib/chart.ts';
import { reexecWithBoundedMalloc } from './lib/malloc-reexec.ts';
import { arg, median, printTable, rssSampler } from './util.ts';

// Quiver runs in this process: with the malloc settings the quiver command gives it
// (bin/malloc-env.mjs), as bench:tpch and bench:cluster run it.
reexecWithBoundedMalloc();

const lines = Number(arg('lines', '10000000'));
const runs = Number(arg('runs', '3'));
const workers = Number(arg('workers', '2'));
const skipShell = process.argv.includes('--no-shell');
const log = resolve(arg('log', `bench/data/access-${lines}.log`));
const outDir = arg('out', 'bench/results');

if (!existsSync(log)) {
  console.log(`generating ${lines.toLocaleString()} lines at ${log} (once) ...`);
  await writeAccessLog(log, { lines });
}
const mb = statSync(log).size / 2 ** 20;
console.log(`log: ${log}, ${lines.toLocaleString()} lines, ${mb.toFixed(0)} MB; ${runs} alternating runs each, medians reported\n`);

const rss = rssSampler();
const q = await Quiver.local({ workers });
const top5 = () => q.read.text(log)
  .select(col('line').split(' ').at(3).alias('path'))
  .groupBy('path').agg(fn.count().alias('hits'))
  .orderBy(col('hits').desc()).limit(5)
  .collect();
const twoKey = () => q.read.text(log)
  .select(col('line').substr(1, 16).alias('minute'), col('line').split(' ').at(3).split('/').at(3).alias('prefix'))
  .groupBy('minute', 'prefix').agg(fn.count().alias('hits'))
  .count();

const duck = await (await DuckDBInstance.create(':memory:', { threads: String(workers) })).connect();
const src = `read_csv('${log}', delim=' ', header=false, quote='', escape='', auto_detect=false, columns={'ts':'VARCHAR','user':'VARCHAR','method':'VARCHAR','path':'VARCHAR'})`;
const duckTopSql = `SELECT path, count(*) AS hits FROM ${src} GROUP BY path ORDER BY hits DESC LIMIT 5`;
const duckTwoSql = `SELECT count(*) FROM (SELECT substr(ts, 1, 16) AS minute, split_part(path, '/', 4) AS prefix, count(*) FROM ${src} GROUP BY 1, 2)`;

// Warm-up (worker start, JIT) and the correctness check; Quiver's own peak RSS is read here,
// before DuckDB has run in this process.
const quiverTop = await top5();
const quiverOnlyTopRss = rss.peakMB();
const duckTop = (await duck.runAndReadAll(duckTopSql)).getRowObjects();
console.log('Quiver top 5:', quiverTop.toArray().map((r) => `${r.path} ${r.hits}`).join(', '));
console.log('DuckDB top 5:', duckTop.map((r) => `${r.path} ${r.hits}`).join(', '));
const same = JSON.stringify(quiverTop.toArray().map((r) => [r.path, Number(r.hits)])) === JSON.stringify(duckTop.map((r) => [r.path, Number(r.hits)]));
rss.reset();
const twoQ = await twoKey();
const quiverOnlyTwoRss = rss.peakMB();
const twoD = Number((await duck.runAndReadAll(duckTwoSql)).getRows()[0][0]);
console.log(`results identical to DuckDB: top-5 ${same}, two-key group count ${twoQ === twoD} (${twoQ} groups)\n`);

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

async function pairs(qf: () => Promise<unknown>, df: () => Promise<unknown>) {
  const qs: number[] = [], ds: number[] = [], ratios: number[] = [];
  rss.reset();
  for (let i = 0; i < runs; i++) {
    const tq = await time(qf);
    const td = await time(df);
    qs.push(tq); ds.push(td); ratios.push(tq / td);
  }
  return { qs, ds, ratio: median(ratios), peak: rss.peakMB() };
}

const top = await pairs(top5, () => duck.runAndReadAll(duckTopSql));
const two = await pairs(twoKey, () => duck.runAndReadAll(duckTwoSql));
await q.close();

let tShell = NaN;
if (!skipShell) {
  tShell = await time(async () => execSync(`LC_ALL=C awk '{print $4}' '${log}' | LC_ALL=C sort | LC_ALL=C uniq -c | LC_ALL=C sort -rn | head -5`, { stdio: 'pipe', shell: '/bin/bash' }));
}

const table = [
  { query: 'top-5 paths', quiver_s: median(top.qs), duckdb_s: median(top.ds), shell_s: tShell, 'quiver/duckdb': top.ratio, 'shell/quiver': tShell / median(top.qs), peak_rss_mb: top.peak },
  { query: 'group by (minute, prefix)', quiver_s: median(two.qs), duckdb_s: median(two.ds), shell_s: NaN, 'quiver/duckdb': two.ratio, 'shell/quiver': NaN, peak_rss_mb: two.peak },
];
printTable(table);
console.log(`\nruns (s): top-5 quiver ${top.qs.map((t) => t.toFixed(2)).join(' ')} | duckdb ${top.ds.map((t) => t.toFixed(2)).join(' ')}`);
console.log(`          two-key quiver ${two.qs.map((t) => t.toFixed(2)).join(' ')} | duckdb ${two.ds.map((t) => t.toFixed(2)).join(' ')}`);
console.log(`peak RSS of Quiver alone (driver + ${workers} worker threads, before DuckDB ran): top-5 ${quiverOnlyTopRss.toFixed(0)} MB, two-key ${quiverOnlyTwoRss.toFixed(0)} MB`);
console.log('(peak_rss_mb in the table is the whole process during the alternating runs, DuckDB included)');
rss.stop();

// The chart: seconds per query and engine (the shell runs the top-5 query only).
const engines = [`Quiver (${workers} workers)`, `DuckDB (${workers} threads)`, 'awk | sort | uniq'];
const points = table.flatMap((r) => [
  { query: r.query, engine: engines[0], seconds: r.quiver_s },
  { query: r.query, engine: engines[1], seconds: r.duckdb_s },
  { query: r.query, engine: engines[2], seconds: r.shell_s },
]).filter((p) => Number.isFinite(p.seconds));
const shown = engines.filter((e) => points.some((p) => p.engine === e));
const base = `${outDir}/log-analytics`;
mkdirSync(outDir, { recursive: true });
writeFileSync(`${base}.json`, JSON.stringify({ lines, mb, runs, runsSeconds: { top5: { quiver: top.qs, duckdb: top.ds }, twoKey: { quiver: two.qs, duckdb: two.ds } }, rows: table }, null, 2) + '\n');
const charts = await renderChart({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  config: { font: 'DejaVu Sans', view: { stroke: null } },
  title: { text: `Log analytics over ${lines.toLocaleString('en-US')} lines (${mb.toFixed(0)} MB): seconds (lower is better), median of ${runs} run${runs === 1 ? '' : 's'}`, anchor: 'start' },
  width: 440, height: 200,
  data: { values: points },
  mark: { type: 'bar' },
  encoding: {
    y: { field: 'query', type: 'nominal', title: null, axis: { labelLimit: 320 } },
    yOffset: { field: 'engine', type: 'nominal', sort: shown },
    x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
    color: { field: 'engine', type: 'nominal', title: null, scale: { domain: shown, range: shown.map((e) => ['#1f4e99', '#d9622b', '#8c8c8c'][engines.indexOf(e)]) }, legend: { orient: 'bottom' } },
    tooltip: [{ field: 'engine' }, { field: 'query' }, { field: 'seconds', format: '.2f' }],
  },
}, base);
console.log(`wrote ${base}.json, ${charts.join(', ')}`);
