// Benchmark: cluster mode (a driver + 2 executor processes over NATS, on this machine) vs local mode; shuffle transfer vs raw NATS; a job with an executor killed.
//
//   npm run bench:cluster                               # 2M-line log, 70k images, 3 runs each: about 2 minutes on 2 cores
//   npm run bench:cluster -- --lines 10000000 --runs 5 --parts 1,2
//
// 1. The log query (top-5 paths, as bench/log-analytics.ts) and photo tagging (70k Fashion-MNIST
//    images -> predict on the CPU -> Parquet) in local mode (Quiver.local, 2 workers) and in
//    cluster mode (Quiver.connect, 2 executors of 1 worker each). Each mode is warmed up once;
//    runs alternate (the order flips every run) and the cluster/local ratio is taken per pair.
// 2. Moving a block between two processes: raw NATS request/reply in messages of one full chunk
//    (the server's max_payload) vs fetchBlob/serveBlobs (core/cluster/chunks.ts) for the same
//    bytes, in rounds that alternate; then fetchBlob of an Arrow block through a BlockStore
//    (blockToIpc there, ipcToBlock here), and what a shuffle-heavy job pushed through NATS (the
//    server's byte counters) against its reduce stage's wall time.
// 3. A two-key group-by with 16 MB input splits, twice as is and once with `kill -9` of an
//    executor after it finished map tasks (their output is lost with it); a replacement executor
//    is started at the kill (--no-replace: the survivor finishes alone). Results must be identical.
//
// Flags: --lines N; --runs N; --split-mb N (input splits in parts 1 and 2, both modes; 32, so
// that the 2M-line log makes 4 map tasks, not one 128 MB split); --rounds N (transfer rounds);
// --block-mb N (64); --max-payload BYTES (the server's, 1 MiB); --heartbeat-timeout-ms N (the
// driver's, 2000; executors beat every 500 ms); --parts 1,2,3; --no-replace; --no-shuffle-job;
// --block-transfer tcp|nats (how executors fetch each other's shuffle blocks; tcp);
// --coalesce-bytes N (both modes' coalescePartitionBytes; default: the session's, 0: off);
// --no-chart; --out DIR (bench/results); --prof [DIR] (executors and the blob server run with
// --cpu-prof, profiles in DIR, default out/prof; for the driver, run
// `node --cpu-prof --import tsx bench/cluster.ts`).
import { connect } from '@nats-io/transport-node';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fetchBlob, ipcToBlock } from '../core/cluster/chunks.ts';
import { Quiver, col, fn, type RuntimeEvent } from '../core/index.ts';
import { writeAccessLog } from '../examples/data/access-log.ts';
import { FMNIST_DIR, requireFmnist } from '../examples/lib/fmnist.ts';
import { renderChart } from './lib/chart.ts';
import { BENCH_SUBJECTS, clusterChart, startBenchNats, startBlobServer, startExecutorProcess, type ExecutorProcess } from './lib/cluster.ts';
import { reexecWithBoundedMalloc } from './lib/malloc-reexec.ts';
import { arg, median, printTable } from './util.ts';

// Local mode runs in this process: with the same malloc settings as the executors.
reexecWithBoundedMalloc();

const flag = (name: string) => process.argv.includes(`--${name}`);
const lines = Number(arg('lines', '2000000'));
const runs = Number(arg('runs', '3'));
const rounds = Number(arg('rounds', '7'));
const blockMb = Number(arg('block-mb', '64'));
const maxPayload = Number(arg('max-payload', String(1024 * 1024)));
const hbTimeout = Number(arg('heartbeat-timeout-ms', '2000'));
const splitMb = Number(arg('split-mb', '32'));
const blockTransfer = arg('block-transfer', 'tcp');
if (blockTransfer !== 'tcp' && blockTransfer !== 'nats') throw new Error(`--block-transfer is tcp or nats, not '${blockTransfer}'`);
const parts = new Set(arg('parts', '1,2,3').split(',').map(Number));
const coalesceArg = arg('coalesce-bytes', '');
const coalesce = coalesceArg === '' ? {} : { coalescePartitionBytes: Number(coalesceArg) };
const outDir = arg('out', 'bench/results');
const profArg = arg('prof', 'out/prof');
const profDir = flag('prof') ? resolve(profArg.startsWith('--') ? 'out/prof' : profArg) : null;
const log = resolve(arg('log', `bench/data/access-${lines}.log`));
const CLUSTER = 'bench';
const started = performance.now();
const RATIO = { accept: 0.7, goal: 0.9 }, TRANSFER = { accept: 0.5, goal: 0.8 };
const IMAGES = 70_000;
requireFmnist();
const images = `${FMNIST_DIR}/*-images-idx3-ubyte.gz`;

