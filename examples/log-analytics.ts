// Log analytics: `awk '{print $7}' | sort | uniq -c | sort -rn | head -5` as a Quiver dataflow.
//
//   npm run demo                      # 1M generated lines
//   npx tsx examples/log-analytics.ts --lines 10000000 --log out/access.log
import { existsSync } from 'node:fs';
import { Quiver, col, fn } from '../core/index.ts';
import { writeAccessLog } from './data/access-log.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const lines = Number(arg('lines', '1000000'));
const log = arg('log', `out/access-${lines}.log`);

if (!existsSync(log)) {
  console.log(`generating ${lines.toLocaleString()} log lines at ${log} ...`);
  await writeAccessLog(log, { lines });
}

const q = await Quiver.local();
try {
  const top = q.read.text(log)
    .select(col('line').split(' ').at(3).alias('path'))
    .groupBy('path').agg(fn.count().alias('hits'))
    .orderBy(col('hits').desc()).limit(5);

  console.log(await top.explain());
  const t0 = performance.now();
  await top.show();
  const s = (performance.now() - t0) / 1000;
  console.log(`top 5 paths of ${lines.toLocaleString()} lines in ${s.toFixed(2)} s on ${q.workers} workers`);
} finally {
  await q.close();
}
