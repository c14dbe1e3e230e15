// GpuError: a GPU resource failure (no adapter, device lost, shader or validation error, out of memory) that fails one operation.

/** Why a GPU operation failed. Callers branch on this, never on the message. */
export type GpuErrorReason = 'no-adapter' | 'device-lost' | 'validation' | 'out-of-memory' | 'internal' | 'destroyed';

/**
 * A ResourceError-like error from gpu-kernels/ (which must not import ops/errors.ts): `code` is
 * always 'RESOURCE_ERROR', so the runtime treats it like its own ResourceError and can retry the
 * task on the CPU backend; `reason` says what failed.
 */
export class GpuError extends Error {
  override readonly name = 'GpuError';
  readonly code = 'RESOURCE_ERROR' as const;
  readonly reason: GpuErrorReason;
  constructor(reason: GpuErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The message of a missing-Vulkan error, shared by GpuDevice and the tests. */
export const NO_ADAPTER_HINT = 'install mesa-vulkan-drivers and libvulkan1 from bookworm-backports: run `sudo bash scripts/setup.sh` (see DEVELOPERS.md, GPU)';
