// Benchmark: scheduling overhead, 10,000 tiny tasks in local mode (tasks/s).
//
//   npm run bench:tasks
//
// Two workloads over an in-memory table of 10,000 one-row partitions:
//  - scan+filter: each task decodes its partition and filters it to nothing (no output to move):
//    the scheduler's own overhead per task;
//  - count(): each task also aggregates and writes a shuffle block, then one task merges 10,000 blocks.
import { Quiver, col } from '../core/index.ts';
import { arg, median, timeRuns } from './util.ts';

const tasks = Number(arg('tasks', '10000'));
const runs = Number(arg('runs', '5'));
const q = await Quiver.local({ workers: 2 });
const rows = Array.from({ length: tasks }, (_, i) => ({ x: i }));
const df = q.createDataFrame(rows, { partitions: tasks });

const scan = df.filter(col('x').lt(0));
if ((await scan.collect()).numRows !== 0) throw new Error('wrong filter result');
const tScan = median(await timeRuns(runs, () => scan.collect()));
const scanJob = q.session.lastJob!;

if ((await df.count()) !== tasks) throw new Error('wrong count');
const tCountRuns = await timeRuns(runs, () => df.count());
const tCount = median(tCountRuns);
const countJob = q.session.lastJob!;
await q.close();

console.log(`scan+filter: ${scanJob.tasks.toLocaleString()} tasks, median ${tScan.toFixed(3)} s -> ${(scanJob.tasks / tScan).toFixed(0)} tasks/s`);
console.log(`count():     ${countJob.tasks.toLocaleString()} tasks (${countJob.stages} stages), median ${tCount.toFixed(3)} s -> ${(countJob.tasks / tCount).toFixed(0)} tasks/s`);
console.log(`             stage wall times ${countJob.stageMs.map((x) => x.toFixed(0)).join(', ')} ms; summed task times ${countJob.taskMs.map((x) => x.toFixed(0)).join(', ')} ms`);
