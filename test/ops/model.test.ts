// Model artifacts: safetensors round trip and interop, model.json validation, and clear errors for every corruption.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModelInput } from '../../ops/model/any-model.ts';
import { loadModel, saveModel, type SaveModelOptions } from '../../ops/model/model.ts';
import { encodeSafetensors, parseSafetensors } from '../../ops/model/safetensors.ts';

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
    card: {
      model: 'tiny', date: '2026-11-26', code: { commit: 'abc', command: 'test' },
      data: { name: 'none', files: [{ path: 'x', sha256: '0'.repeat(64) }], trainRows: 1, testRows: 1 },
      hyperParameters: { lr: 0.1 }, metrics: { testAccuracy: 0.5, perClass: { a: 1, b: 0, c: 0.5 } },
    },
  };
}

const dirWith = () => join(mkdtempSync(join(tmpdir(), 'quiver-model-')), 'm');

describe('safetensors', () => {
  it('reads a file laid out as the format specifies (as PyTorch writes it)', () => {
    const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
    const data = new Float32Array([1.5, -2, 42]);
    const buf = Buffer.concat([Buffer.alloc(8), header, Buffer.from(data.buffer)]);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    const f = parseSafetensors(buf, 'w.safetensors');
    expect(f.metadata).toEqual({ format: 'pt' });
    expect([...new Float32Array(new Uint8Array(f.tensors.get('a')!.bytes).buffer)]).toEqual([1.5, -2]);
    expect([...new Float32Array(new Uint8Array(f.tensors.get('b')!.bytes).buffer)]).toEqual([42]);
  });

  it('writes 8-byte aligned data that reads back', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }], { k: 'v' });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const f = parseSafetensors(bytes, 'x');
    expect(f.tensors.get('w')!.shape).toEqual([2, 2]);
  });

  it('rejects truncation, gaps, overlaps, bad sizes and bad headers', () => {
    const good = encodeSafetensors([{ name: 'a', shape: [3], data: new Float32Array(3) }, { name: 'b', shape: [2], data: new Float32Array(2) }]);
    expect(() => parseSafetensors(good.subarray(0, good.length - 1), 'f')).toThrow(/f, offset \d+: truncated safetensors file: tensor 'b'/);
    expect(() => parseSafetensors(good.subarray(0, 5), 'f')).toThrow(/shorter than the 8-byte header length/);
    const huge = Buffer.from(good); huge.writeBigUInt64LE(10n ** 12n, 0);
    expect(() => parseSafetensors(huge, 'f')).toThrow(/header length .* does not fit/);
    const extra = Buffer.concat([Buffer.from(good), Buffer.alloc(4)]);
    expect(() => parseSafetensors(extra, 'f')).toThrow(/4 bytes after the last tensor/);
    const mk = (h: object, dataBytes: number) => {
      const hb = Buffer.from(JSON.stringify(h));
      const b = Buffer.concat([Buffer.alloc(8), hb, Buffer.alloc(dataBytes)]);
      b.writeBigUInt64LE(BigInt(hb.length), 0);
      return b;
    };
    expect(() => parseSafetensors(mk({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }, 12), 'f')).toThrow(/needs 8 bytes, data_offsets give 12/);
    expect(() => parseSafetensors(mk({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'f')).toThrow(/a gap of 4 bytes before tensor 'a'/);
    expect(() => parseSafetensors(mk({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'f')).toThrow(/overlaps/);
    expect(() => parseSafetensors(mk({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1), 'f')).toThrow(/unknown or missing dtype "Q4"/);
    const notJson = Buffer.from(good); notJson[9] = 0xff;
    expect(() => parseSafetensors(notJson, 'f')).toThrow(/corrupt safetensors header/);
  });
});

describe('model directories', () => {
  it('saves and loads a model: weights, normalization, labels and card', () => {
    const dir = dirWith();
    const o = small();
    saveModel(dir, o);
    const m = loadModel(dir);
    expect(m.meta.labels).toEqual(['a', 'b', 'c']);
    expect(m.weights.scale).toBeCloseTo(1 / 255);
    expect(m.weights.layers.map((l) => [l.in, l.out, l.activation])).toEqual([[6, 4, 'relu'], [4, 3, 'softmax']]);
    expect([...m.weights.layers[1].w]).toEqual([...o.layers[1].w]);
    expect(m.card?.metrics.testAccuracy).toBe(0.5);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/MLP 6 -> 4 \(relu\) -> 3 \(softmax\)/);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    saveModel(dir, o); // overwrites in place
    expect(loadModel(dir).sha256).toBe(m.sha256);
  });

  it('refuses corrupt, truncated or swapped weights with the file named', () => {
    const dir = dirWith();
    saveModel(dir, small());
    const w = join(dir, 'model.safetensors');
    const bytes = readFileSync(w);
    writeFileSync(w, bytes.subarray(0, bytes.length - 4));
    expect(() => loadModel(dir)).toThrow(/model\.safetensors: weights file has \d+ bytes, model\.json says \d+: truncated or replaced/);
    const flipped = Buffer.from(bytes); flipped[flipped.length - 3] ^= 0x40;
    writeFileSync(w, flipped);
    expect(() => loadModel(dir)).toThrow(/weights hash mismatch: model\.json says sha256 [0-9a-f]+, the file has [0-9a-f]+/);
  });

  it('validates model.json: version, layer chain, labels, activations', () => {
    const dir = dirWith();
    saveModel(dir, small());
    const p = join(dir, 'model.json');
    const meta = JSON.parse(readFileSync(p, 'utf8'));
    const bad = (patch: (m: any) => void, re: RegExp) => {
      const m = structuredClone(meta); patch(m);
      writeFileSync(p, JSON.stringify(m));
      expect(() => loadModel(dir)).toThrow(re);
    };
    bad((m) => { m.formatVersion = 9; }, /model format version 9 is not supported/);
    bad((m) => { m.layers[1].in = 5; }, /layer 1 \('fc2'\) takes 5 inputs but the layer before gives 4/);
    bad((m) => { m.input.shape = [7]; }, /layer 0 \('fc1'\) takes 6 inputs but the input shape \[7\] gives 7/);
    bad((m) => { m.labels = ['a']; }, /"labels" must name each of the 3 outputs/);
    bad((m) => { m.layers[0].activation = 'softmax'; }, /activation "softmax" not allowed here/);
    writeFileSync(p, '{ not json');
    expect(() => loadModel(dir)).toThrow(/model\.json: not valid JSON/);
    expect(() => loadModel(join(dir, 'nope'))).toThrow(/no model\.json in/);
  });

  it('checks that an input column fits the model', () => {
    const dir = dirWith();
    saveModel(dir, small());
    const m = loadModel(dir);
    expect(() => checkModelInput(m, { name: 'image', type: { fixedList: 'uint8', size: 6 }, nullable: false }, 'image', ['image'])).not.toThrow();
    expect(() => checkModelInput(m, { name: 'image', type: { fixedList: 'uint8', size: 784 }, nullable: false }, 'image', ['image'])).toThrow(/takes fixed_size_list<uint8>\[6\] \(shape \[2,3\]\)/);
    expect(() => checkModelInput(m, undefined, 'pixels', ['image', 'label'])).toThrow(/no input column 'pixels'; valid columns: image, label/);
  });
});