if (!existsSync(log)) {
  console.log(`generating ${lines.toLocaleString()} lines at ${log} (once) ...`);
  await writeAccessLog(log, { lines });
}
const logMb = statSync(log).size / 2 ** 20;
const nodeArgs = profDir ? (mkdirSync(profDir, { recursive: true }), ['--cpu-prof', `--cpu-prof-dir=${profDir}`]) : [];
const nats = await startBenchNats({ maxPayload });
const executors: ExecutorProcess[] = [];
const startExec = async (name: string) => {
  // Executors read (and write) only under --paths: the log's directory, the images, the model, and the tags' output directory.
  mkdirSync(resolve('out'), { recursive: true });
  const paths = [dirname(log), FMNIST_DIR, resolve('models'), resolve('out')];
  const e = await startExecutorProcess({ servers: nats.url, cluster: CLUSTER, name, workers: 1, heartbeatMs: 500, nodeArgs, paths, blockTransfer });
  executors.push(e);
  return e;
};
await Promise.all([startExec('exec-a'), startExec('exec-b')]);
const connectOpts = { servers: nats.url, cluster: CLUSTER, minExecutors: 2, heartbeatTimeoutMs: hbTimeout };
console.log(`log: ${log}, ${lines.toLocaleString()} lines, ${logMb.toFixed(0)} MB; images: ${IMAGES.toLocaleString()} (${images}); nats-server ${nats.url}, max_payload ${maxPayload} B; shuffle blocks between executors over ${blockTransfer === 'tcp' ? 'their block ports (TCP)' : 'NATS'}`);
console.log(`local: Quiver.local({ workers: 2 }); cluster: this process as the driver + 2 \`quiver executor --workers 1\` processes; input splits of ${splitMb} MB in both; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)} at start`);

const secs = async <T>(f: () => Promise<T>): Promise<{ s: number; value: T }> => {
  const t0 = performance.now();
  const value = await f();
  return { s: (performance.now() - t0) / 1000, value };
};
const verdict = (x: number, bar: { accept: number; goal: number }) => (x >= bar.goal ? 'PASS (goal met)' : x >= bar.accept ? 'PASS' : 'FAIL');
const times = (xs: number[]) => xs.map((t) => t.toFixed(2)).join(' ');

// ---- 1. Local vs cluster.
interface Pairs { local: number[]; cluster: number[]; ratios: number[] }
interface ModeRow { workload: string; unit: string; rows: number; r: Pairs }

/** Both modes with the same input splits: small enough that the log's map stage has work for both workers (a 2M-line log is one 128 MB split otherwise). */
const sessions = async () => {
  const targetSplitBytes = splitMb * 2 ** 20;
  return { cluster: await Quiver.connect({ ...connectOpts, targetSplitBytes, ...coalesce }), local: await Quiver.local({ workers: 2, targetSplitBytes, ...coalesce }) };
};

