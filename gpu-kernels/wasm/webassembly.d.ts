// The part of the WebAssembly JS API that Node provides and the kernels use (TypeScript ships its types only in lib.dom).
declare namespace WebAssembly {
  interface Module {}
  var Module: { new (bytes: ArrayBufferView | ArrayBuffer): Module };
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(deltaPages: number): number;
  }
  var Memory: { new (descriptor: { initial: number; maximum?: number; shared?: boolean }): Memory };
  type ExportValue = ((...args: number[]) => number | void) | Memory;
  type Exports = Record<string, ExportValue>;
  interface Instance {
    readonly exports: Exports;
  }
  var Instance: { new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
}
