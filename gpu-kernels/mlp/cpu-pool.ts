// Worker threads for the CPU MLP: each runs simd.wat forward on chunks of rows taken from a shared counter.
import { Worker } from 'node:worker_threads';

/** A thread's scratch buffers (byte offsets): two for activations, one for the nonzero lists. */
export type Scratch = [number, number, number];

/** simd.wat forward (see there). */
export type Forward = (model: number, images: number, row0: number, rows: number, s0: number, s1: number, s2: number, out: number, ldo: number, labels: number, scores: number) => void;

/** Words of the control block (an Int32Array over a SharedArrayBuffer) that the threads share. */
export enum Ctl {
  /** Generation of the current batch; bumped (and notified) to hand a batch to the workers. */
  Gen,
  /**
   * (gen & 0xffff) << 16 | next chunk index (a batch has under 2^16 chunks: mlp/cpu.ts runs at
   * most PASS rows at a time). A claim is a compare-exchange that checks the generation too.
   */
  Next,
  /** Rows finished in the current batch; the last finisher notifies. */
  Done,
  /** Set to 1 to make the workers return. */
  Stop,
  /** Set when forward threw in a worker (an invariant broke: bad layout). */
  Failed,
  Model, Images, Rows, Chunk, Out, Ldo, Labels, Scores,
  Size,
}

/**
 * Claims and runs chunks of the current batch until none is left (or the batch is no longer
 * `gen`). The batch's words are read before the first claim: a late thread may read the next
 * batch's words, but then its claim fails on the generation tag, and a batch's words change
 * only after all its chunks are claimed and done.
 */
export function runChunks(ctl: Int32Array, gen: number, forward: Forward, s: Scratch): void {
  const model = Atomics.load(ctl, Ctl.Model), images = Atomics.load(ctl, Ctl.Images), m = Atomics.load(ctl, Ctl.Rows);
  const chunk = Atomics.load(ctl, Ctl.Chunk), out = Atomics.load(ctl, Ctl.Out), ldo = Atomics.load(ctl, Ctl.Ldo);
  const labels = Atomics.load(ctl, Ctl.Labels), scores = Atomics.load(ctl, Ctl.Scores);
  const tag = gen & 0xffff;
  for (;;) {
    const cur = Atomics.load(ctl, Ctl.Next);
    if (cur >>> 16 !== tag) return;
    const row0 = (cur & 0xffff) * chunk;
    if (row0 >= m) return;
    if (Atomics.compareExchange(ctl, Ctl.Next, cur, cur + 1) !== cur) continue;
    const rows = Math.min(chunk, m - row0);
    try {
      forward(model, images, row0, rows, s[0], s[1], s[2], out, ldo, labels, scores);
    } catch {
      Atomics.store(ctl, Ctl.Failed, 1);
    }
    if (Atomics.add(ctl, Ctl.Done, rows) + rows >= m) Atomics.notify(ctl, Ctl.Done);
  }
}

/**
 * The worker's source, evaluated (not a file), so that it loads the same way from TypeScript
 * sources, from dist/, and inside a piscina worker. It is runChunks (above) again, in plain JS:
 * keep the two in step. process.getBuiltinModule, not require: an eval'd worker inherits
 * --input-type=module when its parent has it, and is then an ES module without require.
 */
const WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
const { module, memory, control, s0, s1, s2 } = workerData;
const forward = new WebAssembly.Instance(module, { env: { memory } }).exports.forward;
const ctl = new Int32Array(control);
const C = ${JSON.stringify({ Gen: Ctl.Gen, Next: Ctl.Next, Done: Ctl.Done, Stop: Ctl.Stop, Failed: Ctl.Failed, Model: Ctl.Model, Images: Ctl.Images, Rows: Ctl.Rows, Chunk: Ctl.Chunk, Out: Ctl.Out, Ldo: Ctl.Ldo, Labels: Ctl.Labels, Scores: Ctl.Scores })};
let seen = Atomics.load(ctl, C.Gen);
for (;;) {
  Atomics.wait(ctl, C.Gen, seen);
  if (Atomics.load(ctl, C.Stop)) break;
  const gen = Atomics.load(ctl, C.Gen);
  seen = gen;
  const model = Atomics.load(ctl, C.Model), images = Atomics.load(ctl, C.Images), m = Atomics.load(ctl, C.Rows);
  const chunk = Atomics.load(ctl, C.Chunk), out = Atomics.load(ctl, C.Out), ldo = Atomics.load(ctl, C.Ldo);
  const labels = Atomics.load(ctl, C.Labels), scores = Atomics.load(ctl, C.Scores);
  const tag = gen & 0xffff;
  for (;;) {
    const cur = Atomics.load(ctl, C.Next);
    if (cur >>> 16 !== tag) break;
    const row0 = (cur & 0xffff) * chunk;
    if (row0 >= m) break;
    if (Atomics.compareExchange(ctl, C.Next, cur, cur + 1) !== cur) continue;
    const rows = Math.min(chunk, m - row0);
    try { forward(model, images, row0, rows, s0, s1, s2, out, ldo, labels, scores); } catch { Atomics.store(ctl, C.Failed, 1); }
    if (Atomics.add(ctl, C.Done, rows) + rows >= m) Atomics.notify(ctl, C.Done);
  }
}
`;

/** Threads that help the calling thread run batches; they never keep the process alive. */
export class ForwardPool {
  readonly ctl = new Int32Array(new SharedArrayBuffer(4 * Ctl.Size));
  private readonly workers: Worker[] = [];
  private gen = 0;

  /** `scratch[i]` is worker i's scratch buffers in `memory`. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, scratch: Scratch[]) {
    for (const [s0, s1, s2] of scratch) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.ctl.buffer, s0, s1, s2 } });
      // unref: a runner that is never disposed must not hold the process open; errors are
      // reported through Ctl.Failed, so an 'error' event is only logged by nobody.
      w.unref();
      w.on('error', () => Atomics.store(this.ctl, Ctl.Failed, 1));
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs m rows (forward's arguments in `p`) on the workers and on this thread, which takes
   * chunks too and then waits (blocking) for the chunks the workers hold. A worker that has
   * not started yet simply finds no chunk left.
   */
  run(p: { model: number; images: number; m: number; chunk: number; out: number; ldo: number; labels: number; scores: number }, forward: Forward, s: Scratch): void {
    const { ctl } = this;
    const gen = (this.gen = (this.gen + 1) | 0);
    Atomics.store(ctl, Ctl.Model, p.model);
    Atomics.store(ctl, Ctl.Images, p.images);
    Atomics.store(ctl, Ctl.Rows, p.m);
    Atomics.store(ctl, Ctl.Chunk, p.chunk);
    Atomics.store(ctl, Ctl.Out, p.out);
    Atomics.store(ctl, Ctl.Ldo, p.ldo);
    Atomics.store(ctl, Ctl.Labels, p.labels);
    Atomics.store(ctl, Ctl.Scores, p.scores);
    Atomics.store(ctl, Ctl.Done, 0);
    Atomics.store(ctl, Ctl.Next, (gen & 0xffff) << 16);
    Atomics.store(ctl, Ctl.Gen, gen);
    Atomics.notify(ctl, Ctl.Gen);
    runChunks(ctl, gen, forward, s);
    for (let d = Atomics.load(ctl, Ctl.Done); d < p.m; d = Atomics.load(ctl, Ctl.Done)) Atomics.wait(ctl, Ctl.Done, d);
  }

  /** Stops the workers; idempotent. */
  close(): void {
    Atomics.store(this.ctl, Ctl.Stop, 1);
    Atomics.add(this.ctl, Ctl.Gen, 1);
    Atomics.notify(this.ctl, Ctl.Gen);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
