import {
  type GpuStatus,
  ResourceProfileError,
  ResourceProfileErrorCode,
  readGpuStatus,
  type VisibleGpu,
  visibleGpus,
} from "@gpu-sidecar/resource-profile";

/** A GPU this process can use, with its load when it was read. */
export type SidecarGpu = VisibleGpu<GpuStatus>;

/** Why no GPU could be listed, in words for a load error (what to do included). */
export class GpuInventoryError extends Error {
  override readonly name = "GpuInventoryError";
}

/**
 * The GPUs of the node as this process sees them. Read afresh for every load that places
 * instances on GPUs, so that free memory is current.
 */
export interface GpuInventory {
  /** Rejects with a GpuInventoryError when `nvidia-smi` cannot answer. */
  read(): Promise<SidecarGpu[]>;
}

export interface GpuInventoryOptions {
  /** `metrics.nvidia_smi_path`: the executable, a bare name being looked up on `PATH`. */
  readonly nvidiaSmiPath: string;
  /** The process's `CUDA_VISIBLE_DEVICES` (undefined when unset), applied as CUDA applies it. */
  readonly cudaVisibleDevices: string | undefined;
  readonly timeoutMs?: number;
}

/** Lists GPUs with layer 1's `nvidia-smi` runner and keeps those `CUDA_VISIBLE_DEVICES` shows. */
export function createGpuInventory(options: GpuInventoryOptions): GpuInventory {
  const { nvidiaSmiPath, cudaVisibleDevices, timeoutMs } = options;
  return {
    async read() {
      let gpus: GpuStatus[];
      try {
        gpus = await readGpuStatus({
          command: nvidiaSmiPath,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      } catch (error) {
        const notFound =
          error instanceof ResourceProfileError &&
          error.code === ResourceProfileErrorCode.DiscoveryCommandNotFound;
        throw new GpuInventoryError(
          notFound
            ? `nvidia-smi was not found at "${nvidiaSmiPath}", so this node shows no GPU (no NVIDIA driver?); set metrics.nvidia_smi_path if it lives elsewhere`
            : `the GPUs could not be listed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      return visibleGpus(gpus, cudaVisibleDevices);
    },
  };
}
