// Model artifacts: a directory with model.json, weights in safetensors and a model card; loaded with full validation.
//
//   models/fmnist-mlp/
//     model.json          format version, layers (shapes, activations), input normalization, labels, weights hash
//     model.safetensors   `<layer>.weight` [out, in] and `<layer>.bias` [out], F32 (torch.nn.Linear layout)
//     card.json           training data and its SHA-256, code commit, hyper-parameters, date, test accuracy
//     README.md           the card for people (rendered from card.json)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { DataError } from '../errors.ts';
import { checkForward } from './forward-check.ts';
import { MAX_WIDTH, parseModelJson } from './model-schema.ts';
import { encodeSafetensors, parseSafetensors, tensorF32 } from './safetensors.ts';

export const MODEL_FORMAT = 'quiver-model';
export const MODEL_FORMAT_VERSION = 1;

export interface LayerJSON {
  /** Tensor names are `<name>.weight` and `<name>.bias`. */
  name: string;
  in: number;
  out: number;
  activation: 'relu' | 'none' | 'softmax';
}

export interface ModelJSON {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  name: string;
  kind: 'mlp';
  /** The input column: u8 values of this shape, normalized as x * scale + shift. */
  input: { shape: number[]; dtype: 'uint8'; scale: number; shift: number };
  layers: LayerJSON[];
  /** Class names, index = label id. */
  labels: string[];
  weights: { file: string; sha256: string; bytes: number };
}

export interface ModelCard {
  model: string;
  date: string;
  code: { commit: string; command: string };
  /** `sha256`: of the training rows themselves, when they came from a DataFrame rather than files. */
  data: { name: string; files: { path: string; sha256: string }[]; trainRows: number; testRows: number; sha256?: string };
  hyperParameters: Record<string, number | string>;
  metrics: { testAccuracy: number; perClass: Record<string, number>; trainSeconds?: number };
}

/** A loaded, validated model: metadata, weights as MlpWeights, and its card when present. */
export interface Model {
  kind: 'mlp';
  dir: string;
  meta: ModelJSON;
  weights: MlpWeights;
  card: ModelCard | null;
  /** Hex SHA-256 of the weights file (the model's identity in lineage records). */
  sha256: string;
  /** Hex SHA-256 of model.json as read: with `sha256`, it pins the whole model (see loadModel's `pin`). */
  metaSha256: string;
}

