// Validation of the capacity planner (`quiver plan`): fit from runs on one worker (one executor), predict other configurations, run them, predicted vs measured.
//
//   npm run bench:plan                     # 2M log lines, 70k images, 3 runs each; local 1 and 2 workers; cluster 1, 2, 3 executors
//   npm run bench:plan -- --quick          # smoke test: 200k lines, 10k images, 2 runs, local only
//   npm run bench:plan -- --lines 1000000 --runs 5 --no-cluster [--out bench/results]
//
// For each job (the log-analytics top-5 query; photo tagging: read IDX -> MLP on the CPU -> write
// Parquet) the runs are recorded in an event log; the first run of every session is a warm-up
// (worker start, JIT) and is left out of the fit and of the measures. The planner then predicts
// the batch job's wall time on the other configurations from the one-worker fit alone, and those
// configurations are run. Driver time outside the job (planning, collecting) is measured on one
// worker and added to every prediction as is. The bar: predicted within 20% of measured.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fitEventLogs, planCapacity } from '../core/capacity/index.ts';
import { Quiver, col, fn, type ConnectOptions, type LocalOptions, type RuntimeEvent } from '../core/index.ts';
import { writeAccessLog } from '../examples/data/access-log.ts';
import { fmnistFile, requireFmnist } from '../examples/lib/fmnist.ts';
import { startBenchNats, startExecutorProcess, type BenchNats, type ExecutorProcess } from './lib/cluster.ts';
import { arg, median, printTable } from './util.ts';

const quick = process.argv.includes('--quick');
const lines = Number(arg('lines', quick ? '200000' : '2000000'));
const runs = Number(arg('runs', quick ? '2' : '3'));
const cluster = !quick && !process.argv.includes('--no-cluster') || process.argv.includes('--cluster');
const outDir = resolve(arg('out', 'bench/results'));
const work = join(outDir, 'plan-validate');
const log = resolve(arg('log', `bench/data/access-${lines}.log`));
const BAR = 0.2;

/** A job the bench runs: its records per run and the action (one or more Quiver jobs). */
interface Job { name: string; records: number; splitBytes: number; run(q: Quiver): Promise<unknown> }

/** The log's input splits: 8 map tasks, so that two workers or three executors all have work. */
const logSplitBytes = Math.max(1 << 18, Math.floor((lines * 66) / 8));

requireFmnist();
const jobs: Job[] = [
  {
    name: 'log analytics (top-5 paths)', records: lines, splitBytes: logSplitBytes,
    run: (q) => q.read.text(log).select(col('line').split(' ').at(3).alias('path')).groupBy('path').agg(fn.count().alias('hits')).orderBy(col('hits').desc()).limit(5).collect(),
  },
  {
    name: 'photo tagging (IDX -> MLP -> Parquet)', records: quick ? 10_000 : 70_000, splitBytes: 784 * 2500,
    run: async (q) => q.read.idx(quick ? fmnistFile('t10k', 'images') : [fmnistFile('train', 'images'), fmnistFile('t10k', 'images')])
      .predict(q.model(resolve('models/fmnist-mlp')), { device: 'cpu' }).select('labelId', 'label', 'score')
      .write.mode('overwrite').parquet(join(work, 'tags.parquet')),
  },
];

/** One configuration's runs: wall seconds per run and the event log with the warm-up's jobs taken out. */
interface Measured { wall: number[]; jobMs: number[]; events: string }

/** Runs `job` `runs` times after a warm-up on session `q`, its events kept under `dir` without the warm-up's jobs. */
async function measure(q: Quiver, job: Job, dir: string): Promise<Measured> {
  const events: RuntimeEvent[] = [];
  const off = q.onEvent((e) => events.push(e));
  await job.run(q);
  const warm = new Set(events.filter((e) => e.kind === 'jobStart').map((e) => (e as { jobId: number }).jobId));
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await job.run(q);
    wall.push((performance.now() - t0) / 1000);
  }
  off();
  const kept = events.filter((e) => !('jobId' in e) || !warm.has(e.jobId));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.jsonl'), kept.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const jobMs = kept.filter((e): e is Extract<RuntimeEvent, { kind: 'jobEnd' }> => e.kind === 'jobEnd').map((e) => e.durationMs);
  return { wall, jobMs, events: dir };
}

/** Driver seconds per run outside its jobs (planning the query, collecting the result): the run's wall time less its jobs' times. */
function outsideJobs(m: Measured): number {
  return Math.max(0, median(m.wall) - m.jobMs.reduce((a, b) => a + b, 0) / runs / 1000);
}

/** Predicted wall seconds of one run of `job` on executors × workers, from the fit of `fitDir`; `outsideS`: driver time outside the jobs. */
function predict(fitDir: string, executors: number, workers: number, outsideS: number): number {
  // Every process here shares this machine's cores: a what-if on more slots than cores says so.
  const plan = planCapacity({ events: fitDir, executors, workers, cores: cpus().length });
  const actions = runs;
  // Every job shape an action ran (a write can be more than one job), weighted by how often it ran per action.
  const jobS = plan.jobs.reduce((s, j) => s + (j.whatIf.batch.jobMs / 1000) * (j.fit.runs / actions), 0);
  return jobS + outsideS;
}

