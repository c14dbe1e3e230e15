// Benchmark: top-5 paths and a two-key group-by over a generated access log, Quiver vs DuckDB vs the shell.
//
//   npm run bench:logs                       # 10M lines (~665 MB), 3 runs each
//   npm run bench:logs -- --lines 1000000 --runs 3
import { DuckDBInstance } from '@duckdb/node-api';
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Quiver, col, fn } from '../core/index.ts';
import { writeAccessLog } from '../examples/data/access-log.ts';
import { arg, median, printTable, rssSampler, timeRuns } from './util.ts';

const lines = Number(arg('lines', '10000000'));
const runs = Number(arg('runs', '3'));
const workers = Number(arg('workers', '2'));
const skipShell = process.argv.includes('--no-shell');
const log = resolve(arg('log', `bench/data/access-${lines}.log`));

if (!existsSync(log)) {
  console.log(`generating ${lines.toLocaleString()} lines at ${log} (once) ...`);
  await writeAccessLog(log, { lines });
}
const mb = statSync(log).size / 2 ** 20;
console.log(`log: ${log}, ${lines.toLocaleString()} lines, ${mb.toFixed(0)} MB; ${runs} runs each, median reported\n`);

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

const quiverTop = await top5();
console.log('Quiver top 5:', quiverTop.toArray().map((r) => `${r.path} ${r.hits}`).join(', '));
const tQuiverTop = await timeRuns(runs, top5);
const peakTop = rss.peakMB();
rss.reset();
const tQuiverTwo = await timeRuns(runs, twoKey);
const peakTwo = rss.peakMB();
await q.close();

const duck = await (await DuckDBInstance.create(':memory:', { threads: String(workers) })).connect();
const src = `read_csv('${log}', delim=' ', header=false, quote='', escape='', auto_detect=false, columns={'ts':'VARCHAR','user':'VARCHAR','method':'VARCHAR','path':'VARCHAR'})`;
const duckTopSql = `SELECT path, count(*) AS hits FROM ${src} GROUP BY path ORDER BY hits DESC LIMIT 5`;
const duckTwoSql = `SELECT count(*) FROM (SELECT substr(ts, 1, 16) AS minute, split_part(path, '/', 4) AS prefix, count(*) FROM ${src} GROUP BY 1, 2)`;
const duckTop = (await duck.runAndReadAll(duckTopSql)).getRowObjects();
console.log('DuckDB top 5:', duckTop.map((r) => `${r.path} ${r.hits}`).join(', '));
const tDuckTop = await timeRuns(runs, () => duck.runAndReadAll(duckTopSql));
const tDuckTwo = await timeRuns(runs, () => duck.runAndReadAll(duckTwoSql));

let tShell = NaN;
if (!skipShell) {
  const t0 = performance.now();
  execSync(`LC_ALL=C awk '{print $4}' '${log}' | LC_ALL=C sort | LC_ALL=C uniq -c | LC_ALL=C sort -rn | head -5`, { stdio: 'pipe', shell: '/bin/bash' });
  tShell = (performance.now() - t0) / 1000;
}

const same = JSON.stringify(quiverTop.toArray().map((r) => [r.path, Number(r.hits)])) === JSON.stringify(duckTop.map((r) => [r.path, Number(r.hits)]));
console.log(`\nresults identical to DuckDB: ${same}\n`);
printTable([
  { query: 'top-5 paths', quiver_s: median(tQuiverTop), duckdb_s: median(tDuckTop), shell_s: tShell, 'quiver/duckdb': median(tQuiverTop) / median(tDuckTop), 'shell/quiver': tShell / median(tQuiverTop) },
  { query: 'group by (minute, prefix)', quiver_s: median(tQuiverTwo), duckdb_s: median(tDuckTwo), shell_s: NaN, 'quiver/duckdb': median(tQuiverTwo) / median(tDuckTwo), 'shell/quiver': NaN },
]);
console.log(`\nQuiver peak RSS (whole process, ${workers} workers): top-5 ${peakTop.toFixed(0)} MB, two-key ${peakTwo.toFixed(0)} MB`);
console.log(`runs (s): top-5 ${tQuiverTop.map((t) => t.toFixed(2)).join(' ')}; two-key ${tQuiverTwo.map((t) => t.toFixed(2)).join(' ')}; DuckDB top-5 ${tDuckTop.map((t) => t.toFixed(2)).join(' ')}`);
rss.stop();
