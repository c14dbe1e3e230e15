// Benchmark: parameter-server training across executors (q.train) on Fashion-MNIST: accuracy, bounded delay against sequential consistency with a slowed worker, samples/s per executor against local-pool training.
//
//   npm run bench:train                                    # about 6 minutes on 2 cores
//   npm run bench:train -- --epochs 15 --slow-epochs 2 --batch 128 --local-epochs 2 --no-chart --out bench/results
//
// A nats-server and 2 executor processes (`quiver executor --workers 1`) on this machine; the
// driver is this process. 1 server shard (on one of the executors).
// 1. Accuracy: the MLP 784-300-100-10, sequential consistency, `--epochs` epochs over the 60,000
//    training images, `--batch` rows per worker step (2 workers: 256 rows per update, as
//    examples/train-fmnist.ts), Adam 0.001 decaying 0.85 per epoch; test accuracy on the 10,000
//    test images. Target: >= 0.88. The model is saved with its card to out/models/fmnist-mlp-ps.
// 2. A straggler: worker 1 slowed 3x (each step sleeps twice its compute time), `--slow-epochs`
//    epochs under sequential consistency and under bounded delay tau = 4. Target: bounded delay
//    >= 1.3x the steps/s (worker steps, each pushing one minibatch) of sequential, test accuracy
//    within 0.5 points.
// 3. Samples/s per executor (run 1) against samples/s per worker thread of local-pool training
//    (core/ml/train-mlp.ts, Quiver.local with 2 workers, the same 2 cores, the same rows per
//    thread per step), `--local-epochs` epochs. Target: >= 0.7x.
// 4. The same comparison with `--big-batch` rows per worker step (1 epoch each): a step moves the
//    same 2 MB (weights in, gradient out) for 4x the rows, so communication weighs 4x less.
// Writes bench/results/train.json and train.{svg,png}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { Quiver } from '../core/index.ts';
import { progressLine, type TrainResult } from '../core/ml/ps/index.ts';
import { trainMlp } from '../core/ml/train-mlp.ts';
import { FMNIST_DIR, FMNIST_LABELS, fmnistFile, loadFmnist, requireFmnist } from '../examples/lib/fmnist.ts';
import { renderChart, stackedPanels } from './lib/chart.ts';
import { startBenchNats, startExecutorProcess } from './lib/cluster.ts';
import { arg, printTable } from './util.ts';

const epochs = Number(arg('epochs', '15'));
const slowEpochs = Number(arg('slow-epochs', '2'));
const batch = Number(arg('batch', '128'));
const localEpochs = Number(arg('local-epochs', '2'));
const bigBatch = Number(arg('big-batch', '512'));
const outDir = arg('out', 'bench/results');
const noChart = process.argv.includes('--no-chart');
const CLUSTER = 'bench-train';
const TARGET = { accuracy: 0.88, speedup: 1.3, accuracyGap: 0.005, perExecutor: 0.7 };

requireFmnist();
const t0 = performance.now();
const load0 = loadavg()[0];
const nats = await startBenchNats();
const execs = await Promise.all(['a', 'b'].map((name) => startExecutorProcess({ servers: nats.url, cluster: CLUSTER, name, workers: 1, heartbeatMs: 500, paths: [FMNIST_DIR] })));
const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, heartbeatTimeoutMs: 5000, quiet: true });

const train = q.read.idx(fmnistFile('train', 'images'), { labels: true });
const test = q.read.idx(fmnistFile('t10k', 'images'), { labels: true });
const run = async (title: string, o: Partial<Parameters<Quiver['train']>[1]>): Promise<TrainResult> => {
  console.log(`\n== ${title}`);
  return q.train(train, {
    model: 'mlp', epochs, batchSize: batch, servers: 1, test, labels: FMNIST_LABELS, progressMs: 10_000,
    progress: (p) => console.log(`  ${progressLine(p)}`), ...o,
  });
};

