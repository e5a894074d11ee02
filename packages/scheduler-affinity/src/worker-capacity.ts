import type { EndpointStatus } from "@gpu-sidecar/async-inference";
import type { ResourceProfile } from "@gpu-sidecar/resource-profile";
import { type GpuNeed, gpuNeedOf, gpuProfile } from "./gpu-need.js";
import type { GpuShare, PlacementStrategy, WorkerRegistration } from "./placement-types.js";

const EPSILON = 1e-9;

/** A profile with its GPU mapping, resolved once per request (or per worker for UNKNOWN). */
export interface ResolvedNeed {
  readonly profile: ResourceProfile;
  readonly gpu: GpuNeed;
  readonly cpuApprox: number;
}

export function resolveNeed(
  profile: ResourceProfile,
  gpuResource: string,
  what: string,
): ResolvedNeed {
  return {
    profile,
    gpu: gpuNeedOf(profile, gpuResource, what),
    cpuApprox: Number(profile.getCpuCores()),
  };
}

/**
 * One worker's accounting. The exact state is layer 1's profiles (the worker's free profile and
 * one GPU-only profile per device); numbers mirror them only to skip, in a few nanoseconds,
 * workers that cannot fit. A worker that passes the pre-check is then tested exactly.
 */
export class WorkerCapacity {
  readonly registration: WorkerRegistration;
  readonly order: number;
  readonly defaultSlot: ResolvedNeed;
  readonly allocations = new Set<string>();
  status: EndpointStatus = "connecting";
  blocked = false;
  /** When its sidecar stopped serving (engine clock), while it has not come back. */
  downSince: number | undefined;
  models = new Map<string, boolean>();
  queueDepth = 0;

  free: ResourceProfile;
  readonly deviceFree: ResourceProfile[];
  readonly deviceFreeApprox: Float64Array;
  wholeFreeDevices: number;
  cpuFreeApprox: number;
  memoryFreeApprox: number;
  readonly #cpuTotal: number;
  readonly #memoryTotal: number;
  readonly #gpuResource: string;
  readonly #oneGpu: ResourceProfile;

  constructor(
    registration: WorkerRegistration,
    order: number,
    defaultSlot: ResolvedNeed,
    gpuResource: string,
  ) {
    this.registration = registration;
    this.order = order;
    this.defaultSlot = defaultSlot;
    this.#gpuResource = gpuResource;
    this.#oneGpu = gpuProfile(gpuResource, "1");
    this.free = registration.total;
    this.deviceFree = registration.gpus.map(() => this.#oneGpu);
    this.deviceFreeApprox = new Float64Array(registration.gpus.length).fill(1);
    this.wholeFreeDevices = registration.gpus.length;
    this.#cpuTotal = Number(registration.total.getCpuCores());
    this.#memoryTotal = Number(registration.total.getTotalMemory());
    this.cpuFreeApprox = this.#cpuTotal;
    this.memoryFreeApprox = this.#memoryTotal;
  }

  get live(): boolean {
    return this.status === "serving" && !this.blocked;
  }

  hasModelsReady(models: readonly string[]): boolean {
    for (const model of models) if (this.models.get(model) !== true) return false;
    return true;
  }

  /** The fast, conservative pre-check: false only when the worker surely cannot fit `need`. */
  mayFit(need: ResolvedNeed): boolean {
    if (this.cpuFreeApprox + EPSILON < need.cpuApprox) return false;
    const { gpu } = need;
    if (gpu.whole > 0) return this.wholeFreeDevices >= gpu.whole;
    if (gpu.share === undefined) return true;
    const approx = this.deviceFreeApprox;
    for (let i = 0; i < approx.length; i++) {
      if ((approx[i] as number) + EPSILON >= gpu.shareApprox) return true;
    }
    return false;
  }

  /** Least utilization first: the largest used fraction of CPU, memory or GPUs (0 to 1). */
  utilization(): number {
    let used = 0;
    if (this.#cpuTotal > 0) used = 1 - this.cpuFreeApprox / this.#cpuTotal;
    if (this.#memoryTotal > 0) used = Math.max(used, 1 - this.memoryFreeApprox / this.#memoryTotal);
    const devices = this.deviceFreeApprox.length;
    if (devices > 0) {
      let free = 0;
      for (let i = 0; i < devices; i++) free += this.deviceFreeApprox[i] as number;
      used = Math.max(used, 1 - free / devices);
    }
    return used;
  }

  /**
   * The exact test and device choice: the GPU shares this worker would give `need`, or
   * undefined when it does not fit. `pack` takes the first device that fits; the others take
   * the device with the most free share, so that shares spread over devices too.
   */
  fit(need: ResolvedNeed, strategy: PlacementStrategy): GpuShare[] | undefined {
    if (!this.free.allFieldsNoLessThan(need.profile)) return undefined;
    const { gpu } = need;
    const gpus = this.registration.gpus;
    if (gpu.whole > 0) {
      const chosen: GpuShare[] = [];
      for (let i = 0; i < gpus.length && chosen.length < gpu.whole; i++) {
        if (this.deviceFree[i]?.equals(this.#oneGpu) === true) chosen.push(this.#share(i, "1"));
      }
      return chosen.length === gpu.whole ? chosen : undefined;
    }
    if (gpu.share === undefined) return [];
    let best = -1;
    for (let i = 0; i < gpus.length; i++) {
      if (!(this.deviceFree[i] as ResourceProfile).allFieldsNoLessThan(gpu.share)) continue;
      if (strategy === "pack") {
        best = i;
        break;
      }
      if (
        best < 0 ||
        (this.deviceFreeApprox[i] as number) > (this.deviceFreeApprox[best] as number)
      ) {
        best = i;
      }
    }
    return best < 0
      ? undefined
      : [this.#share(best, gpu.share.getExtendedResource(this.#gpuResource))];
  }

  take(profile: ResourceProfile, shares: readonly GpuShare[]): void {
    this.free = this.free.subtract(profile);
    for (const share of shares) {
      this.#setDevice(
        share,
        (this.deviceFree[this.#position(share)] as ResourceProfile).subtract(
          gpuProfile(this.#gpuResource, share.share),
        ),
      );
    }
    this.#mirror();
  }

  give(profile: ResourceProfile, shares: readonly GpuShare[]): void {
    this.free = this.free.merge(profile);
    for (const share of shares) {
      this.#setDevice(
        share,
        (this.deviceFree[this.#position(share)] as ResourceProfile).merge(
          gpuProfile(this.#gpuResource, share.share),
        ),
      );
    }
    this.#mirror();
  }

  #position(share: GpuShare): number {
    return this.registration.gpus.findIndex((gpu) => gpu.index === share.index);
  }

  #setDevice(share: GpuShare, free: ResourceProfile): void {
    const position = this.#position(share);
    this.deviceFree[position] = free;
    this.deviceFreeApprox[position] = Number(free.getExtendedResource(this.#gpuResource));
  }

  #mirror(): void {
    this.cpuFreeApprox = Number(this.free.getCpuCores());
    this.memoryFreeApprox = Number(this.free.getTotalMemory());
    let whole = 0;
    for (const free of this.deviceFree) if (free.equals(this.#oneGpu)) whole++;
    this.wholeFreeDevices = whole;
  }

  #share(position: number, share: string): GpuShare {
    const gpu = this.registration.gpus[position] as WorkerRegistration["gpus"][number];
    return { index: gpu.index, uuid: gpu.uuid, share };
  }
}