async function localVsCluster(): Promise<ModeRow[]> {
  const { cluster, local } = await sessions();
  const top5 = (q: Quiver) => q.read.text(log)
    .select(col('line').split(' ').at(3).alias('path'))
    .groupBy('path').agg(fn.count().alias('hits'))
    .orderBy(col('hits').desc()).limit(5)
    .collect();
  const tagging = (q: Quiver) => q.read.idx(images).predict(q.model('models/fmnist-mlp'), { device: 'cpu' }).select('labelId', 'label', 'score');
  const tag = async (q: Quiver) => {
    const n = await tagging(q).write.mode('overwrite').parquet('out/bench-cluster-tags.parquet');
    if (n !== IMAGES) throw new Error(`tagging wrote ${n} rows, expected ${IMAGES}`);
  };
  // Warm-up (worker start, model resident, page cache), and the check that both modes agree.
  const topOf = async (q: Quiver) => JSON.stringify((await top5(q)).toArray().map((r) => [r.path, Number(r.hits)]));
  const tagsOf = async (q: Quiver) => Array.from((await tagging(q).select('labelId').collect()).getChild('labelId')!.toArray() as Int32Array).join(',');
  const [topL, topC] = [await topOf(local), await topOf(cluster)];
  const [tagsL, tagsC] = [await tagsOf(local), await tagsOf(cluster)];
  await tag(local); await tag(cluster);
  console.log(`\ntop 5 (local): ${topL}`);
  console.log(`identical in both modes: top-5 ${topL === topC}, tags of all ${IMAGES.toLocaleString()} images ${tagsL === tagsC}`);
  if (topL !== topC || tagsL !== tagsC) throw new Error('local and cluster mode disagree');

  const pairs = async (f: (q: Quiver) => Promise<unknown>): Promise<Pairs> => {
    const out: Pairs = { local: [], cluster: [], ratios: [] };
    // Each workload's pairs start after one unmeasured job of it in each mode (the jobs before
    // were of the other workload: the first measured run would carry the switch).
    await f(local); await f(cluster);
    for (let i = 0; i < runs; i++) {
      let tl = 0, tc = 0;
      if (i % 2 === 0) { tl = (await secs(() => f(local))).s; tc = (await secs(() => f(cluster))).s; }
      else { tc = (await secs(() => f(cluster))).s; tl = (await secs(() => f(local))).s; }
      out.local.push(tl); out.cluster.push(tc); out.ratios.push(tl / tc);
    }
    return out;
  };
  const rows: ModeRow[] = [
    { workload: `log top-5 paths (${(lines / 1e6).toFixed(0)}M lines)`, unit: 'lines/s', rows: lines, r: await pairs(top5) },
    { workload: `photo tagging (${IMAGES / 1000}k images, cpu)`, unit: 'images/s', rows: IMAGES, r: await pairs(tag) },
  ];
  await cluster.close();
  await local.close();
  console.log(`\n1. local vs cluster: ${runs} runs each, alternating, medians; ratio = cluster throughput / local throughput, taken per pair`);
  printTable(rows.map(({ workload, unit, rows: n, r }) => ({
    workload, unit, local_s: median(r.local), cluster_s: median(r.cluster),
    local_per_s: Math.round(n / median(r.local)), cluster_per_s: Math.round(n / median(r.cluster)),
    'cluster/local': median(r.ratios), acceptance: `>= ${RATIO.accept} (goal ${RATIO.goal})`, verdict: verdict(median(r.ratios), RATIO),
  })));
  for (const m of rows) console.log(`runs (s): ${m.workload}: local ${times(m.r.local)} | cluster ${times(m.r.cluster)}`);
  return rows;
}

// ---- 2. Shuffle transfer vs raw NATS, between this process and a serving process.
interface Hello { chunk: number; blockRows: number; blockBytes: number; ipcBytes: number; encodeMs: number; decodeMs: number }
interface Variant { name: string; what: string; run: () => Promise<number> }

