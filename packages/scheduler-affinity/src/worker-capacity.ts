import type { EndpointStatus } from "@gpu-sidecar/async-inference";
import { ResourceProfile } from "@gpu-sidecar/resource-profile";
import { type GpuNeed, gpuNeedOf, gpuProfile } from "./gpu-need.js";
import type { GpuShare, PlacementStrategy, WorkerRegistration } from "./placement-types.js";

/**
 * Slack of the pre-check. The mirrors are updated by float arithmetic, so they drift from the
 * exact amounts by far less than this; the pre-check only ever lets a worker through to the
 * exact test, never refuses one that fits.
 */
const EPSILON = 1e-6;

/** How a worker would hold a need: its free profile after, its GPU shares, its devices after. */
export interface WorkerFit {
  readonly free: ResourceProfile;
  readonly gpus: GpuShare[];
  readonly devices: [position: number, free: ResourceProfile][];
}

/** `a - b`, or undefined where `b` does not fit in `a` (layer 1's exact check). */
function subtractOrUndefined(a: ResourceProfile, b: ResourceProfile): ResourceProfile | undefined {
  try {
    return a.subtract(b);
  } catch {
    return undefined;
  }
}

/** Resolved needs by profile: requests usually share a few profile objects. */
const resolved = new WeakMap<ResourceProfile, ResolvedNeed>();

/** A profile with its GPU mapping, resolved once per request (or per worker for UNKNOWN). */
export interface ResolvedNeed {
  readonly profile: ResourceProfile;
  readonly gpu: GpuNeed;
  readonly cpuApprox: number;
  readonly memoryApprox: number;
  readonly gpuResource: string;
}

export function resolveNeed(
  profile: ResourceProfile,
  gpuResource: string,
  what: string,
): ResolvedNeed {
  const known = resolved.get(profile);
  if (known !== undefined && known.gpuResource === gpuResource) return known;
  const need = {
    profile,
    gpu: gpuNeedOf(profile, gpuResource, what),
    cpuApprox: Number(profile.getCpuCores()),
    memoryApprox: Number(profile.getTotalMemory()),
    gpuResource,
  };
  resolved.set(profile, need);
  return need;
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
  /** The utilization this worker is sorted under in the engine's `spread` order. */
  rankedUtilization: number | undefined;
  /** GPU shares held on each device; a device with none is whole. */
  readonly #deviceShares: Int32Array;
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
    this.#oneGpu = gpuProfile(gpuResource, "1");
    this.#deviceShares = new Int32Array(registration.gpus.length);
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
   * The exact test and device choice: how this worker would hold `need`, or undefined when it
   * cannot. `pack` takes the first device that fits; the others take the device with the most
   * free share, so that shares spread over devices too. The exact test is layer 1's `subtract`,
   * which refuses to go below zero; its results are what `take` then keeps.
   */
  fit(need: ResolvedNeed, strategy: PlacementStrategy): WorkerFit | undefined {
    const free = subtractOrUndefined(this.free, need.profile);
    if (free === undefined) return undefined;
    const { gpu } = need;
    const devices = this.deviceFree.length;
    if (gpu.whole > 0) {
      const positions: number[] = [];
      for (let i = 0; i < devices && positions.length < gpu.whole; i++) {
        if (this.#deviceShares[i] === 0) positions.push(i);
      }
      if (positions.length < gpu.whole) return undefined;
      return {
        free,
        gpus: positions.map((i) => this.#share(i, "1")),
        devices: positions.map((i) => [i, ResourceProfile.ZERO]),
      };
    }
    if (gpu.share === undefined) return { free, gpus: [], devices: [] };
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
      const device = subtractOrUndefined(this.deviceFree[i] as ResourceProfile, gpu.share);
      if (device !== undefined) {
        return { free, gpus: [this.#share(i, gpu.shareText)], devices: [[i, device]] };
      }
    }
    return undefined;
  }

  /** Holds what `fit` computed for `need`. */
  take(need: ResolvedNeed, fit: WorkerFit): void {
    this.free = fit.free;
    this.cpuFreeApprox -= need.cpuApprox;
    this.memoryFreeApprox -= need.memoryApprox;
    for (const [position, device] of fit.devices) {
      this.deviceFree[position] = device;
      this.#mirrorDevice(position, fit.gpus, -1);
    }
    this.#mirror();
  }

  give(need: ResolvedNeed, shares: readonly GpuShare[]): void {
    this.free = this.free.merge(need.profile);
    this.cpuFreeApprox += need.cpuApprox;
    this.memoryFreeApprox += need.memoryApprox;
    for (const share of shares) {
      const position = this.#positions.get(share.index) as number;
      const device = this.deviceFree[position] as ResourceProfile;
      this.deviceFree[position] = device.merge(gpuProfile(this.#gpuResource, share.share));
      this.#mirrorDevice(position, [share], 1);
    }
    if (this.allocations.size === 0) {
      // Empty again: the mirrors restart from the exact totals, dropping any drift.
      this.cpuFreeApprox = this.#cpuTotal;
      this.memoryFreeApprox = this.#memoryTotal;
      this.deviceFreeApprox.fill(1);
    }
    this.#mirror();
  }

  /** Moves a device's mirror by the share held there, taken (`sign` -1) or given back (+1). */
  #mirrorDevice(position: number, shares: readonly GpuShare[], sign: 1 | -1): void {
    const index = this.registration.gpus[position]?.index;
    const share = shares.find((held) => held.index === index) as GpuShare;
    this.deviceFreeApprox[position] =
      (this.deviceFreeApprox[position] as number) + sign * Number(share.share);
    this.#deviceShares[position] = (this.#deviceShares[position] as number) - sign;
  }

  /** Derived figures, from the mirrors. */
  #mirror(): void {
    let whole = 0;
    let free = 0;
    let maxFree = 0;
    const devices = this.deviceFreeApprox.length;
    for (let i = 0; i < devices; i++) {
      const device = this.deviceFreeApprox[i] as number;
      free += device;
      if (device > maxFree) maxFree = device;
      if (this.#deviceShares[i] === 0) whole++;
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
