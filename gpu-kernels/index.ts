// Public surface of gpu-kernels/: WebGPU (WGSL) kernels with CPU twins. Empty until the kernels land.
export {};
