// GpuDevice: the one Dawn adapter and device of a thread, its pipelines, buffer pool and error handling.
import { BufferPool } from './buffer-pool.ts';
import { GpuError, NO_ADAPTER_HINT } from './errors.ts';
import { MapMode, Usage, alignUp } from '../wgsl-util.ts';
import { log } from '../log.ts';

/** 'auto': use the GPU when there is one, else the caller falls back to the CPU (one log line). 'require': no GPU is an error. 'off': never. */
export type GpuMode = 'auto' | 'require' | 'off';

export interface GpuDeviceOptions {
  gpu?: GpuMode;
  /** Dawn backend; Vulkan is the only one tested on Linux. */
  backend?: string;
  /** Where the one-time fallback line goes (default: the logger's warn, QUIVER_LOG). */
  log?: (line: string) => void;
}

export interface GpuDeviceInfo {
  /** e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "NVIDIA H100 80GB HBM3". */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader): correct but slow; tiles are picked for it. */
  isCpu: boolean;
  features: string[];
  hasF16: boolean;
  limits: Record<string, number>;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * The thread's Dawn instance, one per backend, kept for the thread's life. dawn.node's event
 * loop hook keeps calling into an instance after its devices are destroyed: an instance that
 * is garbage-collected then crashes the process (SIGSEGV in InstanceBase::ProcessEvents, or
 * "terminate called after throwing std::system_error"), so none is ever dropped.
 */
const instances = new Map<string, GPU>();

function dawnInstance(create: (flags: string[]) => GPU, backend: string): GPU {
  let gpu = instances.get(backend);
  if (!gpu) {
    gpu = create([`backend=${backend}`]);
    instances.set(backend, gpu);
  }
  return gpu;
}

/**
 * Owns one GPUDevice. Create it through getGpuDevice() (one per thread: dawn.node is loaded per
 * isolate, so a worker thread gets its own) and destroy() it on close.
 */
// webgpu is an optional peer dependency: an install for the CPU kernels alone leaves it out.
const WEBGPU_MISSING = 'the GPU kernels need the optional package webgpu (Dawn), which is not installed: npm install webgpu';

function isWebgpuMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test((e as Error).message);
}

/** What to install when the webgpu package cannot be imported; null when it can (the adapter may still be missing). */
export async function webgpuMissing(): Promise<string | null> {
  try {
    await import('webgpu');
    return null;
  } catch (e) {
    return isWebgpuMissing(e) ? WEBGPU_MISSING : null;
  }
}

export class GpuDevice {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private failure: GpuError | null = null;
  private uncaptured: GpuError | null = null;
  private closed = false;

