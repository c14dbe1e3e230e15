// kernelSweep: every kernel of each Quiver backend over a range of sizes, as GFLOP/s or GB/s (medians of alternating runs).
//
// Inputs are made once per case and shared by the backends, which take turns run by run so
// that load on a shared machine hits them alike. A backend that needs more than its time
// budget on one size skips the larger sizes of that kernel (lavapipe is a CPU and slow).
import type { KernelBackend } from '../../gpu-kernels/backend.ts';
import { rng } from '../../examples/data/access-log.ts';
import { median } from '../util.ts';

export enum Unit {
  GflopS = 'GFLOP/s',
  GbS = 'GB/s',
}

export interface SweepCase {
  kernel: 'normalize' | 'matmul' | 'softmax' | 'argmax' | 'topk' | 'map';
  /** e.g. "1024^3" or "4096x784 -> 300". */
  shape: string;
  /** The x axis of the charts: elements for GB/s kernels, the cube root of m*n*k for matmul. */
  size: number;
  unit: Unit;
  /** FLOPs (matmul: 2 m n k) or bytes moved (input read + output written) per call. */
  work: number;
  /** Builds the inputs (once) and returns the call to time on a backend. */
  prepare(): (b: KernelBackend) => Promise<unknown>;
}

export interface SweepRow {
  kernel: string;
  shape: string;
  size: number;
  backend: string;
  unit: Unit;
  /** Median seconds per call; NaN when skipped. */
  seconds: number;
  /** GFLOP/s or GB/s at the median. */
  rate: number;
  note: string;
}

function f32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

function u8(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 256) | 0;
  return a;
}

function matmulCase(m: number, k: number, n: number, shape: string, relu: boolean): SweepCase {
  return {
    kernel: 'matmul', shape, size: Math.round(Math.cbrt(m * n * k)), unit: Unit.GflopS, work: 2 * m * n * k,
    prepare: () => {
      const x = f32(m * k, 1, 0, 1), w = f32(n * k, 2, -0.1, 0.1), bias = f32(n, 3);
      return (b) => b.matmul({ x, w, bias, m, k, n, activation: relu ? 'relu' : 'none' });
    },
  };
}

/** The cases: `big` adds 4096-sized matmuls and larger elementwise arrays. */
export function sweepCases(big: boolean): SweepCase[] {
  const elems = big ? [1 << 20, 1 << 22, 1 << 24] : [1 << 18, 1 << 20, 1 << 22];
  const squares = big ? [256, 512, 1024, 2048, 4096] : [256, 512, 1024];
  const cases: SweepCase[] = [];
  // normalize: batches of 28 x 28 images, as the MLP gets them.
  for (const count of big ? [4096, 16384, 65536] : [1024, 4096, 16384]) {
    const n = count * 784;
    cases.push({
      kernel: 'normalize', shape: `${count} x 784 u8`, size: n, unit: Unit.GbS, work: 5 * n,
      prepare: () => { const x = u8(n, 4); return (b) => b.normalize({ x, scale: 1 / 255, shift: 0 }); },
    });
  }
  for (const s of squares) cases.push(matmulCase(s, s, s, `${s}^3`, false));
  // The MLP's three layers at a batch of 4096, bias and ReLU fused as the MLP runs them.
  cases.push(matmulCase(4096, 784, 300, '4096x784 -> 300 +relu', true));
  cases.push(matmulCase(4096, 300, 100, '4096x300 -> 100 +relu', true));
  cases.push(matmulCase(4096, 100, 10, '4096x100 -> 10', false));
  // Row kernels: the MLP's output (m x 10) and an ImageNet-sized one (m x 1000).
  const rows: [number, number][] = big ? [[1 << 16, 10], [1 << 20, 10], [4096, 1000], [16384, 1000]] : [[1 << 16, 10], [4096, 1000]];
  for (const [m, n] of rows) {
    const mk = () => f32(m * n, 5, -8, 8);
    cases.push({ kernel: 'softmax', shape: `${m}x${n}`, size: m * n, unit: Unit.GbS, work: 8 * m * n, prepare: () => { const x = mk(); return (b) => b.softmax({ x, m, n }); } });
    cases.push({ kernel: 'argmax', shape: `${m}x${n}`, size: m * n, unit: Unit.GbS, work: 4 * m * n + 8 * m, prepare: () => { const x = mk(); return (b) => b.argmax({ x, m, n }); } });
    if (n >= 5) cases.push({ kernel: 'topk', shape: `${m}x${n}, k=5`, size: m * n, unit: Unit.GbS, work: 4 * m * n + 40 * m, prepare: () => { const x = mk(); return (b) => b.topk({ x, m, n, k: 5 }); } });
  }
  for (const n of elems) {
    cases.push({ kernel: 'map', shape: `relu, ${count(n)} f32`, size: n, unit: Unit.GbS, work: 8 * n, prepare: () => { const x = f32(n, 6); return (b) => b.map({ x, fn: { op: 'relu' } }); } });
    cases.push({ kernel: 'map', shape: `exp, ${count(n)} f32`, size: n, unit: Unit.GbS, work: 8 * n, prepare: () => { const x = f32(n, 6); return (b) => b.map({ x, fn: { op: 'exp' } }); } });
  }
  return cases;
}

