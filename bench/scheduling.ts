// Benchmark: scheduling overhead, 10,000 tiny tasks in local mode (tasks/s).
//
//   npm run bench:tasks
import { Quiver } from '../core/index.ts';
import { arg, median, timeRuns } from './util.ts';

const tasks = Number(arg('tasks', '10000'));
const runs = Number(arg('runs', '3'));
const q = await Quiver.local({ workers: 2 });
const rows = Array.from({ length: tasks }, (_, i) => ({ x: i }));
// One row per partition: `tasks` map tasks, then one final-aggregate task.
const df = q.createDataFrame(rows, { partitions: tasks });
if ((await df.count()) !== tasks) throw new Error('wrong count');
const times = await timeRuns(runs, () => df.count());
const job = q.session.lastJob!;
await q.close();
const t = median(times);
console.log(`${job.tasks.toLocaleString()} tasks per job (${job.stages} stages), median ${t.toFixed(3)} s -> ${(job.tasks / t).toFixed(0)} tasks/s (runs: ${times.map((x) => x.toFixed(3)).join(' ')})`);