let accuracyRun: TrainResult, seqSlow: TrainResult, bdSlow: TrainResult, bigRun: TrainResult;
try {
  accuracyRun = await run(`1. sequential, 2 executors + 1 shard, ${epochs} epochs`, { consistency: 'sequential', saveTo: 'out/models/fmnist-mlp-ps', name: 'fmnist-mlp-ps' });
  seqSlow = await run(`2a. sequential, worker 1 slowed 3x, ${slowEpochs} epochs`, { consistency: 'sequential', epochs: slowEpochs, slowdown: { 1: 3 } });
  bdSlow = await run(`2b. bounded delay tau = 4, worker 1 slowed 3x, ${slowEpochs} epochs`, { consistency: 'bounded-delay', maxDelay: 4, epochs: slowEpochs, slowdown: { 1: 3 } });
  bigRun = await run(`4. sequential, ${bigBatch} rows per worker step, 1 epoch`, { consistency: 'sequential', epochs: 1, batchSize: bigBatch });
} finally {
  await q.close();
  await Promise.all(execs.map((e) => e.stop()));
  await nats.stop();
}

// Local-pool training on the same 2 cores, with nothing else running.
console.log(`\n== 3. local-pool training (Quiver.local, 2 workers), ${localEpochs} epochs`);
const local = await Quiver.local({ workers: 2, quiet: true });
let localPerWorker: number, localBigPerWorker: number;
try {
  const data = await loadFmnist(local, 'train');
  /** Samples/s per worker thread over `n` epochs with `rows` rows per thread per step. */
  const perWorker = async (n: number, rows: number): Promise<number> => {
    let seconds = 0;
    await trainMlp(local.session.runtime, data, {
      sizes: [784, 300, 100, 10], scale: 1 / 255, shift: 0, epochs: n, batchSize: 2 * rows, learningRate: 0.001, lrDecay: 0.85, seed: 1,
      onEpoch: (e) => { seconds += e.seconds; console.log(`  ${rows} rows per thread, epoch ${e.epoch}: ${(data.rows / e.seconds).toFixed(0)} samples/s, train acc ${(e.trainAccuracy * 100).toFixed(2)}%`); },
    });
    return (data.rows * n) / seconds / 2;
  };
  localPerWorker = await perWorker(localEpochs, batch);
  localBigPerWorker = await perWorker(1, bigBatch);
} finally {
  await local.close();
}