  private constructor(readonly device: GPUDevice, readonly info: GpuDeviceInfo) {
    this.pool = new BufferPool(device);
    device.lost.then((lost) => {
      if (lost.reason === 'destroyed' && this.closed) return;
      this.failure = new GpuError('device-lost', `GPU device lost (${lost.reason}): ${lost.message}; the operation can be retried on the CPU backend`);
    });
    // Errors outside an error scope (none expected: jobs and pipelines open scopes) fail the next job, once.
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.uncaptured ??= new GpuError('internal', `uncaptured GPU error: ${e.message}`);
    });
  }

  /** Opens the device; null when there is no adapter and mode is 'auto' (or mode is 'off'). */
  static async open(options: GpuDeviceOptions = {}): Promise<GpuDevice | null> {
    const mode = options.gpu ?? 'auto';
    if (mode === 'off') return null;
    // Mesa's WSI layers warn when XDG_RUNTIME_DIR is unset, even for compute-only use.
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    let why = '';
    let adapter: GPUAdapter | null = null;
    try {
      const { create } = await import('webgpu');
      const gpu = dawnInstance(create, options.backend ?? 'vulkan');
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (e) {
      if (isWebgpuMissing(e)) {
        const msg = WEBGPU_MISSING;
        if (mode === 'require') throw new GpuError('no-adapter', msg);
        logOnce(options.log ?? log.warn, `quiver: ${msg}; using the CPU kernels`);
        return null;
      }
      why = `: ${(e as Error).message}`;
    }
    if (!adapter) {
      const msg = `no Vulkan adapter${why}: ${NO_ADAPTER_HINT}`;
      if (mode === 'require') throw new GpuError('no-adapter', msg);
      logOnce(options.log ?? log.warn, `quiver: ${msg}; using the CPU kernels`);
      return null;
    }
    const requiredLimits: Record<string, number> = {};
    for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
    const hasF16 = adapter.features.has('shader-f16');
    const device = await adapter.requestDevice({
      requiredFeatures: hasF16 ? ['shader-f16'] : [],
      requiredLimits,
      label: 'quiver',
    });
    const ai = adapter.info;
    const description = ai.description || ai.device || ai.vendor || 'unknown adapter';
    const limits: Record<string, number> = {};
    for (const k of WANTED_LIMITS) limits[k] = device.limits[k];
    limits.minStorageBufferOffsetAlignment = device.limits.minStorageBufferOffsetAlignment;
    const info: GpuDeviceInfo = {
      name: description.replace(/:.*$/, '') || 'unknown',
      vendor: ai.vendor,
      architecture: ai.architecture,
      description,
      isCpu: ai.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${description} ${ai.device}`) || !!(ai as { isFallbackAdapter?: boolean }).isFallbackAdapter,
      features: [...device.features].sort(),
      hasF16,
      limits,
    };
    log.debug(`quiver: GPU device opened: ${info.name} (${info.vendor || 'unknown vendor'}, ${info.isCpu ? 'CPU implementation' : 'hardware'}, f16 ${hasF16 ? 'yes' : 'no'})`);
    return new GpuDevice(device, info);
  }

  /** Throws the recorded failure (device lost, uncaptured error) or a closed-device error. */
  check(): void {
    if (this.closed) throw new GpuError('destroyed', 'GpuDevice used after destroy(): open a new one with getGpuDevice()');
    if (this.failure) throw this.failure;
    const u = this.uncaptured;
    this.uncaptured = null;
    if (u) throw u;
  }

  /**
   * A compute pipeline, compiled once per key. The key MUST determine the code (include every
   * templated shape, tile and precision in it).
   */
  pipeline(key: string, code: () => string, entryPoint = 'main'): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(key);
    if (!p) {
      this.check();
      // A scope of its own: a WGSL error in createShaderModule is otherwise uncaptured.
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: code(), label: key });
      const scope = this.device.popErrorScope();
      const fail = async (e: unknown): Promise<never> => {
        this.pipelines.delete(key);
        const info = await module.getCompilationInfo();
        const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
        throw new GpuError('validation', `WGSL pipeline '${key}' failed: ${msgs || (e as Error).message} (a bug in the shader template)`, { cause: e });
      };
      p = scope.then(async (err) => {
        if (err) return fail(err);
        return this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint }, label: key }).catch(fail);
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** A new job: buffers leased from the pool, passes encoded, one submission, readbacks. */
  job(label = 'job'): GpuJob {
    this.check();
    return new GpuJob(this, label);
  }

  /** Records a failure seen by a job so that later jobs fail fast (device lost). */
  fail(e: GpuError): void {
    if (e.reason === 'device-lost') this.failure ??= e;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.destroy();
    this.pipelines.clear();
    this.device.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

let logged = false;
function logOnce(log: (line: string) => void, line: string): void {
  if (logged) return;
  logged = true;
  log(line);
}

/**
 * One unit of GPU work. Every buffer it leases goes back to the pool in submit()'s finally, so
 * an error or an abandoned batch leaks nothing. Not reusable after submit().
 */
export class GpuJob {
  private readonly leases: GPUBuffer[] = [];
  private readonly reads: { staging: GPUBuffer; bytes: number; src: GPUBuffer; offset: number }[] = [];
  private readonly encoder: GPUCommandEncoder;
  private readonly d: GPUDevice;

  /** MUST be used synchronously up to submit(): error scopes are a device-wide stack, so an await in between lets another job's scopes interleave. */
  constructor(private readonly gd: GpuDevice, label: string) {
    this.d = gd.device;
    // Scopes opened now and popped in submit(): writeBuffer, encoding and submission all fall inside.
    this.d.pushErrorScope('out-of-memory');
    this.d.pushErrorScope('validation');
    this.d.pushErrorScope('internal');
    this.encoder = this.d.createCommandEncoder({ label });
  }

  /** A storage buffer of at least `bytes` (contents undefined). */
  buffer(bytes: number, extraUsage = 0): GPUBuffer {
    const b = this.gd.pool.acquire(alignUp(Math.max(bytes, 4), 4), Usage.Storage | Usage.CopySrc | Usage.CopyDst | extraUsage);
    this.leases.push(b);
    return b;
  }

  /** A storage buffer holding `data` (padded to 4 bytes). */
  upload(data: ArrayBufferView): GPUBuffer {
    const b = this.buffer(data.byteLength);
    writePadded(this.d.queue, b, data);
    return b;
  }

  /** A uniform buffer of u32/f32 parameters (16-byte padded, as uniform layout requires). */
  uniform(words: ArrayLike<number>, asFloat?: readonly boolean[]): GPUBuffer {
    const n = alignUp(Math.max(words.length, 4), 4);
    const buf = new ArrayBuffer(n * 4);
    const u = new Uint32Array(buf), f = new Float32Array(buf);
    for (let i = 0; i < words.length; i++) if (asFloat?.[i]) f[i] = words[i]; else u[i] = words[i];
    const b = this.gd.pool.acquire(n * 4, Usage.Uniform | Usage.CopyDst);
    this.leases.push(b);
    this.d.queue.writeBuffer(b, 0, buf);
    return b;
  }

  /**
   * Encodes one dispatch; bindings are in @binding order of group 0. null skips a binding the
   * shader variant does not use: layout 'auto' drops unused bindings, and binding them anyway
   * is a validation error.
   */
  dispatch(pipeline: GPUComputePipeline, bindings: (GPUBuffer | null)[], groups: [number, number?, number?]): void {
    if (groups[0] === 0 || groups[1] === 0) return;
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((buffer, binding) => { if (buffer) entries.push({ binding, resource: { buffer } }); });
    const bind = this.d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    pass.end();
  }

  /** Schedules a copy of `bytes` of `src` to the host; its ArrayBuffer comes back from submit() in call order. */
  read(src: GPUBuffer, bytes: number, offset = 0): void {
    const size = alignUp(Math.max(bytes, 4), 4);
    const staging = this.gd.pool.acquire(size, Usage.MapRead | Usage.CopyDst);
    this.leases.push(staging);
    this.encoder.copyBufferToBuffer(src, offset, staging, 0, size);
    this.reads.push({ staging, bytes, src, offset });
  }

  /**
   * Submits, waits for the readbacks (mapAsync: the event loop stays free) and returns copies
   * of them. Validation, out-of-memory and device loss become a GpuError.
   */
  async submit(): Promise<ArrayBuffer[]> {
    try {
      this.d.queue.submit([this.encoder.finish()]);
      const scopes = [this.d.popErrorScope(), this.d.popErrorScope(), this.d.popErrorScope()];
      const maps = this.reads.map((r) => r.staging.mapAsync(MapMode.Read, 0, alignUp(Math.max(r.bytes, 4), 4)));
      const [internal, validation, oom] = await Promise.all(scopes);
      const err = validation ?? oom ?? internal;
      if (err) {
        await Promise.allSettled(maps);
        const reason = err === oom ? 'out-of-memory' : err === validation ? 'validation' : 'internal';
        throw new GpuError(reason, `GPU ${reason} error: ${err.message}`);
      }
      try {
        await Promise.all(maps);
      } catch (e) {
        this.gd.check(); // device lost: its GpuError explains better
        throw new GpuError('device-lost', `GPU readback failed: ${(e as Error).message}; the operation can be retried on the CPU backend`, { cause: e });
      }
      return this.reads.map((r) => {
        const out = r.staging.getMappedRange(0, alignUp(Math.max(r.bytes, 4), 4)).slice(0, r.bytes);
        r.staging.unmap();
        return out;
      });
    } catch (e) {
      if (e instanceof GpuError) this.gd.fail(e);
      throw e;
    } finally {
      for (const r of this.reads) if (r.staging.mapState === 'mapped') r.staging.unmap();
      for (const b of this.leases) this.gd.pool.release(b);
    }
  }

  /** Hands `buf` to the job so it goes back to the pool with the job's other buffers. */
  adopt(buf: GPUBuffer): void {
    this.leases.push(buf);
  }
}

/**
 * The thread's staging copy for views queue.writeBuffer refuses: dawn.node takes only a plain
 * ArrayBuffer ("invalid value for BufferSource"), while shuffle blocks and in-memory tables live
 * in SharedArrayBuffers. Grown to the largest upload and reused: writeBuffer copies the bytes
 * before it returns, so the next upload may overwrite them.
 */
let staging = new ArrayBuffer(0);

/** `data`'s bytes in a plain ArrayBuffer: itself when it already is one, else a copy in the staging buffer. */
function plainBytes(data: ArrayBufferView): { buffer: ArrayBuffer; offset: number } {
  if (data.buffer instanceof ArrayBuffer) return { buffer: data.buffer, offset: data.byteOffset };
  if (staging.byteLength < data.byteLength) staging = new ArrayBuffer(alignUp(data.byteLength, 1 << 16));
  new Uint8Array(staging, 0, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { buffer: staging, offset: 0 };
}

/**
 * queue.writeBuffer of any view: one backed by a SharedArrayBuffer is copied into a reused staging
 * ArrayBuffer first; a size that is not a multiple of 4 has its tail padded in a small copy.
 */
export function writePadded(queue: GPUQueue, dst: GPUBuffer, view: ArrayBufferView, dstOffset = 0): void {
  const plain = plainBytes(view);
  const data = new Uint8Array(plain.buffer, plain.offset, view.byteLength);
  const whole = data.byteLength & ~3;
  if (whole > 0) queue.writeBuffer(dst, dstOffset, data.buffer, data.byteOffset, whole);
  const rest = data.byteLength - whole;
  if (rest > 0) {
    const tail = new Uint8Array(4);
    tail.set(new Uint8Array(data.buffer, data.byteOffset + whole, rest));
    queue.writeBuffer(dst, dstOffset + whole, tail);
  }
}

let shared: Promise<GpuDevice | null> | null = null;

/**
 * The thread's GpuDevice (created on first call). With 'auto' and no adapter it resolves to
 * null (callers use the CPU backend); 'require' rejects with a GpuError naming what to install.
 */
export async function getGpuDevice(options: GpuDeviceOptions = {}): Promise<GpuDevice | null> {
  const mode = options.gpu ?? 'auto';
  if (mode === 'off') return null;
  if (shared) {
    const d = await shared.catch(() => null);
    if (d && !d.isClosed) return d;
    if (!d && mode === 'auto') return null;
  }
  const p = GpuDevice.open(options);
  shared = p;
  p.catch(() => { if (shared === p) shared = null; });
  return p;
}

/** Destroys the thread's GpuDevice, if any (call on engine close). */
export async function closeGpuDevice(): Promise<void> {
  const s = shared;
  shared = null;
  const d = await s?.catch(() => null);
  d?.destroy();
}