/** Task milliseconds per run, all stages: how much work the runs did, whatever the parallelism. */
function taskMsPerRun(m: Measured): number {
  return fitEventLogs([m.events]).reduce((s, j) => s + j.stages.reduce((t, st) => t + st.taskMs.mean * st.taskMs.n, 0), 0) / runs;
}

const rows: Record<string, string>[] = [];
function row(job: Job, config: string, predictedS: number, m: Measured, base: Measured): void {
  const measuredS = median(m.wall);
  const p = job.records / predictedS, r = job.records / measuredS;
  const err = (p - r) / r;
  // Tasks slower than on the fitted run (cores shared, memory bandwidth): what the model assumes away.
  const slowdown = taskMsPerRun(m) / taskMsPerRun(base);
  rows.push({
    job: job.name, config, predicted_rec_s: Math.round(p).toLocaleString('en-US'), measured_rec_s: Math.round(r).toLocaleString('en-US'),
    error: `${err >= 0 ? '+' : ''}${(100 * err).toFixed(1)}%`, task_time_vs_fit: `${slowdown.toFixed(2)}x`, verdict: Math.abs(err) <= BAR ? 'within 20%' : 'OFF',
  });
  console.log(`  ${config}: predicted ${Math.round(p).toLocaleString()} records/s, measured ${Math.round(r).toLocaleString()} (runs ${m.wall.map((t) => t.toFixed(2)).join(' ')} s; task time ${slowdown.toFixed(2)}x the fitted run's)`);
}

const local = (workers: number, job: Job): Promise<Quiver> =>
  Quiver.local({ workers, ui: false, quiet: true, targetSplitBytes: job.splitBytes } satisfies LocalOptions);

async function localRows(job: Job): Promise<void> {
  const q1 = await local(1, job);
  const base = await measure(q1, job, join(work, `${slug(job)}-local-1`)).finally(() => q1.close());
  const outside = outsideJobs(base);
  row(job, 'local, 1 worker (fitted here)', predict(base.events, 1, 1, outside), base, base);
  const q2 = await local(2, job);
  const two = await measure(q2, job, join(work, `${slug(job)}-local-2`)).finally(() => q2.close());
  row(job, 'local, 2 workers', predict(base.events, 1, 2, outside), two, base);
}

async function clusterRows(job: Job, nats: BenchNats): Promise<void> {
  const paths = [dirname(log), dirname(fmnistFile('t10k', 'images')), resolve('models'), work];
  const executors: ExecutorProcess[] = [];
  const add = async () => { executors.push(await startExecutorProcess({ servers: nats.url, cluster: 'plan', name: `exec-${executors.length}`, workers: 1, heartbeatMs: 500, paths })); };
  await add();
  const q = await Quiver.connect({ servers: nats.url, cluster: 'plan', minExecutors: 1, ui: false, quiet: true, targetSplitBytes: job.splitBytes } satisfies ConnectOptions);
  try {
    const base = await measure(q, job, join(work, `${slug(job)}-cluster-1`));
    const outside = outsideJobs(base);
    row(job, 'cluster, 1 executor (fitted here)', predict(base.events, 1, 1, outside), base, base);
    for (const n of [2, 3]) {
      await add();
      await new Promise((r) => setTimeout(r, 1500)); // the driver sees the executor join
      const m = await measure(q, job, join(work, `${slug(job)}-cluster-${n}`));
      row(job, `cluster, ${n} executors`, predict(base.events, n, 1, outside), m, base);
    }
  } finally {
    await q.close();
    for (const e of executors) await e.stop();
  }
}

const slug = (j: Job) => j.name.split(' ')[0];

mkdirSync(work, { recursive: true });
if (!existsSync(log)) {
  console.log(`generating ${lines.toLocaleString()} lines at ${log} (once) ...`);
  await writeAccessLog(log, { lines });
}
console.log(`capacity planner validation: ${runs} runs per configuration after a warm-up; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)} at start${quick ? '; --quick' : ''}`);
const nats = cluster ? await startBenchNats() : null;
try {
  for (const job of jobs) {
    console.log(`\n${job.name}, ${job.records.toLocaleString()} records per run:`);
    await localRows(job);
    if (nats) await clusterRows(job, nats);
  }
} finally {
  await nats?.stop();
}
console.log(`\npredicted vs measured (records/s; fit from the one-worker / one-executor runs only; bar: within ${BAR * 100}%)`);
printTable(rows);
writeFileSync(join(outDir, 'plan-validate.json'), JSON.stringify({ lines, runs, quick, cores: cpus().length, load: loadavg()[0], rows }, null, 2) + '\n');
console.log(`wrote ${join(outDir, 'plan-validate.json')}; event logs under ${work}`);