/** The hashes a job was planned with (PredictSpec): a worker MUST load exactly this model. */
export interface ModelPin {
  sha256: string;
  metaSha256: string;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function readBytes(path: string): Buffer {
  try { return readFileSync(path); } catch (e) { throw new DataError('file not found: a model directory holds model.json and its weights file', { file: path }, { cause: e }); }
}

function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new DataError(`not valid JSON: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}

const readJson = (path: string): unknown => parseJson(readBytes(path), path);

function fail(file: string, msg: string): never {
  throw new DataError(msg, { file });
}

/**
 * Checks model.json's structure (the schema in model-schema.ts: a DataError names `file` and
 * the JSON path at fault) and its internal consistency (layer chain, labels, activations).
 */
export function validateModelJson(m: unknown, file: string): ModelJSON {
  const o0 = m as Partial<ModelJSON> | null;
  if (typeof o0 !== 'object' || o0 === null || Array.isArray(o0)) fail(file, `model.json must hold an object, got ${JSON.stringify(o0)?.slice(0, 60)}`);
  if (o0.format !== MODEL_FORMAT) fail(file, `not a Quiver model: "format" is ${JSON.stringify(o0.format)}, expected "${MODEL_FORMAT}"`);
  if (o0.formatVersion !== MODEL_FORMAT_VERSION) fail(file, `model format version ${JSON.stringify(o0.formatVersion)} is not supported; this Quiver reads version ${MODEL_FORMAT_VERSION}`);
  if (o0.kind !== 'mlp') fail(file, `model kind ${JSON.stringify(o0.kind)} is not supported; expected "mlp"`);
  const o = parseModelJson<ModelJSON>(o0, file);
  const inp = o.input;
  let width = inp.shape.reduce((a, b) => a * b, 1);
  if (width > MAX_WIDTH) fail(file, `input.shape: ${JSON.stringify(inp.shape)} makes ${width} values per image, more than ${MAX_WIDTH}`);
  const seen = new Map<string, number>();
  o.layers.forEach((l, i) => {
    const twin = seen.get(l.name);
    if (twin !== undefined) fail(file, `layers[${i}].name: '${l.name}' is also the name of layers[${twin}]; each layer names its own tensors`);
    seen.set(l.name, i);
    if (l.in !== width) fail(file, `layer ${i} ('${l.name}') takes ${l.in} inputs but ${i === 0 ? `the input shape ${JSON.stringify(inp.shape)} gives` : 'the layer before gives'} ${width}`);
    const last = i === o.layers.length - 1;
    if (!(last ? ['none', 'softmax'] : ['relu', 'none']).includes(l.activation)) fail(file, `layer ${i} ('${l.name}'): activation ${JSON.stringify(l.activation)} not allowed here (hidden: relu or none; last: softmax or none)`);
    width = l.out;
  });
  if (o.labels.length !== width) fail(file, `"labels" must name each of the ${width} outputs of the last layer, got ${o.labels.length}`);
  return o;
}


/**
 * Loads and validates a model directory. Any inconsistency is a DataError naming the file:
 * a malformed model.json (with the JSON path at fault), a truncated or corrupt weights file, a
 * hash that does not match model.json, missing or misshapen tensors, non-finite weights, or
 * finite numbers that overflow float32 in a test forward pass (see forward-check.ts). Never
 * returns weights it could not verify. With `pin` (the hashes a job was planned with) the
 * model MUST be the one pinned: an edit since q.model() is a DataError, never used silently.
 */
export function loadModel(path: string, pin?: ModelPin): Model {
  const dir = resolve(path);
  const metaPath = join(dir, 'model.json');
  if (!existsSync(metaPath)) throw new DataError(`no model.json in ${dir}; a model directory is written by saveModel (or examples/train-fmnist.ts)`, { file: metaPath });
  // One read: the bytes hashed are the bytes parsed.
  const metaBytes = readBytes(metaPath);
  const metaSha256 = sha256(metaBytes);
  const changed = (what: string, now: string, planned: string, file: string) => new DataError(
    `the model changed since q.model() loaded it (${what}'s sha256 is now ${now.slice(0, 12)}..., the job was planned with ${planned.slice(0, 12)}...); call q.model('${dir}') again and build the DataFrame with the model it returns`, { file });
  if (pin && metaSha256 !== pin.metaSha256) throw changed('model.json', metaSha256, pin.metaSha256, metaPath);
  const meta = validateModelJson(parseJson(metaBytes, metaPath), metaPath);
  const wPath = join(dir, meta.weights.file);
  let bytes: Uint8Array;
  try { bytes = readFileSync(wPath); } catch (e) { throw new DataError('weights file not found (model.json names it)', { file: wPath }, { cause: e }); }
  if (bytes.length !== meta.weights.bytes) throw new DataError(`weights file has ${bytes.length} bytes, model.json says ${meta.weights.bytes}: truncated or replaced`, { file: wPath });
  const hash = sha256(bytes);
  if (hash !== meta.weights.sha256) throw new DataError(`weights hash mismatch: model.json says sha256 ${meta.weights.sha256}, the file has ${hash}; the file is corrupt or belongs to another model`, { file: wPath });
  if (pin && hash !== pin.sha256) throw changed('the weights file', hash, pin.sha256, wPath);
  const st = parseSafetensors(bytes, wPath);
  const expected = new Set<string>();
  const layers = meta.layers.map((l) => {
    const get = (suffix: string, shape: number[]): Float32Array => {
      const name = `${l.name}.${suffix}`;
      expected.add(name);
      const t = st.tensors.get(name);
      if (!t) throw new DataError(`tensor '${name}' is missing`, { file: wPath });
      if (JSON.stringify(t.shape) !== JSON.stringify(shape)) throw new DataError(`tensor '${name}' has shape ${JSON.stringify(t.shape)}, model.json needs ${JSON.stringify(shape)}`, { file: wPath });
      const v = tensorF32(t, name, wPath);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new DataError(`tensor '${name}' holds a non-finite value (${v[i]}) at index ${i}`, { file: wPath });
      return v;
    };
    return { w: get('weight', [l.out, l.in]), b: get('bias', [l.out]), in: l.in, out: l.out, activation: l.activation };
  });
  for (const name of st.tensors.keys()) if (!expected.has(name)) throw new DataError(`unexpected tensor '${name}' (model.json's layers do not use it)`, { file: wPath });
  const weights: MlpWeights = { layers, scale: meta.input.scale, shift: meta.input.shift };
  checkForward(weights, meta.layers.map((l) => l.name), metaPath, wPath);
  const cardPath = join(dir, 'card.json');
  const card = existsSync(cardPath) ? readJson(cardPath) : null;
  if (card !== null && (typeof card !== 'object' || Array.isArray(card))) throw new DataError(`card.json must hold an object, got ${JSON.stringify(card).slice(0, 60)}`, { file: cardPath });
  return { kind: 'mlp', dir, meta, weights, card: card as ModelCard | null, sha256: hash, metaSha256 };
}

export interface SaveModelOptions {
  name: string;
  input: ModelJSON['input'];
  layers: (LayerJSON & { w: Float32Array; b: Float32Array })[];
  labels: string[];
  card?: ModelCard;
}

/** Writes a model directory atomically (a temporary directory renamed into place) and returns its model.json. */
export function saveModel(path: string, o: SaveModelOptions): ModelJSON {
  const dir = resolve(path);
  const tensors = o.layers.flatMap((l) => [
    { name: `${l.name}.weight`, shape: [l.out, l.in], data: l.w },
    { name: `${l.name}.bias`, shape: [l.out], data: l.b },
  ]);
  const bytes = encodeSafetensors(tensors, { format: 'pt' });
  const meta: ModelJSON = {
    format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, name: o.name, kind: 'mlp', input: o.input,
    layers: o.layers.map(({ name, in: i, out, activation }) => ({ name, in: i, out, activation })),
    labels: o.labels,
    weights: { file: 'model.safetensors', sha256: sha256(bytes), bytes: bytes.length },
  };
  validateModelJson(meta, join(dir, 'model.json'));
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'model.safetensors'), bytes);
  writeFileSync(join(tmp, 'model.json'), `${JSON.stringify(meta, null, 2)}\n`);
  if (o.card) {
    writeFileSync(join(tmp, 'card.json'), `${JSON.stringify(o.card, null, 2)}\n`);
    writeFileSync(join(tmp, 'README.md'), renderCard(meta, o.card));
  }
  const old = `${tmp}.old`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
  return meta;
}

