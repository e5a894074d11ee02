import type { EndpointStatus } from "@gpu-sidecar/async-inference";
import type { GpuInfo, ResourceProfile } from "@gpu-sidecar/resource-profile";

/** How a request picks among the workers it fits on. */
export type PlacementStrategy = "pack" | "spread" | "least-queue";

/** One GPU of a worker, as layer 1's discovery reports it (`name` optional). */
export type WorkerGpu = Pick<GpuInfo, "index" | "uuid" | "memoryTotalBytes"> & {
  readonly name?: string;
};

/** A worker (a host or a task manager) and the sidecar next to it. */
export interface WorkerRegistration {
  readonly id: string;
  /** Everything the worker offers; its GPU amount equals `gpus.length`. */
  readonly total: ResourceProfile;
  /** The default slot profile is `total ÷ slots`, exactly, GPUs included. */
  readonly slots: number;
  readonly gpus: readonly WorkerGpu[];
  /** The address of the co-located sidecar (`unix:///…` or `http://host:port`). */
  readonly sidecar: string;
}

/** What the live view knows of a worker's sidecar; every field is optional in an update. */
export interface SidecarReport {
  /** The client's view of the endpoint (`serving` is the only live status). */
  readonly status?: EndpointStatus;
  /** Models the sidecar serves, each with whether it is READY. Replaces the previous map. */
  readonly models?: Readonly<Record<string, boolean>>;
  /** Requests waiting in the sidecar's queues (an estimate); `least-queue` compares it. */
  readonly queueDepth?: number;
}

/** Work to place. */
export interface PlacementRequest {
  /** Unique among live and pending requests; the allocation keeps it. */
  readonly id: string;
  /**
   * What the work needs; GPUs may be fractional below 1 (a share of one device) or whole above.
   * `ResourceProfile.UNKNOWN` (the default) takes the chosen worker's default slot profile.
   */
  readonly profile?: ResourceProfile;
  /** Models that must be READY on the worker's sidecar. */
  readonly models?: readonly string[];
}

/** A share of one GPU held by an allocation; `share` is exact decimal text (`"0.25"`). */
export interface GpuShare {
  readonly index: number;
  readonly uuid: string;
  readonly share: string;
}

/** A request placed on a worker. */
export interface Allocation {
  readonly requestId: string;
  readonly workerId: string;
  /** The worker's sidecar address: where the work sends its inference. */
  readonly sidecar: string;
  /** The resources held (the default slot profile when the request was UNKNOWN). */
  readonly profile: ResourceProfile;
  readonly gpus: readonly GpuShare[];
  readonly models: readonly string[];
}

/** What `allocate` answers. */
export type PlacementResult =
  | { readonly placed: true; readonly allocation: Allocation }
  | { readonly placed: false; readonly reason: string };

/** A request that waits for capacity, with the reason a user can read. */
export interface PendingRequest {
  readonly request: PlacementRequest;
  readonly reason: string;
  /** When it started waiting (the engine's clock). */
  readonly since: number;
  /** The allocation it had before its worker was lost, if any. */
  readonly previous: Allocation | undefined;
}

/**
 * What the engine is short of, like Flink's `ResourceDeclaration`: `count` more requests of
 * this spec wait; an outer resource manager adds workers that can hold them.
 */
export interface Shortfall {
  readonly profile: ResourceProfile;
  readonly models: readonly string[];
  readonly count: number;
}

export type PlacementEvent =
  | { readonly type: "placed"; readonly at: number; readonly allocation: Allocation }
  | {
      readonly type: "lost";
      readonly at: number;
      readonly workerId: string;
      readonly sidecar: string;
      readonly reason: string;
      /** The request ids whose allocations were revoked. */
      readonly revoked: readonly string[];
    }
  | {
      readonly type: "replaced";
      readonly at: number;
      readonly previous: Allocation;
      readonly allocation: Allocation;
    }
  | {
      readonly type: "pending";
      readonly at: number;
      readonly requestId: string;
      readonly reason: string;
    };

/** A worker as the engine sees it now. */
export interface WorkerView {
  readonly id: string;
  readonly sidecar: string;
  readonly status: EndpointStatus;
  /** Its sidecar was gone past the grace period; nothing is placed here until it serves again. */
  readonly blocked: boolean;
  readonly free: ResourceProfile;
  /** Free share of each GPU, exact decimal text, by GPU position. */
  readonly gpuFree: readonly {
    readonly index: number;
    readonly uuid: string;
    readonly free: string;
  }[];
  readonly allocations: readonly string[];
  readonly queueDepth: number;
  /** The models its sidecar serves, each with whether it is READY. */
  readonly models: Readonly<Record<string, boolean>>;
  /** The largest used fraction of its CPU, memory or GPUs, 0 to 1 (what `spread` minimizes). */
  readonly utilization: number;
}
