import type { EndpointStatus } from "@gpu-sidecar/async-inference";
import type { ResourceProfile } from "@gpu-sidecar/resource-profile";
import { type GpuNeed, gpuNeedOf, gpuProfile } from "./gpu-need.js";
import type { GpuShare, PlacementStrategy, WorkerRegistration } from "./placement-types.js";

const EPSILON = 1e-9;

/** GPU-only profiles of the shares seen, by their decimal text (bounded). */
const shareProfiles = new Map<string, ResourceProfile>();

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
 * workers that cannot fit and to rank the others. A worker that passes the pre-check is then
 * tested exactly.
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
  /** The largest free share of one device. */
  maxDeviceFreeApprox: number;
  cpuFreeApprox: number;
  memoryFreeApprox: number;
  /** The largest used fraction of CPU, memory or GPUs (0 to 1): what `spread` minimizes. */
  utilization = 0;
  readonly #cpuTotal: number;
  readonly #memoryTotal: number;
  readonly #gpuResource: string;
  readonly #oneGpu: ResourceProfile;
  /** Device positions by GPU index. */
  readonly #positions: Map<number, number>;

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
    this.#oneGpu = this.#shareProfile("1");
    this.free = registration.total;
    this.deviceFree = registration.gpus.map(() => this.#oneGpu);
    this.deviceFreeApprox = new Float64Array(registration.gpus.length).fill(1);
    this.wholeFreeDevices = registration.gpus.length;
    this.maxDeviceFreeApprox = registration.gpus.length > 0 ? 1 : 0;
    this.#positions = new Map(registration.gpus.map((gpu, position) => [gpu.index, position]));
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
    return gpu.share === undefined || this.maxDeviceFreeApprox + EPSILON >= gpu.shareApprox;
  }

  /**
   * The exact test and device choice: the GPU shares this worker would give `need`, or
   * undefined when it does not fit. `pack` takes the first device that fits; the others take
   * the device with the most free share, so that shares spread over devices too.
   */
  fit(need: ResolvedNeed, strategy: PlacementStrategy): GpuShare[] | undefined {
    if (!this.free.allFieldsNoLessThan(need.profile)) return undefined;
    const { gpu } = need;
    const devices = this.deviceFree.length;
    if (gpu.whole > 0) {
      const chosen: GpuShare[] = [];
      for (let i = 0; i < devices && chosen.length < gpu.whole; i++) {
        if ((this.deviceFree[i] as ResourceProfile).equals(this.#oneGpu)) {
          chosen.push(this.#share(i, "1"));
        }
      }
      return chosen.length === gpu.whole ? chosen : undefined;
    }
    if (gpu.share === undefined) return [];
    const approx = this.deviceFreeApprox;
    // Devices in the strategy's order of preference by their mirrored free share; the first the
    // exact test accepts wins, so the mirror's rounding can never over-allocate.
    const order: number[] = [];
    for (let i = 0; i < devices; i++) {
      if ((approx[i] as number) + EPSILON >= gpu.shareApprox) order.push(i);
    }
    if (strategy !== "pack") {
      order.sort((a, b) => (approx[b] as number) - (approx[a] as number) || a - b);
    }
    for (const i of order) {
      if ((this.deviceFree[i] as ResourceProfile).allFieldsNoLessThan(gpu.share)) {
        return [this.#share(i, gpu.share.getExtendedResource(this.#gpuResource))];
      }
    }
    return undefined;
  }

  take(profile: ResourceProfile, shares: readonly GpuShare[]): void {
    this.free = this.free.subtract(profile);
    for (const share of shares) {
      const position = this.#positions.get(share.index) as number;
      const device = this.deviceFree[position] as ResourceProfile;
      this.#setDevice(position, device.subtract(this.#shareProfile(share.share)));
    }
    this.#mirror();
  }

  give(profile: ResourceProfile, shares: readonly GpuShare[]): void {
    this.free = this.free.merge(profile);
    for (const share of shares) {
      const position = this.#positions.get(share.index) as number;
      const device = this.deviceFree[position] as ResourceProfile;
      this.#setDevice(position, device.merge(this.#shareProfile(share.share)));
    }
    this.#mirror();
  }

  #shareProfile(amount: string): ResourceProfile {
    const key = `${this.#gpuResource}=${amount}`;
    let profile = shareProfiles.get(key);
    if (profile === undefined) {
      profile = gpuProfile(this.#gpuResource, amount);
      if (shareProfiles.size < 1024) shareProfiles.set(key, profile);
    }
    return profile;
  }

  #setDevice(position: number, free: ResourceProfile): void {
    this.deviceFree[position] = free;
    this.deviceFreeApprox[position] = Number(free.getExtendedResource(this.#gpuResource));
  }

  #mirror(): void {
    this.cpuFreeApprox = Number(this.free.getCpuCores());
    this.memoryFreeApprox = Number(this.free.getTotalMemory());
    let whole = 0;
    let free = 0;
    let maxFree = 0;
    const devices = this.deviceFree.length;
    for (let i = 0; i < devices; i++) {
      const device = this.deviceFreeApprox[i] as number;
      free += device;
      if (device > maxFree) maxFree = device;
      if (device === 1 && (this.deviceFree[i] as ResourceProfile).equals(this.#oneGpu)) whole++;
    }
    this.wholeFreeDevices = whole;
    this.maxDeviceFreeApprox = maxFree;
    let used = 0;
    if (this.#cpuTotal > 0) used = 1 - this.cpuFreeApprox / this.#cpuTotal;
    if (this.#memoryTotal > 0) used = Math.max(used, 1 - this.memoryFreeApprox / this.#memoryTotal);
    if (devices > 0) used = Math.max(used, 1 - free / devices);
    this.utilization = used;
  }

  #share(position: number, share: string): GpuShare {
    const gpu = this.registration.gpus[position] as WorkerRegistration["gpus"][number];
    return { index: gpu.index, uuid: gpu.uuid, share };
  }
}