async function transfer() {
  const server = await startBlobServer(nats.url, blockMb, nodeArgs);
  const nc = await connect({ servers: nats.url, name: 'quiver-bench-client' });
  const hello = (await nc.request(BENCH_SUBJECTS.hello, '', { timeout: 10_000 })).json<Hello>();
  const blobBytes = blockMb * 2 ** 20;
  const messages = Math.ceil(blobBytes / hello.chunk);
  const rawBytes = messages * (hello.chunk + 4);
  const raw = async (inFlight: number): Promise<number> => {
    let next = 0;
    const worker = async () => { while (next < messages) await nc.request(BENCH_SUBJECTS.raw, JSON.stringify({ id: 'raw', chunk: next++ }), { timeout: 10_000 }); };
    const t = await secs(() => Promise.all(Array.from({ length: inFlight }, worker)));
    return rawBytes / 2 ** 20 / t.s;
  };
  let fetches = 0;
  const variants: Variant[] = [
    { name: 'raw-1', what: 'raw request/reply, 1 in flight', run: () => raw(1) },
    { name: 'raw-4', what: 'raw request/reply, 4 in flight', run: () => raw(4) },
    {
      name: 'fetchBlob', what: 'fetchBlob of a byte array (its default: 4 chunks in flight)',
      run: async () => {
        const t = await secs(() => fetchBlob(nc, BENCH_SUBJECTS.blobs, `bytes/${fetches++}`, { timeoutMs: 30_000 }));
        if (t.value.length !== blobBytes) throw new Error(`fetched ${t.value.length} bytes, expected ${blobBytes}`);
        return blobBytes / 2 ** 20 / t.s;
      },
    },
    {
      name: 'fetchBlob+ipc', what: 'fetchBlob of a stored block: blockToIpc there, ipcToBlock here',
      run: async () => {
        const t = await secs(async () => ipcToBlock(await fetchBlob(nc, BENCH_SUBJECTS.blobs, `run${fetches++}/0`, { timeoutMs: 30_000 })));
        if (t.value.rows !== hello.blockRows) throw new Error(`block of ${t.value.rows} rows, expected ${hello.blockRows}`);
        return hello.ipcBytes / 2 ** 20 / t.s;
      },
    },
  ];
  for (const v of variants) await v.run(); // warm-up (JIT, subscriptions, the block store)
  const rates = Object.fromEntries(variants.map((v) => [v.name, [] as number[]]));
  const ratios = { fetchBlob: [] as number[], fetchBlobIpc: [] as number[], fetchBlobVsBest: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const r: Record<string, number> = {};
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length];
      r[v.name] = await v.run();
      rates[v.name].push(r[v.name]);
    }
    ratios.fetchBlob.push(r.fetchBlob / r['raw-4']);
    ratios.fetchBlobIpc.push(r['fetchBlob+ipc'] / r['raw-4']);
    ratios.fetchBlobVsBest.push(r.fetchBlob / Math.max(r['raw-1'], r['raw-4']));
  }
  await nc.drain();
  await server.stop();
  console.log(`\n2. moving ${blockMb} MB between two processes through nats-server on loopback (${messages} messages of ${hello.chunk + 4} B), ${rounds} rounds alternating, medians`);
  printTable(variants.map((v) => ({ path: v.name, what: v.what, mb_per_s: median(rates[v.name]) })));
  const ratio = median(ratios.fetchBlob);
  printTable([
    { ratio: 'fetchBlob / raw-4 (same bytes, same messages, same bound on messages in flight)', value: ratio, acceptance: `>= ${TRANSFER.accept} (goal ${TRANSFER.goal})`, verdict: verdict(ratio, TRANSFER) },
    { ratio: 'fetchBlob / the better raw', value: median(ratios.fetchBlobVsBest), acceptance: '', verdict: '' },
    { ratio: 'fetchBlob+ipc / raw-4', value: median(ratios.fetchBlobIpc), acceptance: '', verdict: '' },
  ]);
  console.log(`(the block: ${hello.blockRows.toLocaleString()} rows of (utf8, int64, float64), ${(hello.blockBytes / 2 ** 20).toFixed(1)} MB in memory, ${(hello.ipcBytes / 2 ** 20).toFixed(1)} MB as IPC; alone, blockToIpc of it takes ${hello.encodeMs.toFixed(0)} ms and ipcToBlock ${hello.decodeMs.toFixed(0)} ms)`);
  return { messages, messageBytes: hello.chunk + 4, block: hello, rates, ratios, variants: variants.map((v) => ({ path: v.name, mbPerSecond: median(rates[v.name]) })) };
}

