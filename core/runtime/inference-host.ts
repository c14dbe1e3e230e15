// InferenceHost: starts the process's inference thread on first use and connects a task to it with a port of its own.
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

/** True when a stage has a predict whose backend runs in the inference thread (onnxruntime, webgpu). */
export function stageUsesInferenceThread(stage: Stage): boolean {
  let found = false;
  walkPhys(stage.root, (n) => { if (n.op === 'predict' && n.backend !== 'wasm') found = true; });
  return found;
}

export class InferenceHost {
  private worker: Worker | null = null;
  private readonly wanted = new Map<string, boolean>();

  /** `threads`: what a CPU backend (onnxruntime) may use in the inference thread. */
  constructor(private readonly threads: number) {}

  /** Whether tasks of this stage (by its JSON, as the pool sends it) get a port. */
  wants(stageJson: string): boolean {
    let w = this.wanted.get(stageJson);
    if (w === undefined) {
      w = stageUsesInferenceThread(JSON.parse(stageJson) as Stage);
      if (this.wanted.size > 64) this.wanted.clear();
      this.wanted.set(stageJson, w);
    }
    return w;
  }

  /** A new port to the inference thread (started now if it is not running); the other end is served there. */
  connect(): MessagePort {
    if (!this.worker) {
      const w = new Worker(threadFilename(), { workerData: { threads: this.threads } });
      // It serves tasks; it must not keep the process alive once the runtime is done with it.
      w.unref();
      // A crash closes every task's port: their predicts fail with a ResourceError and retry.
      w.once('exit', () => { if (this.worker === w) this.worker = null; });
      w.on('error', () => {});
      this.worker = w;
    }
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ port: port1 }, [port1]);
    return port2;
  }

  /** Asks the thread to free its models and GPU device and end; terminates it if it has not within 10 s. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const ended = new Promise<void>((r) => w.once('exit', () => r()));
    // Held while it shuts down: an awaited close must keep the process alive until the thread is gone.
    w.ref();
    w.postMessage({ close: true });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), 10_000); });
    if ((await Promise.race([ended, late])) === 'late') await w.terminate();
    clearTimeout(timer);
  }
}
