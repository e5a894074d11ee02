import { createResourceProfile, type ResourceProfile } from "@gpu-sidecar/resource-profile";
import type { WorkerRegistration } from "../src/index.js";

/** A worker with `gpus` GPUs, 2 CPU cores and 4 GiB of task heap per GPU (at least one of each). */
export function worker(id: string, gpus: number, slots = Math.max(gpus, 1)): WorkerRegistration {
  const units = Math.max(gpus, 1);
  return {
    id,
    total: createResourceProfile({
      cpuCores: 2 * units,
      taskHeapMemory: `${4 * units} gb`,
      extendedResources: gpus > 0 ? { gpu: gpus } : {},
    }),
    slots,
    gpus: Array.from({ length: gpus }, (_, index) => ({
      index,
      uuid: `GPU-${id}-${index}`,
      memoryTotalBytes: 80 * 2 ** 30,
    })),
    sidecar: `unix:///run/gpu-sidecar/${id}.sock`,
  };
}

export function gpuRequest(gpu: string, cpuCores = "0.5"): ResourceProfile {
  return createResourceProfile({
    cpuCores,
    taskHeapMemory: "256 mb",
    extendedResources: { gpu },
  });
}

/** A clock the test moves. */
export function manualClock(start = 0) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}