/** A shuffle-heavy job (every distinct line is a group: the map output is about the input), once in each mode. */
async function shuffleJob() {
  const { cluster, local } = await sessions();
  const distinct = (q: Quiver) => q.read.text(log).groupBy('line').agg(fn.count().alias('n')).count();
  await distinct(cluster); // warm-up
  const before = await nats.totals();
  const c = await secs(() => distinct(cluster));
  const after = await nats.totals();
  const job = cluster.session.lastJob!;
  const l = await secs(() => distinct(local));
  await cluster.close();
  await local.close();
  if (l.value !== c.value) throw new Error(`distinct lines: local ${l.value}, cluster ${c.value}`);
  const mb = (after.outBytes - before.outBytes) / 2 ** 20;
  const row = {
    job: `group by line (${l.value.toLocaleString()} groups)`, local_s: l.s, cluster_s: c.s, 'cluster/local': l.s / c.s,
    nats_mb: mb, reduce_stage_s: job.stageMs[1] / 1000, reduce_task_s: job.taskMs[1] / 1000, 'nats_mb/reduce_stage_s': mb / (job.stageMs[1] / 1000),
  };
  console.log('\n   a shuffle-heavy job, once in each mode after a warm-up. nats_mb: bytes nats-server delivered during the cluster job, mostly shuffle');
  console.log('   fetches; reduce_task_s: reduce task run times summed inside the executors\' workers (fetching excluded); nats_mb/reduce_stage_s bounds the fetch rate from below');
  printTable([row]);
  console.log(`   cluster stage wall times (ms): ${job.stageMs.map((x) => x.toFixed(0)).join(', ')}; task times summed (ms): ${job.taskMs.map((x) => x.toFixed(0)).join(', ')}; ${job.tasks} tasks`);
  return row;
}

