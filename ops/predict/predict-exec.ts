// PredictExec: runs a resident model over an image column, batch by batch, appending labelId, label, score (top-k, and extra graph outputs).
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { isValid, takeBatch, takeData } from '../compute/take.ts';
import { DataError, InternalError, ResourceError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { modelInput, modelLabels, type ModelOutput } from '../model/any-model.ts';
import type { PredictBackend, ResolvedDevice } from './backends.ts';
import type { Prediction, Predictor } from './predictor.ts';
import { ImageFit } from '../sources/options.ts';
import { decodeImageColumn } from './decode-images.ts';
import { RemotePredictor } from './remote-predictor.ts';
import { residentModel } from './resident.ts';

export interface PredictExecOptions {
  modelPath: string;
  modelName: string;
  modelSha256: string;
  /** SHA-256 of model.json as q.model() read it: with modelSha256, the model this task MUST load. */
  modelJsonSha256: string;
  inputCol: string;
  device: ResolvedDevice;
  /** The backend on that device (absent in plans of older drivers: wasm on the CPU, webgpu on the GPU). */
  backend?: PredictBackend;
  /** Why this device (shown by explain). */
  reason: string;
  batchSize: number;
  topK: number;
  /** A row whose image is null or whose scores are not finite: 'fail' (default), 'skip' (dropped), 'null' (null tags). */
  onError?: 'fail' | 'skip' | 'null';
  /** Class names and values per image from the plan (absent in older plans: read from the model). */
  labels?: readonly string[];
  inputSize?: number;
  /** Graph outputs returned as columns after the others, each float32 values per image (absent: none). */
  outputs?: readonly ModelOutput[];
  /** The input column is binary, encoded image files: decoded to this image first (absent: it holds the pixels). */
  decode?: { height: number; width: number; channels: 1 | 3; fit: 'cover' | 'contain' | 'fill' };
  /** Output fields: the input's, then labelId, label (when the model names its classes), score (topIds, topScores), then each of `outputs`. */
  fields: FieldJSON[];
}

const enc = new TextEncoder();
const SHA256 = /^[0-9a-f]{64}$/;

export class PredictExec implements ExecPlan {
  readonly name = 'PredictExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];

  constructor(readonly opts: PredictExecOptions, readonly child: ExecPlan) {
    this.schema = toArrowSchema(opts.fields);
    this.children = [child];
  }

  /**
   * A part's binary image column decoded to the model's input: the rows that decoded, their
   * pixels, and their indexes in the part (null when all did). A row that is null or does not
   * decode fails the task (onError 'fail', naming the reason) or is left out like a null image.
   */
  private async decoded(part: arrow.RecordBatch, col: arrow.Data, d: NonNullable<PredictExecOptions['decode']>, size: number, onError: 'fail' | 'skip' | 'null', ctx: TaskContext):
    Promise<{ goodIdx: Int32Array | null; good: arrow.RecordBatch; images: Uint8Array }> {
    const t0 = performance.now();
    const dec = await decodeImageColumn(col, { height: d.height, width: d.width, channels: d.channels, fit: d.fit as ImageFit });
    ctx.metrics.add('imagesDecodeMs', performance.now() - t0);
    ctx.metrics.add('imagesDecoded', part.numRows - dec.bad.length);
    if (dec.bad.length === 0) return { goodIdx: null, good: part, images: dec.pixels };
    if (onError === 'fail') {
      throw new DataError(`predict: ${dec.bad.length} of ${part.numRows} rows of '${this.opts.inputCol}' in a batch are not images the model can take (the first: ${dec.bad[0].reason}); pass onError: 'skip' to drop such rows or 'null' to give them null tags`, { column: this.opts.inputCol });
    }
    const goodIdx = rowsWithout(part.numRows, dec.bad);
    const images = new Uint8Array(goodIdx.length * size);
    goodIdx.forEach((row, i) => images.set(dec.pixels.subarray(row * size, (row + 1) * size), i * size));
    return { goodIdx, good: takeBatch(part, goodIdx), images };
  }

  display(): string {
    const o = this.opts;
    return `PredictExec: model=${o.modelName} (sha256 ${o.modelSha256.slice(0, 12)}) input=${o.inputCol} device=${o.device}${o.backend ? ` backend=${o.backend}` : ''} (${o.reason}) batchSize=${o.batchSize}${o.topK ? ` topK=${o.topK}` : ''}${o.outputs?.length ? ` outputs=[${o.outputs.map((x) => x.name).join(', ')}]` : ''}${o.decode ? ` decode=${o.decode.height}x${o.decode.width}x${o.decode.channels} fit=${o.decode.fit}` : ''}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const o = this.opts;
    const it = this.child.execute(partition, ctx)[Symbol.asyncIterator]();
    // A GPU task that failed (device lost, shader error) is retried on the CPU; so is one sent
    // to a cluster executor started with --gpu off (QUIVER_GPU=off in its environment).
    const device = o.device === 'gpu' && (ctx.attempt > 0 || process.env.QUIVER_GPU === 'off') ? 'cpu' : o.device;
    if (device !== o.device) ctx.metrics.add('predictGpuFallbacks', 1);
    const planned: PredictBackend = o.backend ?? (o.device === 'gpu' ? 'webgpu' : 'wasm');
    const backend: PredictBackend = device === o.device ? planned : 'wasm';
    if (!SHA256.test(o.modelSha256) || !SHA256.test(o.modelJsonSha256)) throw new InternalError(`predict: the plan pins no model (modelSha256 ${JSON.stringify(o.modelSha256)}, modelJsonSha256 ${JSON.stringify(o.modelJsonSha256)})`);
    const pin = { sha256: o.modelSha256, metaSha256: o.modelJsonSha256 };
    // Pipelined: the process's inference thread holds the one copy of the model (GPU device,
    // onnxruntime session) and this task keeps several batches on their way to it while it
    // reads (decodes) the next. Else the model is resident in this worker thread.
    const extras = o.outputs ?? [];
    const names = extras.map((x) => x.name);
    const remote = ctx.inference && backend !== 'wasm' && o.labels !== undefined && o.inputSize !== undefined
      ? new RemotePredictor(ctx.inference, { modelPath: o.modelPath, ...pin, backend, batchSize: o.batchSize, ...(names.length ? { outputs: names } : {}) })
      : null;
    const depth = remote ? PIPELINE_DEPTH : 1;
    let runner: Predictor, labels: Uint8Array[] | null, size: number;
    if (remote) {
      runner = remote;
      labels = o.labels!.length ? o.labels!.map((x) => enc.encode(x)) : null;
      size = o.inputSize!;
    } else {
      const r = await residentModel(o.modelPath, pin, backend, names);
      runner = r.runner;
      labels = modelLabels(r.model)?.map((x) => enc.encode(x)) ?? null;
      size = modelInput(r.model).size;
    }
    const colIndex = this.child.schema.fields.findIndex((f) => f.name === o.inputCol);
    const onError = o.onError ?? 'fail';
    const inFlight: { part: arrow.RecordBatch; goodIdx: Int32Array | null; good: arrow.RecordBatch; res: Promise<Prediction>; t0: number }[] = [];
    let inputDone = false;
    try {
      for (;;) {
        // Keep `depth` batches in flight: read (decode) the next input while earlier ones infer.
        while (!inputDone && inFlight.length < depth) {
          const r = await it.next();
          if (r.done) { inputDone = true; break; }
          const batch = r.value;
          for (let s = 0; s < batch.numRows; s += o.batchSize) {
            const part = s === 0 && batch.numRows <= o.batchSize ? batch : batch.slice(s, Math.min(batch.numRows, s + o.batchSize));
            // Rows with a null image (or, decoding, one that is not an image): an error, or left
            // out of the model's input (onError skip/null).
            const col = part.data.children[colIndex];
            let goodIdx: Int32Array | null, good: arrow.RecordBatch, images: Uint8Array;
            if (o.decode) {
              ({ goodIdx, good, images } = await this.decoded(part, col, o.decode, size, onError, ctx));
            } else {
              goodIdx = col.nullCount > 0 && onError !== 'fail' ? validRows(col) : null;
              good = goodIdx ? takeBatch(part, goodIdx) : part;
              images = imageBytes(good.data.children[colIndex], size, o.inputCol);
            }
            const t0 = performance.now();
            const res = runner.run(images, good.numRows, o.topK);
            res.catch(() => {}); // awaited in order below
            inFlight.push({ part, goodIdx, good, res, t0 });
          }
        }
        const head = inFlight.shift();
        if (!head) break;
        const { part, goodIdx, good } = head;
        const res = await head.res.catch((e: unknown) => {
          if (device !== 'gpu') throw e;
          const reason = (e as { reason?: string }).reason ?? 'error';
          throw new ResourceError(`predict on the GPU failed (${reason}): ${(e as Error).message}; the task is retried on the CPU`, { cause: e });
        });
        const bad = res.scores.subarray(0, good.numRows).findIndex((x) => !Number.isFinite(x));
        if (bad >= 0 && onError === 'fail') {
          throw new DataError(`predict: model '${o.modelName}' gives a non-finite score (${res.scores[bad]}) for an image: its numbers overflow float32 on this input (the test forward pass at q.model() passed); check the weights and the input normalization`, { file: o.modelPath });
        }
        // Remote: the model's own time for these rows; local: the wait, which is the model's time.
        const ms = (res as { ms?: number }).ms ?? performance.now() - head.t0;
        ctx.metrics.add('predictMs', ms);
        ctx.metrics.add('predictRows', good.numRows);
        if (remote) {
          ctx.metrics.add('predictPipelinedRows', part.numRows);
          ctx.metrics.add('predictBatchesCoalesced', ((res as { coalesced?: number }).coalesced ?? 1) > 1 ? 1 : 0);
        }
        const out = [...outputColumns(this.schema, good.numRows, res, labels, o.topK, extras.length), ...extraColumns(this.schema, good.numRows, res, extras)];
        if (goodIdx === null && bad < 0) {
          yield makeBatch(this.schema, [...part.data.children, ...out], part.numRows);
          continue;
        }
        // Some rows had no image or a non-finite score: dropped (skip) or given null tags (null).
        const finite = (i: number) => Number.isFinite(res.scores[i]);
        if (onError === 'skip') {
          const keep = Int32Array.from({ length: good.numRows }, (_, i) => i).filter(finite);
          ctx.metrics.add('predictSkippedRows', part.numRows - keep.length);
          if (keep.length) yield takeBatch(makeBatch(this.schema, [...good.data.children, ...out], good.numRows), keep);
        } else {
          const at = new Int32Array(part.numRows).fill(-1);
          if (goodIdx) goodIdx.forEach((row, i) => { if (finite(i)) at[row] = i; });
          else for (let i = 0; i < part.numRows; i++) if (finite(i)) at[i] = i;
          ctx.metrics.add('predictNullRows', at.filter((x) => x < 0).length);
          yield makeBatch(this.schema, [...part.data.children, ...out.map((d) => takeData(d, at))], part.numRows);
        }
      }
    } finally {
      remote?.close();
      await it.return?.(undefined);
    }
  }
}

/** Rows 0..n-1 not listed in `bad` (sorted by row), in order. */
function rowsWithout(n: number, bad: readonly { row: number }[]): Int32Array {
  const out = new Int32Array(n - bad.length);
  let j = 0, k = 0;
  for (let i = 0; i < n; i++) {
    if (k < bad.length && bad[k].row === i) { k++; continue; }
    out[j++] = i;
  }
  return out;
}

/** Batches a task keeps on their way to the inference thread: enough to overlap reading, transfer and inference, few enough to bound memory. */
const PIPELINE_DEPTH = 3;

/** The rows' images as one contiguous [n x size] u8 buffer (a view when already contiguous). */
export function imageBytes(d: arrow.Data, size: number, col: string): Uint8Array {
  const n = d.length;
  if (d.nullCount > 0) {
    for (let i = 0; i < n; i++) if (!d.getValid(i)) throw new DataError(`predict: '${col}' is null in a row; filter nulls first, e.g. df.filter(col('${col}').isNotNull())`, { column: col });
  }
  const child = d.children[0];
  const values = child.values as Uint8Array;
  // Arrow JS slices a fixed-size list's child (and so its values) with it: values[0] is row 0's.
  if (d.typeId === arrow.Type.FixedSizeList) return values.subarray(0, n * size);
  // list<uint8>: every row must hold exactly `size` values.
  const offs = d.valueOffsets as Int32Array;
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const a = offs[i], b = offs[i + 1];
    if (b - a !== size) throw new DataError(`predict: an image in '${col}' has ${b - a} values, the model takes ${size}`, { column: col });
    out.set(values.subarray(a, b), i * size);
  }
  return out;
}

function outputColumns(schema: arrow.Schema, n: number, res: Prediction, labels: Uint8Array[] | null, topK: number, extras: number): arrow.Data[] {
  const base = schema.fields.length - extras - (topK ? 2 : 0) - (labels ? 3 : 2);
  let next = base;
  const f = () => schema.fields[next++].type;
  const cols = [arrow.makeData({ type: f(), length: n, nullCount: 0, data: res.labels.slice(0, n) } as any)];
  if (labels) {
    const offs = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) { total += labels[res.labels[i]].length; offs[i + 1] = total; }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) bytes.set(labels[res.labels[i]], offs[i]);
    cols.push(arrow.makeData({ type: f(), length: n, nullCount: 0, valueOffsets: offs, data: bytes } as any));
  }
  cols.push(arrow.makeData({ type: f(), length: n, nullCount: 0, data: res.scores.slice(0, n) } as any));
  if (topK) {
    const ids = f() as arrow.FixedSizeList, sc = f() as arrow.FixedSizeList;
    cols.push(arrow.makeData({ type: ids, length: n, nullCount: 0, child: arrow.makeData({ type: ids.children[0].type, length: n * topK, nullCount: 0, data: res.top!.index.slice(0, n * topK) } as any) } as any));
    cols.push(arrow.makeData({ type: sc, length: n, nullCount: 0, child: arrow.makeData({ type: sc.children[0].type, length: n * topK, nullCount: 0, data: res.top!.value.slice(0, n * topK) } as any) } as any));
  }
  return cols;
}

/** The extra graph outputs as fixed_size_list<float32> columns, the schema's last fields (views of the predictor's arrays, which are the batch's own). */
function extraColumns(schema: arrow.Schema, n: number, res: Prediction, extras: readonly ModelOutput[]): arrow.Data[] {
  const first = schema.fields.length - extras.length;
  return extras.map(({ name, size }, j) => {
    const v = res.outputs?.[name];
    if (!v || v.length !== n * size) throw new InternalError(`predict: the model returned ${v?.length ?? 'no'} values for output '${name}', expected ${n} images x ${size}`);
    const type = schema.fields[first + j].type as arrow.FixedSizeList;
    return arrow.makeData({ type, length: n, nullCount: 0, child: arrow.makeData({ type: type.children[0].type, length: n * size, nullCount: 0, data: v.subarray(0, n * size) } as any) } as any);
  });
}

/** Indices of the rows of `d` that are not null. */
function validRows(d: arrow.Data): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < d.length; i++) if (isValid(d, i)) out.push(i);
  return Int32Array.from(out);
}
