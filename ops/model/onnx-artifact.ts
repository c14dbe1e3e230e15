// ONNX model artifacts: a .onnx file, or a directory holding model.onnx and card.json; loaded, checked and compiled into a tensor program at q.model().
//
//   models/fmnist-cnn/
//     model.onnx    the graph and weights (PyTorch's torch.onnx.export, opset 7..21)
//     card.json     training data and its SHA-256, code commit, hyper-parameters, accuracy,
//                   and what the graph's metadata may also say: labels, preprocess, output
//     README.md     the card for people
//
// What predict needs beyond the graph is read from the graph's metadata_props first
// (quiver.labels, quiver.preprocess, quiver.output: JSON), then card.json. A model that declares
// no preprocessing gets raw 0..255 values; one that names no classes gets no `label` column.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { DataError } from '../errors.ts';
import { compileOnnx, loadOnnx } from './onnx/index.ts';
// The type from its own file: the published declarations of the API then never reach onnx-proto's.
import type { OnnxModel } from './onnx/model.ts';

/** How images become the model's float input: y = (x * scale - mean[c]) / std[c], laid out NCHW. */
export interface Preprocess {
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface OnnxArtifact {
  readonly kind: 'onnx';
  /** The path q.model() was given, resolved: a .onnx file or a model directory. */
  readonly dir: string;
  /** The .onnx file. */
  readonly file: string;
  readonly name: string;
  /** Class names (index = class id), or null when the model names none. */
  readonly labels: readonly string[] | null;
  readonly numClasses: number;
  /** Images the model takes: h x w pixels of c channels (HWC uint8 in the image column). */
  readonly image: { readonly h: number; readonly w: number; readonly c: number };
  readonly preprocess: Preprocess;
  /** The graph output predict ranks, and whether it holds logits (softmax applied for `score`) or probabilities. */
  readonly output: { readonly name: string; readonly kind: 'logits' | 'probabilities' };
  readonly onnx: OnnxModel;
  /** The model compiled for uint8 images in, the ranked output out. */
  readonly program: TensorProgram;
  /** The .onnx bytes (onnxruntime takes them as they are). */
  readonly bytes: Uint8Array;
  readonly card: Record<string, unknown> | null;
  /** SHA-256 of the .onnx file: the model's identity. */
  readonly sha256: string;
  /** SHA-256 of card.json as read (of nothing when there is none): with sha256 it pins the model. */
  readonly metaSha256: string;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** True when `path` names an ONNX model: a .onnx file, or a directory with model.onnx (and no model.json). */
export function isOnnxPath(path: string): boolean {
  const p = resolve(path);
  if (/\.onnx$/i.test(p)) return true;
  return existsSync(join(p, 'model.onnx')) && !existsSync(join(p, 'model.json'));
}

function parseJsonField(raw: string, what: string, file: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new DataError(`${what} is not valid JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
}

function numbers(v: unknown, len: number, what: string, file: string): number[] {
  const a = typeof v === 'number' ? Array(len).fill(v) : v;
  if (!Array.isArray(a) || a.length !== len || a.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new DataError(`${what} must be a number or ${len} finite numbers (one per channel), got ${JSON.stringify(v)}`, { file });
  }
  return a as number[];
}

/**
 * Loads and checks an ONNX model; `pin` (the hashes a job was planned with) makes an edit since
 * q.model() a DataError. Errors name the file: not ONNX, an op or attribute Quiver cannot run
 * (a PlanError listing the supported ops), an input that is not an image tensor [N, c, h, w],
 * an output that is not [N, classes], bad metadata.
 */
export function loadOnnxArtifact(path: string, pin?: { sha256: string; metaSha256: string }): OnnxArtifact {
  const dir = resolve(path);
  const isDir = existsSync(dir) && statSync(dir).isDirectory();
  const file = isDir ? join(dir, 'model.onnx') : dir;
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { throw new DataError(`ONNX model not found: ${isDir ? 'the directory holds no model.onnx' : 'no such file'}`, { file }, { cause: e }); }
  const hash = sha256(bytes);
  const cardPath = isDir ? join(dir, 'card.json') : file.replace(/\.onnx$/i, '.card.json');
  const cardBytes = existsSync(cardPath) ? readFileSync(cardPath) : new Uint8Array(0);
  const metaSha256 = sha256(cardBytes);
  if (pin && (hash !== pin.sha256 || metaSha256 !== pin.metaSha256)) {
    throw new DataError(`the model changed since q.model() loaded it (sha256 of ${hash !== pin.sha256 ? 'the .onnx file' : 'card.json'} differs from the one the job was planned with); call q.model('${path}') again and build the DataFrame with the model it returns`, { file: hash !== pin.sha256 ? file : cardPath });
  }
  const card = cardBytes.length ? parseJsonField(new TextDecoder().decode(cardBytes), 'card.json', cardPath) : null;
  if (card !== null && (typeof card !== 'object' || Array.isArray(card))) throw new DataError(`card.json must hold an object, got ${JSON.stringify(card).slice(0, 60)}`, { file: cardPath });
  const c = (card ?? {}) as Record<string, unknown>;
  const onnx = loadOnnx(bytes, file);
  const meta = (key: string, cardKey: string): unknown => {
    const raw = onnx.metadata[`quiver.${key}`];
    if (raw !== undefined) return key === 'output' && !raw.startsWith('"') && !raw.startsWith('{') ? raw : parseJsonField(raw, `metadata quiver.${key}`, file);
    return c[cardKey];
  };

  if (onnx.inputs.length !== 1) throw new DataError(`predict takes a model with one input (the image); this one has ${onnx.inputs.length}: ${onnx.inputs.map((i) => i.name).join(', ')}`, { file });
  const input = onnx.inputs[0];
  if (input.shape.length !== 3) throw new DataError(`input '${input.name}' has shape [N, ${input.shape.join(', ')}]; predict feeds images as [N, channels, height, width] (NCHW, as PyTorch exports)`, { file });
  const [ch, h, w] = input.shape;
  if (ch !== 1 && ch !== 3) throw new DataError(`input '${input.name}' has ${ch} channels; images have 1 (gray) or 3 (RGB)`, { file });

  const labelsRaw = meta('labels', 'labels');
  if (labelsRaw !== undefined && (!Array.isArray(labelsRaw) || labelsRaw.some((s) => typeof s !== 'string'))) throw new DataError(`labels must be an array of strings, got ${JSON.stringify(labelsRaw).slice(0, 80)}`, { file });
  const labels = (labelsRaw as string[] | undefined) ?? null;

  const outRaw = meta('output', 'output');
  const outObj = typeof outRaw === 'object' && outRaw !== null ? outRaw as { name?: unknown; kind?: unknown } : { kind: outRaw };
  const outName = typeof outObj.name === 'string' ? outObj.name : onnx.outputs[0]?.name;
  const out = onnx.outputs.find((o) => o.name === outName);
  if (!out) throw new DataError(`the model has no output '${outName}'; its outputs: ${onnx.outputs.map((o) => o.name).join(', ')}`, { file });
  if (out.shape.length !== 1) throw new DataError(`output '${out.name}' has shape [N, ${out.shape.join(', ')}]; predict ranks an output of shape [N, classes]`, { file });
  const numClasses = out.shape[0];
  if (labels && labels.length !== numClasses) throw new DataError(`labels name ${labels.length} classes, output '${out.name}' has ${numClasses}`, { file });
  const lastStep = onnx.steps.findLast((s) => s.y === out.name);
  const kind = outObj.kind === 'probabilities' || outObj.kind === 'logits' ? outObj.kind : lastStep?.kind === 'softmax' ? 'probabilities' : 'logits';
  if (outObj.kind !== undefined && outObj.kind !== 'probabilities' && outObj.kind !== 'logits') throw new DataError(`output kind must be "logits" or "probabilities", got ${JSON.stringify(outObj.kind)}`, { file });

  const pre = meta('preprocess', 'preprocess') as Record<string, unknown> | undefined;
  if (pre !== undefined && (typeof pre !== 'object' || pre === null)) throw new DataError(`preprocess must be an object {scale, mean, std}, got ${JSON.stringify(pre)}`, { file });
  const preprocess: Preprocess = {
    scale: pre?.scale === undefined ? 1 : numbers(pre.scale, 1, 'preprocess.scale', file)[0],
    mean: pre?.mean === undefined ? Array(ch).fill(0) : numbers(pre.mean, ch, 'preprocess.mean', file),
    std: pre?.std === undefined ? Array(ch).fill(1) : numbers(pre.std, ch, 'preprocess.std', file),
  };
  if (preprocess.std.some((s) => s === 0)) throw new DataError(`preprocess.std must not hold 0, got ${JSON.stringify(preprocess.std)}`, { file });
  if (pre?.layout !== undefined && pre.layout !== 'NCHW') throw new DataError(`preprocess.layout ${JSON.stringify(pre.layout)} is not supported: Quiver feeds NCHW`, { file });

  const program = compileForImages(onnx, { h, w, c: ch }, preprocess, [out.name]);
  const name = typeof c.model === 'string' ? c.model : typeof c.name === 'string' ? c.name : basename(isDir ? dir : file).replace(/\.onnx$/i, '');
  return {
    kind: 'onnx', dir, file, name, labels, numClasses, image: { h, w, c: ch }, preprocess,
    output: { name: out.name, kind }, onnx, program, bytes, card: card as Record<string, unknown> | null, sha256: hash, metaSha256,
  };
}

function compileForImages(onnx: OnnxModel, image: OnnxArtifact['image'], preprocess: Preprocess, outputs: readonly string[]): TensorProgram {
  return compileOnnx(onnx, { image: { ...image, ...preprocess, mean: [...preprocess.mean], std: [...preprocess.std] }, outputs });
}

/**
 * The artifact's model compiled for uint8 images in, the ranked output and the graph outputs
 * `extra` out (m.program itself when `extra` adds nothing). The compile passes keep every
 * requested tensor as the graph computes it: no activation fused into it, no
 * BatchNormalization folded through it. Names MUST be graph outputs (see checkModelOutputs).
 */
export function compileArtifact(m: OnnxArtifact, extra: readonly string[]): TensorProgram {
  const outputs = [...new Set([m.output.name, ...extra])];
  return outputs.length === 1 ? m.program : compileForImages(m.onnx, m.image, m.preprocess, outputs);
}
