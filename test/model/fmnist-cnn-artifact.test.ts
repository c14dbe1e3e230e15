// The committed Fashion-MNIST CNN (models/fmnist-cnn): onnxruntime-node loads it, its metadata and card agree with the file, and it classifies the test images.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { fmnistTestFile, normalize, onnxMetadata, predictLabels, readIdxGz, type Preprocess } from '../../scripts/check-fmnist-cnn.ts';

const DIR = 'models/fmnist-cnn';
const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const ROWS = 2000;

const bytes = readFileSync(join(DIR, 'model.onnx'));
const card = JSON.parse(readFileSync(join(DIR, 'card.json'), 'utf8'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('models/fmnist-cnn', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => { session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 }); });
  afterAll(async () => { await session?.release(); });

  it('is the file its card describes', () => {
    expect(card.model).toBe('fmnist-cnn');
    expect(card.onnx.sha256).toBe(sha256(bytes));
    expect(card.onnx.bytes).toBe(bytes.length);
    expect(card.onnx.opset).toBe(13);
    expect(Number(onnxProto.onnx.ModelProto.decode(bytes).opsetImport!.find((o) => !o.domain)!.version)).toBe(13);
    expect(readFileSync(join(DIR, 'README.md'), 'utf8')).toContain(card.onnx.sha256);
  });

  it('takes image [N,1,28,28] float32 and gives logits [N,10]', () => {
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['logits']);
    const [input] = session.inputMetadata, [output] = session.outputMetadata;
    expect(input.isTensor && input.type === 'float32' && input.shape.slice(1)).toEqual([1, 28, 28]);
    expect(input.isTensor && typeof input.shape[0]).toBe('string');
    expect(output.isTensor && output.type === 'float32' && output.shape.slice(1)).toEqual([10]);
    expect(output.isTensor && output.shape[0]).toBe(input.isTensor && input.shape[0]);
  });

  it('says in its metadata how to normalize, what the classes are and that it gives logits', () => {
    const meta = onnxMetadata(bytes);
    expect(JSON.parse(meta['quiver.labels'])).toEqual(LABELS);
    expect(meta['quiver.output']).toBe('logits');
    const pre = JSON.parse(meta['quiver.preprocess']) as Preprocess;
    expect(pre).toMatchObject({ scale: 1 / 255, layout: 'NCHW', channels: 1, size: [28, 28] });
    // Fashion-MNIST's training-set statistics after x / 255.
    expect(pre.mean[0]).toBeCloseTo(0.286, 3);
    expect(pre.std[0]).toBeCloseTo(0.353, 3);
    expect(card.preprocess).toEqual(pre);
    expect(card.labels).toEqual(LABELS);
  });

  it(`classifies the first ${ROWS} test images with accuracy >= 0.90`, async () => {
    const images = readIdxGz(fmnistTestFile('images')), labels = readIdxGz(fmnistTestFile('labels')).data;
    const pre = JSON.parse(onnxMetadata(bytes)['quiver.preprocess']) as Preprocess;
    const pred = await predictLabels(session, normalize(images.data, ROWS, pre), ROWS);
    let ok = 0;
    for (let i = 0; i < ROWS; i++) if (pred[i] === labels[i]) ok++;
    expect(ok / ROWS).toBeGreaterThanOrEqual(0.9);
    // Every class is predicted somewhere: a model stuck on a few classes cannot pass.
    expect(new Set(pred).size).toBe(10);
  });

  it('has a card whose figures hold together', () => {
    const m = card.metrics;
    expect(m.testAccuracy).toBeGreaterThanOrEqual(0.915);
    expect(Math.abs(m.onnxruntime.testAccuracy - m.testAccuracy)).toBeLessThanOrEqual(0.001);
    expect(m.onnxruntime.rows).toBe(card.data.testRows);
    // Fashion-MNIST's test set has 1,000 images of each class, so the overall accuracy is the mean over classes.
    expect(Object.keys(m.perClass)).toEqual(LABELS);
    const mean = LABELS.reduce((s, c) => s + m.perClass[c], 0) / LABELS.length;
    expect(mean).toBeCloseTo(m.testAccuracy, 6);
    expect(card.data.trainRows).toBe(60000);
    expect(card.data.testRows).toBe(10000);
    // The same bytes the model was trained on (looked up where FMNIST_DIR says, as the data is read here).
    const dataDir = dirname(fmnistTestFile('images'));
    for (const f of card.data.files) expect(sha256(readFileSync(join(dataDir, basename(f.path)))), f.path).toBe(f.sha256);
    expect(card.code.commit).toMatch(/^[0-9a-f]{40}$/);
  });
});