const speedup = bdSlow.stepsPerSecond / seqSlow.stepsPerSecond;
const gap = Math.abs((bdSlow.testAccuracy ?? 0) - (seqSlow.testAccuracy ?? 0));
const perExec = accuracyRun.samplesPerSecondPerExecutor / localPerWorker;
const perExecBig = bigRun.samplesPerSecondPerExecutor / localBigPerWorker;
const row = (name: string, r: TrainResult) => ({
  run: name, epochs: r.epochs.length, 'test acc %': ((r.testAccuracy ?? 0) * 100).toFixed(2), 'steps/s': r.stepsPerSecond.toFixed(1),
  'samples/s': r.samplesPerSecond.toFixed(0), 'samples/s/exec': r.samplesPerSecondPerExecutor.toFixed(0), 'max staleness': r.staleness.max, 'train s': r.trainSeconds.toFixed(1),
});
console.log('');
printTable([
  row('sequential', accuracyRun),
  row('sequential, 1 worker 3x slow', seqSlow),
  row('bounded tau=4, 1 worker 3x slow', bdSlow),
  row(`sequential, ${bigBatch} rows/step`, bigRun),
  { run: `local pool (2 workers), ${bigBatch} rows/step`, epochs: 1, 'test acc %': '-', 'steps/s': '-', 'samples/s': (2 * localBigPerWorker).toFixed(0), 'samples/s/exec': `${localBigPerWorker.toFixed(0)} per worker`, 'max staleness': '-', 'train s': '-' },
  { run: 'local pool (2 workers)', epochs: localEpochs, 'test acc %': '-', 'steps/s': '-', 'samples/s': (2 * localPerWorker).toFixed(0), 'samples/s/exec': `${localPerWorker.toFixed(0)} per worker`, 'max staleness': '-', 'train s': '-' },
]);
const checks = [
  { target: `test accuracy >= ${TARGET.accuracy} (2 executors + 1 shard)`, value: accuracyRun.testAccuracy ?? 0, ok: (accuracyRun.testAccuracy ?? 0) >= TARGET.accuracy },
  { target: `bounded delay tau=4 steps/s >= ${TARGET.speedup}x sequential (1 worker 3x slow)`, value: speedup, ok: speedup >= TARGET.speedup },
  { target: 'accuracy within 0.5 points of sequential (same runs)', value: gap * 100, ok: gap <= TARGET.accuracyGap },
  { target: `samples/s per executor >= ${TARGET.perExecutor}x local-pool per worker (${batch} rows per step)`, value: perExec, ok: perExec >= TARGET.perExecutor },
  { target: `the same with ${bigBatch} rows per step (not the target's setting)`, value: perExecBig, ok: perExecBig >= TARGET.perExecutor },
];
console.log('');
for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.target}: ${c.value.toFixed(3)}`);
const ms = (r: TrainResult) => Object.entries(r.phases).map(([k, v]) => `${k.replace('Ms', '')} ${v.toFixed(1)}`).join(', ');
console.log(`\nmean ms per step: sequential ${ms(accuracyRun)}; sequential slowed ${ms(seqSlow)}; bounded delay slowed ${ms(bdSlow)}; ${bigBatch} rows ${ms(bigRun)}`);
console.log(`staleness histograms: sequential ${JSON.stringify(seqSlow.staleness.histogram)}; bounded delay ${JSON.stringify(bdSlow.staleness.histogram)}`);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${load0.toFixed(1)} at start (shared machine)`;
console.log(`${machine}; ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);

mkdirSync(outDir, { recursive: true });
const base = join(outDir, 'train');
const strip = (r: TrainResult) => ({ ...r, weights: undefined, clocks: undefined, perClass: r.perClass });
writeFileSync(`${base}.json`, JSON.stringify({
  date: new Date().toISOString(), machine, options: { epochs, slowEpochs, batch, localEpochs },
  accuracyRun: strip(accuracyRun), sequentialSlow: strip(seqSlow), boundedDelaySlow: strip(bdSlow), bigBatchRun: strip(bigRun),
  localSamplesPerSecondPerWorker: localPerWorker, localBigBatchSamplesPerSecondPerWorker: localBigPerWorker,
  ratios: { boundedOverSequentialSteps: speedup, accuracyGapPoints: gap * 100, perExecutorOverLocal: perExec, perExecutorOverLocalBigBatch: perExecBig }, checks,
}, null, 2));
if (!noChart) {
  const panels = [
    {
      title: 'Test accuracy per epoch (sequential, 2 executors + 1 shard)', width: 420, height: 160,
      data: { values: accuracyRun.epochs.map((e) => ({ epoch: e.epoch, accuracy: e.testAccuracy })) },
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative', scale: { zero: false } } } },
        { data: { values: [{ y: TARGET.accuracy }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'red' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      ],
    },
    {
      title: 'Steps/s with worker 1 slowed 3x', width: 420, height: 80,
      data: { values: [{ run: 'sequential', v: seqSlow.stepsPerSecond }, { run: 'bounded delay tau=4', v: bdSlow.stepsPerSecond }] },
      mark: 'bar', encoding: { y: { field: 'run', type: 'nominal', title: null }, x: { field: 'v', type: 'quantitative', title: 'steps/s' } },
    },
    {
      title: 'Samples/s per executor (PS) vs per worker thread (local pool)', width: 420, height: 120,
      data: { values: [
        { run: `parameter server, ${batch} rows/step`, v: accuracyRun.samplesPerSecondPerExecutor }, { run: `local pool, ${batch} rows/step`, v: localPerWorker },
        { run: `parameter server, ${bigBatch} rows/step`, v: bigRun.samplesPerSecondPerExecutor }, { run: `local pool, ${bigBatch} rows/step`, v: localBigPerWorker },
      ] },
      mark: 'bar', encoding: { y: { field: 'run', type: 'nominal', title: null, sort: null }, x: { field: 'v', type: 'quantitative', title: 'samples/s' } },
    },
  ];
  const files = await renderChart(stackedPanels(panels, `npm run bench:train, ${new Date().toISOString().slice(0, 10)}, ${machine}`) as TopLevelSpec, base);
  console.log(`wrote ${base}.json, ${files.join(', ')}`);
} else console.log(`wrote ${base}.json`);