// ---- 3. A killed executor.
async function killedExecutor() {
  const replace = !flag('no-replace');
  const cluster = await Quiver.connect({ ...connectOpts, targetSplitBytes: 16 * 2 ** 20 });
  const events: RuntimeEvent[] = [];
  cluster.onEvent((e) => events.push(e));
  const groups = () => cluster.read.text(log)
    .select(col('line').substr(1, 16).alias('minute'), col('line').split(' ').at(3).split('/').at(3).alias('title'))
    .groupBy('minute', 'title').agg(fn.count().alias('hits'))
    .collect();
  const rowsOf = (t: Awaited<ReturnType<typeof groups>>) => {
    const m = t.getChild('minute')!.toArray() as string[], k = t.getChild('title')!.toArray() as string[], h = t.getChild('hits')!.toArray();
    return Array.from({ length: t.numRows }, (_, i) => `${m[i]}|${k[i]}|${h[i]}`).sort();
  };
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const reference = rowsOf(await groups()); // warm-up, and the reference result
  // The baseline: the median of 2 runs (one slow run on a shared machine would flatter the kill).
  const bases = [await secs(groups), await secs(groups)];
  const baseJob = cluster.session.lastJob!;
  const from = events.length;
  const t0 = performance.now();
  const job = secs(groups);
  // The moment: 2 map tasks have finished; the victim ran the latest of them (its output is lost).
  let victim: ExecutorProcess | undefined;
  while (!victim) {
    const done = events.slice(from).filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.ok && e.stageId === 0);
    if (done.length >= 2) victim = executors.find((x) => x.id === done.at(-1)!.executor);
    else await new Promise((r) => setTimeout(r, 20));
  }
  const killAt = performance.now(), killWall = Date.now();
  const victimMaps = events.slice(from).filter((e) => e.kind === 'taskEnd' && e.ok && e.stageId === 0 && e.executor === victim!.id).length;
  await victim.kill9();
  const replacement = replace ? startExec('exec-r').then(() => performance.now()) : null;
  const killed = await job;
  const killJob = cluster.session.lastJob!;
  const joinedAt = replacement ? await replacement : null;
  await cluster.close();
  const after = events.slice(from);
  const removed = after.find((e) => e.kind === 'executorRemoved' && e.executor === victim!.id);
  const row = {
    baseline_s: median(bases.map((b) => b.s)), killed_s: killed.s, extra_s: killed.s - median(bases.map((b) => b.s)),
    identical: String(bases.every((b) => same(reference, rowsOf(b.value))) && same(reference, rowsOf(killed.value))),
    map_tasks: (after.find((e) => e.kind === 'stageStart' && e.stageId === 0) as { tasks: number } | undefined)?.tasks ?? NaN,
    tasks_launched: `${baseJob.tasks} -> ${killJob.tasks}`,
    kill_at_s: (killAt - t0) / 1000, victim_maps_done: victimMaps,
    outputs_lost: after.filter((e) => e.kind === 'outputLost').reduce((n, e) => n + (e as { partitions: number[] }).partitions.length, 0),
    lost_detected_s: removed ? (removed.ts - killWall) / 1000 : NaN,
    replacement: joinedAt ? `joined ${((joinedAt - killAt) / 1000).toFixed(1)} s after the kill` : 'none: the survivor finished',
  };
  console.log(`\n3. kill -9 of an executor mid-job: group by (minute, title) collected (${reference.length.toLocaleString()} groups), 16 MB input splits; after a warm-up,`);
  console.log('   the baseline is the median of 2 runs; identical: every run\'s rows, sorted, equal the warm-up\'s;');
  console.log(`   killed once 2 map tasks had finished, the victim being the executor of the later one (its map output is lost); driver heartbeat timeout ${hbTimeout} ms;`);
  console.log(`   ${replace ? 'a replacement executor was started at the kill' : 'no replacement: the surviving executor finished the job'}`);
  printTable([row]);
  console.log(`   baseline runs (s): ${times(bases.map((b) => b.s))}; stage wall times (ms): baseline (the last run) ${baseJob.stageMs.map((x) => x.toFixed(0)).join(', ')}; with the kill ${killJob.stageMs.map((x) => x.toFixed(0)).join(', ')}`);
  return row;
}

const modes = parts.has(1) ? await localVsCluster() : [];
const moved = parts.has(2) ? await transfer() : null;
const heavy = parts.has(2) && !flag('no-shuffle-job') ? await shuffleJob() : null;
const kill = parts.has(3) ? await killedExecutor() : null;
await Promise.all(executors.map((e) => e.stop()));
await nats.stop();

// ---- Results: JSON, SVG and PNG (as bench/kernels.ts does).
if (!flag('no-chart')) {
  const base = join(outDir, 'cluster');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${base}.json`, JSON.stringify({
    date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgAtEnd: loadavg()[0] },
    options: { lines, logMb, images: IMAGES, runs, splitMb, rounds, blockMb, maxPayload, heartbeatTimeoutMs: hbTimeout },
    modes: modes.map((m) => ({ workload: m.workload, unit: m.unit, rows: m.rows, ...m.r })), transfer: moved, shuffleJob: heavy, kill,
  }, null, 1));
  const caption = `${new Date().toISOString().slice(0, 10)}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; driver + 2 executors of 1 worker vs Quiver.local({ workers: 2 }); medians of ${runs} runs, ${rounds} transfer rounds`;
  const charts = await renderChart(clusterChart({
    modes: modes.map((m) => ({ workload: m.workload.replace(/ \(.*/, ''), ratio: median(m.r.ratios) })),
    transfer: moved?.variants ?? [],
    kill: kill ? [{ run: 'no kill', seconds: kill.baseline_s }, { run: 'kill -9 mid-job', seconds: kill.killed_s }] : [],
  }, RATIO, caption), base);
  console.log(`\nwrote ${base}.json, ${charts.join(', ')}`);
}
console.log(`(the whole run: ${((performance.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)} at the end)`);
