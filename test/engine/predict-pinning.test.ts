// q.model() pins the whole model: an edit to model.json or the weights before the job runs is a clear error, never silently used.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { saveModel } from '../../ops/model/model.ts';
import { setCalibrator } from '../../ops/predict/placement.ts';
import { idxU8 as idx } from '../io/helpers.ts';

const D = 4, N = 40;

describe('predict pins the model loaded by q.model()', () => {
  let q: Quiver;
  let dir: string, images: string;
  const save = (modelDir: string, labels: string[], bias = 0) => saveModel(modelDir, {
    name: 'pin', input: { shape: [D], dtype: 'uint8', scale: 1 / 255, shift: 0 },
    layers: [{ name: 'fc', in: D, out: 3, activation: 'softmax', w: Float32Array.from({ length: 3 * D }, (_, i) => Math.sin(i)), b: new Float32Array(3).fill(bias) }],
    labels,
  });
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-pin-'));
    images = join(dir, 'p-images-idx3-ubyte');
    writeFileSync(images, idx([N, D], Uint8Array.from({ length: N * D }, (_, i) => (i * 53) % 256)));
    setCalibrator(async (_p, backend) => (backend === 'wasm' ? { backend, description: 'cpu', imagesPerSecond: 50_000 } : null));
    q = await Quiver.local({ workers: 2 });
  });
  afterAll(async () => { setCalibrator(null); await q?.close(); });

  it('refuses a model.json edited after q.model(), and says to call q.model() again', async () => {
    const m = join(dir, 'edited-json');
    save(m, ['a', 'b', 'c']);
    const model = q.model(m);
    const meta = JSON.parse(readFileSync(join(m, 'model.json'), 'utf8'));
    meta.labels = ['x', 'y', 'z'];
    writeFileSync(join(m, 'model.json'), JSON.stringify(meta));
    await expect(q.read.idx(images).predict(model, { device: 'cpu' }).toArray())
      .rejects.toThrow(/edited-json\/model\.json: the model changed since q\.model\(\) loaded it \(model\.json's sha256 is now [0-9a-f]{12}/);
    await expect(q.read.idx(images).predict(model, { device: 'cpu' }).toArray()).rejects.toThrow(/call q\.model\('.*edited-json'\) again/);
    // Loaded again, the edit is what predict uses.
    const rows = await q.read.idx(images).predict(q.model(m), { device: 'cpu' }).toArray();
    expect(new Set(rows.map((r) => r.label)).size).toBeGreaterThan(0);
    for (const r of rows) expect(['x', 'y', 'z']).toContain(r.label);
  });

  it('refuses a whole model replaced after q.model() (weights and model.json together)', async () => {
    const m = join(dir, 'replaced');
    save(m, ['a', 'b', 'c']);
    const model = q.model(m);
    save(m, ['a', 'b', 'c'], 5);
    await expect(q.read.idx(images).predict(model, { device: 'cpu' }).count())
      .rejects.toThrow(/replaced\/model\.json: the model changed since q\.model\(\) loaded it/);
  });

  it('refuses extreme numbers at q.model(), before any job', () => {
    const m = join(dir, 'extreme');
    saveModel(m, {
      name: 'x', input: { shape: [D], dtype: 'uint8', scale: 1 / 255, shift: 0 },
      layers: [{ name: 'fc', in: D, out: 3, activation: 'softmax', w: new Float32Array(3 * D).fill(3e38), b: new Float32Array(3) }],
      labels: ['a', 'b', 'c'],
    });
    expect(() => q.model(m)).toThrow(/extreme\/model\.safetensors: layer 0 \('fc'\) overflows float32/);
  });
});
