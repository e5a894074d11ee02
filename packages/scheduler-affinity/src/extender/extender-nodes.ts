import { createResourceProfile } from "@gpu-sidecar/resource-profile";
import type { WorkerRegistration } from "../placement-types.js";
import type { ExtenderNodeConfig } from "./extender-config.js";

/** A configured node as a worker of the engine: its GPUs, one slot per GPU, its sidecar. */
export function nodeRegistration(
  node: ExtenderNodeConfig,
  gpuResource = "gpu",
): WorkerRegistration {
  return {
    id: node.name,
    total: createResourceProfile({ extendedResources: { [gpuResource]: node.gpus } }),
    slots: Math.max(node.gpus, 1),
    gpus: Array.from({ length: node.gpus }, (_, index) => ({
      index,
      uuid: `${node.name}/gpu${index}`,
      memoryTotalBytes: 0,
    })),
    sidecar: node.sidecar,
  };
}
