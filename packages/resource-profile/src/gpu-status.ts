import type { GpuInfo } from "./gpu-info.js";

/**
 * One GPU and its load as `nvidia-smi` reports it now. A figure the GPU does not report
 * (`[N/A]`, `[Not Supported]`, e.g. utilization on a MIG slice) is absent.
 */
export interface GpuStatus extends GpuInfo {
  /** Memory in use by every process on the GPU, in bytes. */
  readonly memoryUsedBytes: number | undefined;
  /** Memory no process holds, in bytes: what a model about to load can still get. */
  readonly memoryFreeBytes: number | undefined;
  /** 0..1: the share of the last sample period in which a kernel ran. */
  readonly utilizationRatio: number | undefined;
}
