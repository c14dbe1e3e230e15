// Model loading refuses what cannot predict: extreme numbers (checked by a test forward pass), and any malformed model.json, naming the file and the field.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuiverError } from '../../ops/errors.ts';
import { loadModel, saveModel, type SaveModelOptions } from '../../ops/model/model.ts';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i) * 0.1);

function small(): SaveModelOptions {
  return {
    name: 'tiny',
    input: { shape: [2, 3], dtype: 'uint8', scale: 1 / 255, shift: 0 },
    layers: [
      { name: 'fc1', in: 6, out: 4, activation: 'relu', w: rand(24, 1), b: rand(4, 2) },
      { name: 'fc2', in: 4, out: 3, activation: 'softmax', w: rand(12, 3), b: rand(3, 4) },
    ],
    labels: ['a', 'b', 'c'],
  };
}

const newDir = () => join(mkdtempSync(join(tmpdir(), 'quiver-model-h-')), 'm');

describe('extreme but finite numbers', () => {
  it('refuses an input scale that overflows float32, naming model.json and the field', () => {
    const dir = newDir();
    saveModel(dir, small());
    const file = join(dir, 'model.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"scale": [^,\n]+/, '"scale": 1e300'));
    expect(() => loadModel(dir)).toThrow(new RegExp(`${join(dir, 'model.json')}: input\\.scale: 1e\\+300 does not fit in float32`));
  });

  it('refuses a scale that fits float32 but overflows on a pixel of 255', () => {
    const dir = newDir();
    saveModel(dir, { ...small(), input: { ...small().input, scale: 3e38 } });
    expect(() => loadModel(dir)).toThrow(/model\.json: the input normalization \(x \* 3e\+38 \+ 0\) gives Infinity for a pixel of 255/);
  });

  it('refuses weights near the float32 limit, naming the weights file and the layer that overflows', () => {
    const dir = newDir();
    const o = small();
    o.layers[0].w = new Float32Array(24).fill(3e38);
    saveModel(dir, o);
    expect(() => loadModel(dir)).toThrow(new RegExp(`${join(dir, 'model.safetensors')}: layer 0 \\('fc1'\\) overflows float32 on the test input 'ramp'`));
    const o2 = small();
    o2.layers[0].w = new Float32Array(24).fill(1);
    o2.layers[1].w = new Float32Array(12).fill(-3e38);
    const dir2 = newDir();
    saveModel(dir2, o2);
    expect(() => loadModel(dir2)).toThrow(/model\.safetensors: layer 1 \('fc2'\) overflows float32 on the test input/);
  });

  it('still loads a model with large but harmless weights', () => {
    const dir = newDir();
    const o = small();
    o.layers[0].w = new Float32Array(24).fill(1e30);
    saveModel(dir, o);
    expect(loadModel(dir).meta.name).toBe('tiny');
  });
});

describe('model.json structure', () => {
  const dir = newDir();
  saveModel(dir, small());
  const file = join(dir, 'model.json');
  const good = readFileSync(file, 'utf8');

  const loadWith = (text: string): unknown => {
    writeFileSync(file, text);
    try {
      loadModel(dir);
      return null;
    } catch (e) {
      return e;
    } finally {
      writeFileSync(file, good);
    }
  };

  it('names the file and the JSON path of a null layer or a null field', () => {
    const cases: [(m: any) => void, RegExp][] = [
      [(m) => { m.layers = [null]; }, /model\.json: layers\[0\]: expected an object, got null/],
      [(m) => { m.layers[1] = null; }, /model\.json: layers\[1\]: expected an object, got null/],
      [(m) => { m.layers[0].name = null; }, /model\.json: layers\[0\]\.name: expected a string, got null/],
      [(m) => { m.layers[0].in = -6; }, /model\.json: layers\[0\]\.in: expected an integer >= 1, got -6/],
      [(m) => { m.input = null; }, /model\.json: input: expected an object, got null/],
      [(m) => { m.input.shape = [2, null]; }, /model\.json: input\.shape\[1\]: expected an integer >= 1, got null/],
      [(m) => { m.weights = null; }, /model\.json: weights: expected an object, got null/],
      [(m) => { m.labels = [null, 'b', 'c']; }, /model\.json: labels\[0\]: expected a string, got null/],
      [(m) => { m.layers[0].activation = 7; }, /model\.json: layers\[0\]\.activation: expected "relu", "none" or "softmax", got 7/],
    ];
    for (const [patch, re] of cases) {
      const m = JSON.parse(good); patch(m);
      const e = loadWith(JSON.stringify(m));
      expect(e).toBeInstanceOf(QuiverError);
      expect((e as Error).message).toMatch(re);
    }
    expect((loadWith('null') as Error).message).toMatch(/model\.json: model\.json must hold an object, got null/);
    // JSON reads 1e999 as Infinity.
    expect((loadWith(good.replace(/"scale": [^,\n]+/, '"scale": 1e999')) as Error).message)
      .toMatch(/model\.json: input\.scale: expected a finite number, got Infinity/);
  });

  it('fuzz: every mutation of every field is a clear error naming the file, never a TypeError', () => {
    const base = JSON.parse(good);
    const values: unknown[] = [null, 'x', -1, 0, 1.5, 1e308, -1e308, 2 ** 53, true, [], {}, [null], { a: null }];
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(base, []);
    let cases = 0, refused = 0;
    for (const path of paths.slice(1)) {
      for (const value of [...values, undefined]) {
        const m = structuredClone(base);
        let at = m;
        for (const k of path.slice(0, -1)) at = at[k];
        if (value === undefined) delete at[path[path.length - 1]]; else at[path[path.length - 1]] = value;
        const e = loadWith(JSON.stringify(m));
        cases++;
        if (e === null) continue; // a harmless change (a name, a label)
        refused++;
        expect(e, `${path.join('.')} = ${JSON.stringify(value)}: ${(e as Error).message}`).toBeInstanceOf(QuiverError);
        expect((e as Error).message).toMatch(/model\.json|model\.safetensors/);
      }
    }
    expect(cases).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(cases * 0.8);
  });
});
