import { createResourceProfile, type ResourceProfile } from "@gpu-sidecar/resource-profile";
import { PlacementError, PlacementErrorCode } from "./placement-error.js";

/**
 * How a profile's GPU amount maps onto devices: below 1 it is a share of one device; from 1 up
 * it is that many whole devices (CUDA_VISIBLE_DEVICES and Kubernetes hand out whole devices).
 */
export interface GpuNeed {
  /** The exact amount as a profile holding only the GPU resource (a device's share). */
  readonly share: ResourceProfile | undefined;
  /** The share as exact decimal text. */
  readonly shareText: string;
  /** The share as a number, for the fast pre-check only; the decision is exact. */
  readonly shareApprox: number;
  /** Whole devices needed (0 for a share or no GPU). */
  readonly whole: number;
}

const NO_GPU: GpuNeed = { share: undefined, shareText: "0", shareApprox: 0, whole: 0 };

/** GPU-only profiles by resource and amount, built once each (bounded). */
const gpuProfiles = new Map<string, ResourceProfile>();

/** A profile holding only `amount` of the GPU resource; the same object for the same amount. */
export function gpuProfile(gpuResource: string, amount: string): ResourceProfile {
  const key = `${gpuResource}=${amount}`;
  let profile = gpuProfiles.get(key);
  if (profile === undefined) {
    profile = createResourceProfile({ extendedResources: { [gpuResource]: amount } });
    if (gpuProfiles.size < 4096) gpuProfiles.set(key, profile);
  }
  return profile;
}

export function gpuNeedOf(profile: ResourceProfile, gpuResource: string, what: string): GpuNeed {
  const amount = profile.getExtendedResource(gpuResource);
  if (amount === "0") return NO_GPU;
  const approx = Number(amount);
  if (approx < 1) {
    return {
      share: gpuProfile(gpuResource, amount),
      shareText: amount,
      shareApprox: approx,
      whole: 0,
    };
  }
  if (!/^\d+$/.test(amount)) {
    throw new PlacementError(
      PlacementErrorCode.InvalidArgument,
      `${what}: ${gpuResource} ${amount} is above 1 but not whole; ask for a share below 1 of ` +
        "one GPU or a whole number of GPUs",
    );
  }
  return { share: undefined, shareText: amount, shareApprox: 0, whole: approx };
}
