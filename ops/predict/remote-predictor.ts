// RemotePredictor: a task's side of a pipelined predict; sends image batches to the process's inference thread through a message port and awaits their tags.
import type { MessagePort } from 'node:worker_threads';
import { errorFromJSON, ResourceError } from '../errors.ts';
import type { InferReply, InferRequest } from './inference-service.ts';
import type { Prediction, Predictor } from './predictor.ts';

export type RemoteModel = Omit<InferRequest, 'id' | 'images' | 'n' | 'topK'>;

/** Request ids, unique in this thread (several predicts of a stage may share its port). */
let nextId = 0;

/** The inference thread's answer: the tags and extra outputs, the model's time for these rows, and whether they rode in a coalesced batch. */
export type RemotePrediction = Prediction & { ms: number; coalesced: number };

export class RemotePredictor implements Predictor {
  private readonly pending = new Map<number, { resolve: (r: RemotePrediction) => void; reject: (e: unknown) => void }>();
  private closed = false;

  private readonly onMessage = (m: InferReply): void => {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve({ labels: m.labels, scores: m.scores, top: m.top, ...(m.outputs ? { outputs: m.outputs } : {}), ms: m.ms, coalesced: m.coalesced });
    else p.reject(errorFromJSON(m.error));
  };

  // The inference thread ended (a crash, the runtime closing): nothing pending will be answered.
  private readonly onClose = (): void => this.fail(new ResourceError('predict: the inference thread stopped before answering; the task is retried'));

  /** The port belongs to the task (its runner closes it); close() only detaches this predictor. */
  constructor(private readonly port: MessagePort, private readonly model: RemoteModel) {
    port.on('message', this.onMessage);
    port.on('close', this.onClose);
  }

  private fail(e: unknown): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Sends a copy of `images` (the copy is transferred: the caller's buffer may be shared memory). */
  run(images: Uint8Array, n: number, topK = 0): Promise<RemotePrediction> {
    if (this.closed) return Promise.reject(new ResourceError('predict: the inference thread is gone; the task is retried'));
    const id = nextId++;
    const copy = images.slice();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: InferRequest = { ...this.model, id, images: copy, n, topK };
      this.port.postMessage(req, [copy.buffer]);
    });
  }

  close(): void {
    this.closed = true;
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
  }

  /** As MlpRunner's: the model stays resident in the inference thread. */
  dispose(): void {
    this.close();
  }
}
