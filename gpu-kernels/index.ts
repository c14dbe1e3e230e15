// Public surface of gpu-kernels/: WebGPU (WGSL) kernels with CPU twins, and the WebAssembly loader they share.
export { loadWasmModule, WasmHeap } from './wasm/load.ts';
export { cpuBackend, referenceBackend } from './cpu-backend.ts';
export { createCpuMlp } from './mlp/cpu.ts';
export { createWebgpuBackend } from './webgpu-backend.ts';
export { GpuDevice, GpuError, getGpuDevice, closeGpuDevice, type GpuMode, type GpuDeviceOptions, type GpuDeviceInfo, type GpuErrorReason } from './device/index.ts';