/** 262144 -> "256 Ki", 4194304 -> "4 Mi". */
function count(n: number): string {
  return n >= 2 ** 20 ? `${n / 2 ** 20} Mi` : `${n / 2 ** 10} Ki`;
}

async function seconds(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

export interface NamedBackend {
  /** The contender id, e.g. 'quiver-webgpu-f16' (descriptions may not tell precisions apart). */
  name: string;
  backend: KernelBackend;
}

/**
 * Runs every case on every backend: one untimed warm-up call (shaders compiled, buffers
 * pooled; lavapipe can take longer to compile a shader than to run it), then up to `runs`
 * alternating timed calls, until a backend's timed calls add up to `budget` seconds. A case
 * that the backend's last speed on that kernel says would take over budget / 2 a call (the
 * warm-up and one run) is skipped: this keeps lavapipe off the 1024^3 matmuls.
 */
export async function kernelSweep(backends: NamedBackend[], cases: SweepCase[], runs: number, budget: number, log: (line: string) => void): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  const secondsPerWork = new Map<string, number>(); // `${backend}/${kernel}` -> its last case's median seconds / work
  for (const c of cases) {
    const call = c.prepare();
    const key = (b: NamedBackend) => `${b.name}/${c.kernel}`;
    const predicted = new Map(backends.map((b) => [b, c.work * (secondsPerWork.get(key(b)) ?? 0)]));
    const live = backends.filter((b) => predicted.get(b)! * 2 <= budget);
    const times = new Map<NamedBackend, number[]>(live.map((b) => [b, []]));
    const errors = new Map<NamedBackend, string>();
    for (const b of live) {
      try {
        await call(b.backend);
      } catch (e) {
        errors.set(b, (e as Error).message.split('\n')[0]);
      }
    }
    const spent = (b: NamedBackend) => times.get(b)!.reduce((a, t) => a + t, 0);
    for (let r = 0; r < runs; r++) {
      for (const b of live) if (!errors.has(b) && spent(b) < budget) times.get(b)!.push(await seconds(() => call(b.backend)));
    }
    for (const b of backends) {
      const ts = times.get(b);
      const base = { kernel: c.kernel, shape: c.shape, size: c.size, backend: b.name, unit: c.unit };
      if (!ts) { rows.push({ ...base, seconds: NaN, rate: NaN, note: `skipped: would take ~${predicted.get(b)!.toFixed(1)} s a call` }); continue; }
      if (errors.has(b)) { rows.push({ ...base, seconds: NaN, rate: NaN, note: `failed: ${errors.get(b)}` }); continue; }
      const s = median(ts);
      secondsPerWork.set(key(b), s / c.work);
      rows.push({ ...base, seconds: s, rate: c.work / s / 1e9, note: ts.length < runs ? `${ts.length} run${ts.length > 1 ? 's' : ''} (slow)` : '' });
    }
    const done = rows.slice(-backends.length);
    log(`  ${c.kernel} ${c.shape}: ${done.map((r) => `${r.backend} ${Number.isNaN(r.rate) ? '-' : r.rate.toFixed(2)}`).join(', ')} ${c.unit}`);
  }
  return rows;
}
