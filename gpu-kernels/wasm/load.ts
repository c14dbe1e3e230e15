// Loading WebAssembly kernels assembled from .wat at build time, and the linear memory they work in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modules = new Map<string, WebAssembly.Module>();

/**
 * The compiled module at `url` (a .wasm beside its .wat source), compiled once per thread.
 * A missing file means the build step has not run: the error says which command makes it.
 */
export function loadWasmModule(url: URL): WebAssembly.Module {
  const key = url.href;
  let m = modules.get(key);
  if (!m) {
    const path = fileURLToPath(url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new Error(`WebAssembly kernel ${path} is missing: run \`npm run build:wasm\` (npm test, npm run demo and npm run build do it for you)`);
    }
    m = new WebAssembly.Module(bytes);
    modules.set(key, m);
  }
  return m;
}

const PAGE = 65536;

/**
 * One instance of a kernel module with its own growable memory. Callers lay out their inputs
 * from byte 0 each call (a scratch heap, not an allocator) and MUST re-read `u8`/`i32` after
 * `reserve`, because growing the memory detaches the old views.
 */
export class WasmHeap<E extends WebAssembly.Exports = WebAssembly.Exports> {
  readonly memory: WebAssembly.Memory;
  readonly fns: E;
  u8!: Uint8Array;
  i32!: Int32Array;

  constructor(module: WebAssembly.Module, initialBytes = 1 << 20) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE) });
    this.fns = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as E;
    this.views();
  }

  /** Makes the memory at least `bytes` long (plus 64 bytes of slack for vector over-reads). */
  reserve(bytes: number): void {
    const need = bytes + 64;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.views();
    }
  }

  private views(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}