/** The model card for people. */
export function renderCard(meta: ModelJSON, c: ModelCard): string {
  const arch = [meta.layers[0].in, ...meta.layers.map((l) => `${l.out}${l.activation === 'none' ? '' : ` (${l.activation})`}`)].join(' -> ');
  const lines = [
    `# Model card: ${meta.name}`, '',
    `- Architecture: MLP ${arch}`,
    `- Input: uint8 ${meta.input.shape.join('x')}, normalized as x * ${meta.input.scale} + ${meta.input.shift}`,
    `- Weights: ${meta.weights.file}, sha256 ${meta.weights.sha256}`,
    `- Trained: ${c.date}, code commit ${c.code.commit}, command \`${c.code.command}\``,
    `- Data: ${c.data.name}, ${c.data.trainRows} training and ${c.data.testRows} test rows${c.data.sha256 ? ` (sha256 of the rows ${c.data.sha256})` : ''}`,
    ...c.data.files.map((f) => `  - ${f.path}: sha256 ${f.sha256}`),
    `- Hyper-parameters: ${Object.entries(c.hyperParameters).map(([k, v]) => `${k}=${v}`).join(', ')}`, '',
    `## Test accuracy: ${(c.metrics.testAccuracy * 100).toFixed(2)}%`, '',
    '| class | accuracy |', '| --- | --- |',
    ...Object.entries(c.metrics.perClass).map(([k, v]) => `| ${k} | ${(v * 100).toFixed(2)}% |`), '',
  ];
  return lines.join('\n');
}
