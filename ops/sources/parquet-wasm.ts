// A private parquet-wasm instance for reading that a decoder panic never poisons: calls that trap replace it.
import { Module, createRequire } from 'node:module';
import type * as PQ from 'parquet-wasm';

/**
 * parquet-wasm is Rust built with panic=abort: a panic in the decoder (a corrupt page, a length
 * that does not fit) is a WebAssembly trap (`RuntimeError: unreachable`). Called synchronously,
 * the trap is an exception we can catch; but it unwinds past the Rust code that would restore the
 * wasm shadow stack pointer and free what it allocated, so every trap leaks a frame: after a few
 * thousand, the instance corrupts its own memory ("memory access out of bounds"), and objects it
 * owns crash the thread when their finalizers run. So a call that traps drops the instance and
 * the next call loads a fresh one (a few ms: the module is compiled again).
 *
 * The asynchronous API (ParquetFile) MUST NOT be used for reading untrusted files: it decodes in
 * a microtask (queueMicrotask), where a trap is an uncaught exception that kills the worker
 * thread and leaves the read's promise pending forever.
 */
const require = createRequire(import.meta.url);
const entry = require.resolve('parquet-wasm');

// WebAssembly.RuntimeError (the trap's class); the project's TypeScript libs do not declare it.
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

let instance: typeof PQ | null = null;

/**
 * Loads the module afresh (not the copy in the require cache, which writers share). Through a
 * throwaway parent: Node records every module a require() loads in its parent's `children`, so
 * loaded through this file's require, every dropped instance stayed reachable with its whole wasm
 * memory (~120 MB after a 1M-row group) for as long as the thread lived.
 */
function load(): typeof PQ {
  const shared = require.cache[entry];
  delete require.cache[entry];
  try {
    return new Module(entry).require(entry) as typeof PQ;
  } finally {
    if (shared) require.cache[entry] = shared;
    else delete require.cache[entry];
  }
}

/** A decoder panic, with the trap as its cause; the instance that trapped has been dropped. */
export class ParquetPanic extends Error {
  constructor(cause: Error) {
    super(`the Parquet decoder panicked (${cause.message})`, { cause });
    this.name = 'ParquetPanic';
  }
}

/**
 * Runs `f` with the reader's parquet-wasm instance. `f` MUST be synchronous and MUST NOT let a
 * wasm object outlive the call (free it or consume it, e.g. with intoIPCStream()): objects of a
 * dropped instance would run into its corrupt memory later.
 */
export function withParquetWasm<T>(f: (pq: typeof PQ) => T): T {
  instance ??= load();
  try {
    return f(instance);
  } catch (e) {
    if (e instanceof RuntimeError) {
      instance = null;
      throw new ParquetPanic(e);
    }
    throw e;
  }
}

/**
 * Drops the instance when its memory has grown past `maxBytes`: wasm memory never shrinks, and
 * decoding a 1M-row group leaves ~94 MB per thread for as long as the thread lives. The next call
 * loads a fresh instance (small again). Call it between reads, never while a wasm object is alive.
 */
export function trimParquetWasm(maxBytes = 64 << 20): void {
  if (instance && (instance as unknown as { wasmMemory(): WebAssembly.Memory }).wasmMemory().buffer.byteLength > maxBytes) instance = null;
}
