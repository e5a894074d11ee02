import type { GpuInfo } from "./gpu-info.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

/**
 * Takes `count` GPUs, lowest indexes first, for a worker alone on its host. Throws
 * `RP_ERR_NOT_ENOUGH_GPUS` when fewer are available. Several workers on one host use a
 * `GpuCoordinator` instead.
 */
export function selectGpus(gpus: readonly GpuInfo[], count: number): GpuInfo[] {
  checkGpuCount(count);
  const sorted = [...gpus].sort((a, b) => a.index - b.index);
  if (sorted.length < count) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.NotEnoughGpus,
      `requested ${count} GPU(s) but only ${sorted.length} are available ` +
        `(indexes: ${sorted.map((gpu) => gpu.index).join(", ") || "none"})`,
    );
  }
  return sorted.slice(0, count);
}

/** A GPU request is a non-negative whole number. */
export function checkGpuCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.InvalidArgument,
      `GPU count: ${String(count)} is not a whole number >= 0`,
    );
  }
}
