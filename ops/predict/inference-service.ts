// InferenceService: the inference side of a pipelined predict; one resident model per (model, backend) in its thread, fed by many tasks through message ports, with small batches coalesced and several in flight.
import type { MessagePort } from 'node:worker_threads';
import type { Ranked } from '../../gpu-kernels/argmax/contract.ts';
import { errorToJSON, type ErrorJSON } from '../errors.ts';
import { loadAnyModel } from '../model/any-model.ts';
import { createPredictRunner, type PredictBackend } from './backends.ts';
import type { Prediction, Predictor } from './predictor.ts';

/** One batch of images a task sends (`images` is transferred, not copied). */
export interface InferRequest {
  id: number;
  modelPath: string;
  sha256: string;
  metaSha256: string;
  backend: PredictBackend;
  /** Rows per model call: queued requests are coalesced up to this many. */
  batchSize: number;
  images: Uint8Array;
  n: number;
  topK: number;
  /** Graph outputs to return besides the ranked one (absent: none); part of the model's identity here, so coalesced requests all ask the same. */
  outputs?: readonly string[];
}

export type InferReply =
  /** `outputs`: each extra output's rows for this request alone (transferred, not copied). */
  | { id: number; ok: true; labels: Int32Array; scores: Float32Array; top?: Ranked; outputs?: Record<string, Float32Array>; ms: number; coalesced: number }
  | { id: number; ok: false; error: ErrorJSON };

interface Waiting {
  req: InferRequest;
  done: (r: InferReply, transfer: ArrayBuffer[]) => void;
}

/** Batches a backend runs at once: a GPU overlaps upload, compute and read-back of several; onnxruntime's run blocks its thread, so one. */
const IN_FLIGHT: Record<PredictBackend, number> = { webgpu: 3, onnxruntime: 1, wasm: 1 };

class ModelQueue {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  constructor(private readonly runner: Promise<Predictor>, private readonly maxInFlight: number) {}

  /** Waits for the calls in flight, then frees the model. */
  async dispose(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    try { (await this.runner).dispose(); } catch { /* a model that failed to load holds nothing */ }
  }

  push(w: Waiting): void {
    this.waiting.push(w);
    this.pump();
  }

  /** Starts model calls while fewer than maxInFlight run: each takes what is queued, up to the batch size (no timer: a busy model lets requests pile up). */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length) {
      const take: Waiting[] = [this.waiting.shift()!];
      let rows = take[0].req.n;
      while (this.waiting.length && rows + this.waiting[0].req.n <= take[0].req.batchSize) {
        const w = this.waiting.shift()!;
        take.push(w);
        rows += w.req.n;
      }
      this.inFlight++;
      void this.run(take, rows).finally(() => { this.inFlight--; this.pump(); });
    }
  }

  private async run(take: Waiting[], rows: number): Promise<void> {
    const topK = Math.max(...take.map((w) => w.req.topK));
    let images = take[0].req.images;
    if (take.length > 1) {
      images = new Uint8Array(take.reduce((s, w) => s + w.req.images.length, 0));
      let o = 0;
      for (const w of take) { images.set(w.req.images, o); o += w.req.images.length; }
    }
    let res: Prediction;
    const t0 = performance.now();
    try {
      res = await (await this.runner).run(images, rows, topK);
    } catch (e) {
      const error = errorToJSON(e);
      for (const w of take) w.done({ id: w.req.id, ok: false, error }, []);
      return;
    }
    const ms = performance.now() - t0;
    let row = 0;
    for (const w of take) {
      const { n, topK: k } = w.req;
      const labels = res.labels.slice(row, row + n), scores = res.scores.slice(row, row + n);
      let top: Ranked | undefined;
      if (k > 0 && res.top) {
        top = { index: new Int32Array(n * k), value: new Float32Array(n * k) };
        for (let i = 0; i < n; i++) {
          top.index.set(res.top.index.subarray((row + i) * topK, (row + i) * topK + k), i * k);
          top.value.set(res.top.value.subarray((row + i) * topK, (row + i) * topK + k), i * k);
        }
      }
      const transfer: ArrayBuffer[] = [labels.buffer, scores.buffer];
      if (top) transfer.push(top.index.buffer as ArrayBuffer, top.value.buffer as ArrayBuffer);
      let outputs: Record<string, Float32Array> | undefined;
      if (res.outputs) {
        outputs = {};
        for (const [name, all] of Object.entries(res.outputs)) {
          // This request's rows of the coalesced batch, in a buffer of their own to transfer.
          const per = rows ? all.length / rows : 0;
          outputs[name] = all.slice(row * per, (row + n) * per);
          transfer.push(outputs[name].buffer as ArrayBuffer);
        }
      }
      w.done({ id: w.req.id, ok: true, labels, scores, top, outputs, ms: (ms * n) / rows, coalesced: take.length }, transfer);
      row += n;
    }
  }
}

/**
 * Serves inference requests from task ports. A model is loaded (and verified against the
 * request's hashes) once per (model, backend) for the life of the thread; `threads` is what a
 * CPU backend may use (the process's cores: decoding runs elsewhere).
 */
export class InferenceService {
  private readonly queues = new Map<string, ModelQueue>();
  constructor(private readonly threads: number) {}

  private queue(r: InferRequest): ModelQueue {
    const outputs = r.outputs ?? [];
    const key = `${r.modelPath}\0${r.sha256}\0${r.metaSha256}\0${r.backend}\0${JSON.stringify(outputs)}`;
    let q = this.queues.get(key);
    if (!q) {
      const runner = (async () => (await createPredictRunner(loadAnyModel(r.modelPath, { sha256: r.sha256, metaSha256: r.metaSha256 }), r.backend, this.threads, outputs)).runner)();
      // A model that failed to load is not kept: the next request (a retry) tries again.
      runner.catch(() => { if (this.queues.get(key) === q) this.queues.delete(key); });
      q = new ModelQueue(runner, IN_FLIGHT[r.backend]);
      this.queues.set(key, q);
    }
    return q;
  }

  /** Disposes every model and closes this thread's GPU device (if one was opened). */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    for (const q of queues) await q.dispose();
    const { closeGpuDevice } = await import('../../gpu-kernels/device/index.ts');
    await closeGpuDevice();
  }

  /** Answers every request arriving on `port` (one port per task) until it closes. */
  serve(port: MessagePort): void {
    port.on('message', (r: InferRequest) => {
      this.queue(r).push({ req: r, done: (reply, transfer) => { try { port.postMessage(reply, transfer); } catch { /* the task is gone */ } } });
    });
  }
}
