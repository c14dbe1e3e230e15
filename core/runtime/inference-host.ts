// InferenceHost: the process's inference lanes (threads started on first use); connects a task to one with a port of its own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Stage } from '../physical/phys-node.ts';
import { walkPhys } from '../physical/phys-node.ts';

function threadFilename(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/inference-host\.(ts|js)$/, 'inference-thread.js');
  if (here.endsWith('.js') && existsSync(js)) return js;
  return here.replace(/inference-host\.(ts|js)$/, 'inference-thread-tsx.mjs');
}

/** Which inference lanes a stage's tasks use: 'gpu' (a WebGPU predict), 'cpu' (onnxruntime), or null (no pipelined predict). */
export type InferenceKind = 'gpu' | 'cpu' | null;

export function stageInferenceKind(stage: Stage): InferenceKind {
  let kind: InferenceKind = null;
  walkPhys(stage.root, (n) => {
    if (n.op !== 'predict' || n.backend === 'wasm') return;
    if (n.backend === 'webgpu' || kind === null) kind = n.backend === 'webgpu' ? 'gpu' : 'cpu';
  });
  return kind;
}

/** A task's connection to an inference lane; release() when the task has ended. */
export interface InferenceLink {
  port: MessagePort;
  release(): void;
}

/**
 * The process's inference lanes: threads that each hold the models their tasks use. WebGPU
 * predicts share lane 0 (one model copy per process and device, batches from every task
 * coalesced there). onnxruntime predicts spread over `threads` lanes, each running its batches
 * on one core: one session with intra-op threads, sharing the cores with the decoding workers,
 * ran about 1.6x slower than one single-threaded session per core (fmnist-cnn, 2 cores), since
 * each of its runs waits for its slowest thread.
 */
export class InferenceHost {
  private readonly lanes: (Worker | null)[] = [];
  /** Tasks connected to each lane now. */
  private readonly load: number[] = [];
  private readonly wanted = new Map<string, InferenceKind>();

  /** `threads`: the lanes onnxruntime predicts spread over (the process's worker count). */
  constructor(private readonly threads: number) {}

  /** Which lanes tasks of this stage (by its JSON, as the pool sends it) use, or null: no port. */
  wants(stageJson: string): InferenceKind {
    let w = this.wanted.get(stageJson);
    if (w === undefined) {
      w = stageInferenceKind(JSON.parse(stageJson) as Stage);
      if (this.wanted.size > 64) this.wanted.clear();
      this.wanted.set(stageJson, w);
    }
    return w;
  }

  private lane(i: number): Worker {
    let w = this.lanes[i];
    if (!w) {
      const started = new Worker(threadFilename(), { workerData: { threads: 1 } });
      // It serves tasks; it must not keep the process alive once the runtime is done with it.
      started.unref();
      // A crash closes every task's port: their predicts fail with a ResourceError and retry.
      started.once('exit', () => { if (this.lanes[i] === started) this.lanes[i] = null; });
      started.on('error', () => {});
      this.lanes[i] = w = started;
      this.load[i] ??= 0;
    }
    return w;
  }

  /** A new port to a lane (started now if it is not running): lane 0 for the GPU, else the least loaded CPU lane. */
  connect(kind: 'gpu' | 'cpu'): InferenceLink {
    let i = 0;
    if (kind === 'cpu') for (let j = 1; j < Math.max(1, this.threads); j++) if ((this.load[j] ?? 0) < (this.load[i] ?? 0)) i = j;
    const w = this.lane(i);
    this.load[i]++;
    const { port1, port2 } = new MessageChannel();
    w.postMessage({ port: port1 }, [port1]);
    let released = false;
    return { port: port2, release: () => { if (!released) { released = true; this.load[i]--; } } };
  }

  /** Asks every lane to free its models and GPU device and end; terminates one that has not within 10 s. */
  async close(): Promise<void> {
    const lanes = this.lanes.splice(0).filter((w): w is Worker => w !== null);
    this.load.length = 0;
    await Promise.all(lanes.map(async (w) => {
      const ended = new Promise<void>((r) => w.once('exit', () => r()));
      // Held while it shuts down: an awaited close must keep the process alive until the thread is gone.
      w.ref();
      w.postMessage({ close: true });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), 10_000); });
      if ((await Promise.race([ended, late])) === 'late') await w.terminate();
      clearTimeout(timer);
    }));
  }
}
