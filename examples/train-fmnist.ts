// Trains the seed's MLP 784-300(ReLU)-100(ReLU)-10(softmax) on Fashion-MNIST, data-parallel over the worker pool, and writes models/fmnist-mlp with its card.
//
//   npx tsx examples/train-fmnist.ts [--epochs 12] [--batch 256] [--lr 0.001] [--seed 1] [--out models/fmnist-mlp]
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Quiver } from '../core/index.ts';
import { trainMlp } from '../core/ml/train-mlp.ts';
import { createCpuMlp } from '../gpu-kernels/mlp/cpu.ts';
import type { MlpWeights } from '../gpu-kernels/mlp/contract.ts';
import { saveModel } from '../ops/model/model.ts';
import { FMNIST_LABELS, fmnistFile, loadFmnist, requireFmnist } from './lib/fmnist.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const hp = {
  epochs: Number(arg('epochs', '12')),
  batchSize: Number(arg('batch', '256')),
  learningRate: Number(arg('lr', '0.001')),
  lrDecay: Number(arg('decay', '0.85')),
  seed: Number(arg('seed', '1')),
  optimizer: 'adam',
};
const out = arg('out', 'models/fmnist-mlp');

requireFmnist();
const q = await Quiver.local();
try {
  const t0 = performance.now();
  const train = await loadFmnist(q, 'train');
  const test = await loadFmnist(q, 't10k');
  console.log(`Fashion-MNIST: ${train.rows.toLocaleString()} training and ${test.rows.toLocaleString()} test images; training on ${q.workers} workers`);

  const predictAll = async (w: MlpWeights) => {
    const r = createCpuMlp(w, { threads: 1 });
    try { return (await r.run(test.images, test.rows)).labels; } finally { r.dispose(); }
  };
  const accuracy = (pred: Int32Array) => pred.reduce((s, p, i) => s + (p === test.labels[i] ? 1 : 0), 0) / test.rows;

  const weights = await trainMlp(q.session.runtime, train, {
    sizes: [784, 300, 100, 10], scale: 1 / 255, shift: 0, ...hp,
    evaluate: async (w) => accuracy(await predictAll(w)),
    onEpoch: (e) => console.log(`epoch ${String(e.epoch).padStart(2)}  loss ${e.loss.toFixed(4)}  train acc ${(e.trainAccuracy * 100).toFixed(2)}%  test acc ${((e.evalAccuracy ?? 0) * 100).toFixed(2)}%  ${e.seconds.toFixed(1)} s`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  const pred = await predictAll(weights);
  const perClass: Record<string, number> = {};
  FMNIST_LABELS.forEach((name, c) => {
    let n = 0, ok = 0;
    for (let i = 0; i < test.rows; i++) if (test.labels[i] === c) { n++; if (pred[i] === c) ok++; }
    perClass[name] = ok / n;
  });
  const testAccuracy = accuracy(pred);
  const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  let commit = 'unknown';
  try { commit = execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim() + (execSync('git status --porcelain', { encoding: 'utf8' }).trim() ? '-dirty' : ''); } catch { /* not a checkout */ }
  const names = ['fc1', 'fc2', 'fc3'];
  saveModel(out, {
    name: 'fmnist-mlp',
    input: { shape: [28, 28], dtype: 'uint8', scale: 1 / 255, shift: 0 },
    layers: weights.layers.map((l, i) => ({ name: names[i], in: l.in, out: l.out, activation: l.activation, w: l.w, b: l.b })),
    labels: FMNIST_LABELS,
    card: {
      model: 'fmnist-mlp',
      date: new Date().toISOString(),
      code: { commit, command: `npx tsx examples/train-fmnist.ts ${process.argv.slice(2).join(' ')}`.trim() },
      data: {
        name: 'Fashion-MNIST (Debian dataset-fashion-mnist)',
        files: (['train', 't10k'] as const).flatMap((s) => (['images', 'labels'] as const).map((k) => ({ path: fmnistFile(s, k), sha256: sha(fmnistFile(s, k)) }))),
        trainRows: train.rows, testRows: test.rows,
      },
      hyperParameters: { ...hp, architecture: '784-300-100-10', init: 'he-normal', workers: q.workers },
      metrics: { testAccuracy, perClass, trainSeconds },
    },
  });
  console.log(`test accuracy ${(testAccuracy * 100).toFixed(2)}%; wrote ${out} in ${trainSeconds.toFixed(0)} s`);
} finally {
  await q.close();
}
