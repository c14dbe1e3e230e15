// Public surface of gpu-kernels/device/: the thread's GpuDevice, its jobs, buffer pool and errors.
export { GpuDevice, GpuJob, getGpuDevice, closeGpuDevice, webgpuMissing, writePadded, type GpuMode, type GpuDeviceOptions, type GpuDeviceInfo } from './gpu-device.ts';
export { BufferPool, sizeClass, type PoolStats } from './buffer-pool.ts';
export { GpuError, NO_ADAPTER_HINT, type GpuErrorReason } from './errors.ts';
