import type { GpuInfo } from "./gpu-info.js";

/** A GPU a CUDA process can use, with the device number CUDA gives it in that process. */
export type VisibleGpu<T extends GpuInfo = GpuInfo> = T & {
  /**
   * The CUDA device ordinal inside a process started with this `CUDA_VISIBLE_DEVICES`: the
   * position in that list (what onnxruntime's `device_id` means), which differs from the
   * `nvidia-smi` index once the list reorders or leaves out GPUs.
   */
  readonly cudaDevice: number;
};

/**
 * The GPUs of `gpus` (as `nvidia-smi` lists them, which ignores `CUDA_VISIBLE_DEVICES`) that a
 * CUDA process sees under `cudaVisibleDevices`, in CUDA's order. As CUDA reads the variable:
 * unset means every GPU; otherwise a comma-separated list of indexes or `GPU-` uuids (a unique
 * prefix suffices), and the list ends at the first entry that names no GPU or repeats one, so
 * `""` or `-1` hide every GPU. `MIG-` entries also end the list: `nvidia-smi --query-gpu` does
 * not list MIG instances. Assumes CUDA enumerates in PCI bus order as `nvidia-smi` does
 * (`CUDA_DEVICE_ORDER=PCI_BUS_ID`, or a node of identical GPUs).
 */
export function visibleGpus<T extends GpuInfo>(
  gpus: readonly T[],
  cudaVisibleDevices: string | undefined,
): VisibleGpu<T>[] {
  if (cudaVisibleDevices === undefined) {
    return gpus.map((gpu, cudaDevice) => ({ ...gpu, cudaDevice }));
  }
  const visible: VisibleGpu<T>[] = [];
  for (const entry of cudaVisibleDevices.split(",").map((text) => text.trim())) {
    const gpu = findGpu(gpus, entry);
    if (gpu === undefined || visible.some((seen) => seen.index === gpu.index)) break;
    visible.push({ ...gpu, cudaDevice: visible.length });
  }
  return visible;
}

function findGpu<T extends GpuInfo>(gpus: readonly T[], entry: string): T | undefined {
  if (/^\d+$/.test(entry)) return gpus.find((gpu) => gpu.index === Number(entry));
  if (!entry.startsWith("GPU-")) return undefined;
  const matches = gpus.filter((gpu) => gpu.uuid.startsWith(entry));
  return matches.length === 1 ? matches[0] : undefined;
}
