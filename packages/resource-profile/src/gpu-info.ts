/** One GPU as `nvidia-smi --query-gpu=index,uuid,name,memory.total` reports it. */
export interface GpuInfo {
  /** The CUDA device index, what `CUDA_VISIBLE_DEVICES` takes. */
  readonly index: number;
  /** Stable across reboots and index renumbering, e.g. `GPU-5f1c…`. */
  readonly uuid: string;
  /** e.g. `NVIDIA H100 80GB HBM3`. */
  readonly name: string;
  /** Total memory in bytes (nvidia-smi reports MiB; always a safe integer). */
  readonly memoryTotalBytes: number;
}
