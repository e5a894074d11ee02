import { createResourceProfile } from "@gpu-sidecar/resource-profile";
import { PlacementError, PlacementErrorCode } from "../placement-error.js";
import type { PlacementRequest } from "../placement-types.js";
import type { ExtenderPod } from "./extender-wire.js";

/**
 * The pod annotations the extender reads. Kubernetes accepts only whole extended resources
 * (`nvidia.com/gpu: 0.5` is refused), so a share of a GPU travels as an annotation.
 */
export const PodAnnotation = {
  /** Comma-separated models that must be READY on the node's sidecar, e.g. `fraud`. */
  Models: "gpu-sidecar.io/models",
  /** The GPU share the pod needs: below 1 a share of one GPU (`0.25`), else whole GPUs. */
  GpuShare: "gpu-sidecar.io/gpu-share",
} as const;

const DECIMAL = /^\d+(\.\d+)?$/;

/** The placement request a pod's annotations describe; undefined when it has neither. */
export function podPlacementRequest(
  pod: ExtenderPod,
  gpuResource: string,
): PlacementRequest | undefined {
  const models = pod.annotations[PodAnnotation.Models];
  const share = pod.annotations[PodAnnotation.GpuShare];
  if (models === undefined && share === undefined) return undefined;
  const where = `pod ${pod.namespace}/${pod.name}`;
  if (share !== undefined && !(DECIMAL.test(share.trim()) && Number(share) > 0)) {
    throw new PlacementError(
      PlacementErrorCode.InvalidExtenderArgs,
      `${where}: annotation ${PodAnnotation.GpuShare} is ${JSON.stringify(share)}, expected a GPU share such as "0.25" (a fraction of one GPU) or a whole number of GPUs`,
    );
  }
  const modelList = (models ?? "")
    .split(",")
    .map((model) => model.trim())
    .filter((model) => model !== "");
  if (models !== undefined && modelList.length === 0) {
    throw new PlacementError(
      PlacementErrorCode.InvalidExtenderArgs,
      `${where}: annotation ${PodAnnotation.Models} is ${JSON.stringify(models)}, expected model names separated by commas, e.g. "fraud"`,
    );
  }
  return {
    id: `${pod.namespace}/${pod.name}`,
    profile: createResourceProfile({
      extendedResources: share === undefined ? {} : { [gpuResource]: share.trim() },
    }),
    models: modelList,
  };
}
