import { ResourceProfile } from "@gpu-sidecar/resource-profile";
import { type Meter, metrics } from "@opentelemetry/api";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { PlacementError, PlacementErrorCode } from "./placement-error.js";
import { PlacementEventStream, type PlacementEventsOptions } from "./placement-event-stream.js";
import { PlacementMetrics } from "./placement-metrics.js";
import type {
  Allocation,
  PendingRequest,
  PlacementEvent,
  PlacementRequest,
  PlacementResult,
  PlacementStrategy,
  Shortfall,
  SidecarReport,
  WorkerRegistration,
  WorkerView,
} from "./placement-types.js";
import { checkRegistration, missingResource } from "./registration-checks.js";
import {
  type ResolvedNeed,
  resolveNeed,
  WorkerCapacity,
  type WorkerFit,
} from "./worker-capacity.js";

/** Options of `createPlacementEngine`. */
export interface PlacementEngineOptions {
  /** Default `"pack"` (Flink's first fit). */
  readonly strategy?: PlacementStrategy;
  /** Seeds `least-queue`'s two random choices; the same seed gives the same placements. Default 0. */
  readonly seed?: number;
  /**
   * How long a sidecar may be not serving or unreachable before its worker is lost: blocked,
   * its allocations revoked and placed again. One back within it keeps them. Default 5000 ms.
   */
  readonly lossGraceMs?: number;
  /** The clock, in milliseconds. Default `Date.now`. The engine never reads time otherwise. */
  readonly now?: () => number;
  /** The extended resource that counts GPUs. Default `"gpu"`. */
  readonly gpuResource?: string;
  /** OpenTelemetry meter for the `placement.*` metrics. Default: the global meter. */
  readonly meter?: Meter;
}

/**
 * Places requests on workers whose free resources fit, whose sidecar is live and whose models
 * are READY. Pure and synchronous: it learns the world through `registerWorker` and
 * `reportSidecar`, reads time only from `options.now`, and tells what it decided through return
 * values and `events()`.
 */
export interface PlacementEngine {
  readonly strategy: PlacementStrategy;
  /** Adds a worker; it is live once a report says its sidecar is `serving`. */
  registerWorker(registration: WorkerRegistration): void;
  /** Removes a worker at once; its allocations are placed again as after a loss. */
  unregisterWorker(workerId: string): void;
  /** What the live view learned of a worker's sidecar (status, models, queue depth). */
  reportSidecar(workerId: string, report: SidecarReport): void;
  /**
   * Places a request now, or holds it pending with the reason. Throws `SA_ERR_NEVER_FITS` when
   * no registered worker could ever hold it and `SA_ERR_UNKNOWN_MODEL` when no sidecar serves a
   * model it needs.
   */
  allocate(request: PlacementRequest): PlacementResult;
  /**
   * Whether `request` could be placed on this worker now, without placing it: undefined when
   * it could, else the reason it cannot (lost, not serving, model not READY, short of what).
   * The kube-scheduler extender's filter asks this for each node.
   */
  refusal(request: PlacementRequest, workerId: string): string | undefined;
  /** Frees an allocation, or withdraws a pending request. */
  release(requestId: string): void;
  /** Applies the grace deadlines that have passed; a live view calls it on a timer. */
  tick(): void;
  allocations(): Allocation[];
  allocation(requestId: string): Allocation | undefined;
  pending(): PendingRequest[];
  /** Pending requests grouped by spec, for an outer resource manager. */
  shortfall(): Shortfall[];
  workers(): WorkerView[];
  /** Every decision from now on: `placed`, `lost`, `replaced`, `pending`. */
  events(options?: PlacementEventsOptions): AsyncIterable<PlacementEvent>;
  /** Ends every event iteration; later calls throw `SA_ERR_CLOSED`. */
  close(): void;
}

const STRATEGIES: readonly PlacementStrategy[] = ["pack", "spread", "least-queue"];

interface NormalizedRequest {
  readonly request: PlacementRequest;
  readonly models: readonly string[];
  /** Undefined for UNKNOWN: each worker's default slot applies. */
  readonly need: ResolvedNeed | undefined;
}

interface Placed {
  readonly request: NormalizedRequest;
  readonly allocation: Allocation;
  /** What the allocation holds, resolved (the worker's default slot for UNKNOWN). */
  readonly need: ResolvedNeed;
}

interface Waiting {
  readonly request: NormalizedRequest;
  reason: string;
  readonly since: number;
  readonly previous: Allocation | undefined;
}

function invalid(message: string): PlacementError {
  return new PlacementError(PlacementErrorCode.InvalidArgument, message);
}

export function createPlacementEngine(options: PlacementEngineOptions = {}): PlacementEngine {
  const strategy = options.strategy ?? "pack";
  if (!STRATEGIES.includes(strategy)) {
    throw invalid(
      `createPlacementEngine: strategy is ${JSON.stringify(strategy)}, expected one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw invalid(`createPlacementEngine: seed is ${String(seed)}, expected an integer`);
  }
  const lossGraceMs = options.lossGraceMs ?? 5_000;
  if (!(Number.isFinite(lossGraceMs) && lossGraceMs >= 0)) {
    throw invalid(
      `createPlacementEngine: lossGraceMs is ${String(lossGraceMs)}, expected milliseconds ≥ 0`,
    );
  }
  const now = options.now ?? Date.now;
  const gpuResource = options.gpuResource ?? "gpu";
  const metric = new PlacementMetrics(
    options.meter ?? metrics.getMeter("@gpu-sidecar/scheduler-affinity"),
  );
  const rng: RandomGenerator = xoroshiro128plus(seed);
  const stream = new PlacementEventStream();

  const workers = new Map<string, WorkerCapacity>();
  /** Registration order: the deterministic tie-breaker and the scan order. */
  let ordered: WorkerCapacity[] = [];
  let nextOrder = 0;
  const down = new Set<WorkerCapacity>();
  const placed = new Map<string, Placed>();
  const waiting = new Map<string, Waiting>();
  let closed = false;

  function assertOpen(call: string): void {
    if (closed)
      throw new PlacementError(PlacementErrorCode.Closed, `${call}: the engine is closed`);
  }

  function emit(event: PlacementEvent): void {
    if (stream.subscribed) stream.emit(event);
  }

  function workerOf(call: string, workerId: string): WorkerCapacity {
    const worker = workers.get(workerId);
    if (worker === undefined) {
      throw new PlacementError(
        PlacementErrorCode.UnknownId,
        `${call}: no worker ${JSON.stringify(workerId)} is registered`,
      );
    }
    return worker;
  }

  function needOn(request: NormalizedRequest, worker: WorkerCapacity): ResolvedNeed {
    return request.need ?? worker.defaultSlot;
  }

  function eligible(worker: WorkerCapacity, request: NormalizedRequest): boolean {
    return (
      worker.live && worker.mayFit(needOn(request, worker)) && worker.hasModelsReady(request.models)
    );
  }

  function better(a: WorkerCapacity, b: WorkerCapacity): boolean {
    return a.utilization < b.utilization || (a.utilization === b.utilization && a.order < b.order);
  }

  /**
   * `spread`'s order: workers by utilization, then registration order. Kept sorted as
   * allocations change it, so a decision takes the first worker that fits, usually the first.
   */
  const byUtilization: WorkerCapacity[] = [];
  /** The first position whose worker ranks at or after (utilization, order). */
  function lowerBound(utilization: number, order: number): number {
    let low = 0;
    let high = byUtilization.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = byUtilization[middle] as WorkerCapacity;
      const at = other.rankedUtilization as number;
      if (at < utilization || (at === utilization && other.order < order)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  function unrank(worker: WorkerCapacity): void {
    const at = worker.rankedUtilization;
    if (at === undefined) return;
    byUtilization.splice(lowerBound(at, worker.order), 1);
    worker.rankedUtilization = undefined;
  }

  function rank(worker: WorkerCapacity): void {
    if (strategy !== "spread") return;
    unrank(worker);
    byUtilization.splice(lowerBound(worker.utilization, worker.order), 0, worker);
    worker.rankedUtilization = worker.utilization;
  }

  /** The chosen worker and its GPU shares, or undefined when nothing live fits. */
  function choose(request: NormalizedRequest): Allocation | undefined {
    if (strategy === "least-queue") return twoChoices(request);
    for (const worker of strategy === "pack" ? ordered : byUtilization) {
      if (!eligible(worker, request)) continue;
      const allocation = tryOn(worker, request);
      if (allocation !== undefined) return allocation;
    }
    return undefined;
  }

  /** Random draws over all workers before `least-queue` lists the fitting ones instead. */
  const SAMPLE_DRAWS = 16;

  /**
   * Ray Serve's power of two choices: two distinct random workers among those that fit, the
   * shorter sidecar queue wins (then the lower utilization, then registration order). The two
   * are drawn from all workers and redrawn while they do not fit, which is uniform over the
   * fitting ones; when few fit, they are listed and drawn from directly.
   */
  function twoChoices(request: NormalizedRequest): Allocation | undefined {
    if (ordered.length === 0) return undefined;
    const picked: { worker: WorkerCapacity; allocation: Allocation }[] = [];
    for (let draw = 0; draw < SAMPLE_DRAWS && picked.length < 2; draw++) {
      const worker = ordered[uniformInt(rng, 0, ordered.length - 1)] as WorkerCapacity;
      if (picked.some((p) => p.worker === worker) || !eligible(worker, request)) continue;
      const allocation = tryOn(worker, request);
      if (allocation !== undefined) picked.push({ worker, allocation });
    }
    if (picked.length < 2) {
      picked.length = 0;
      for (const worker of ordered) {
        if (!eligible(worker, request)) continue;
        const allocation = tryOn(worker, request);
        if (allocation !== undefined) picked.push({ worker, allocation });
      }
      if (picked.length <= 1) return picked[0]?.allocation;
      const first = uniformInt(rng, 0, picked.length - 1);
      let second = uniformInt(rng, 0, picked.length - 2);
      if (second >= first) second++;
      picked.splice(0, picked.length, picked[first] as never, picked[second] as never);
    }
    const [a, b] = picked as [(typeof picked)[number], (typeof picked)[number]];
    if (a.worker.queueDepth !== b.worker.queueDepth) {
      return a.worker.queueDepth < b.worker.queueDepth ? a.allocation : b.allocation;
    }
    return better(a.worker, b.worker) ? a.allocation : b.allocation;
  }

  /** The fit each candidate allocation was computed from, for `commit` to keep. */
  const fits = new WeakMap<Allocation, WorkerFit>();

  function tryOn(worker: WorkerCapacity, request: NormalizedRequest): Allocation | undefined {
    const need = needOn(request, worker);
    const fit = worker.fit(need, strategy);
    if (fit === undefined) return undefined;
    const allocation: Allocation = {
      requestId: request.request.id,
      workerId: worker.registration.id,
      sidecar: worker.registration.sidecar,
      profile: need.profile,
      gpus: fit.gpus,
      models: request.models,
    };
    fits.set(allocation, fit);
    return allocation;
  }

  function commit(request: NormalizedRequest, allocation: Allocation): void {
    const worker = workers.get(allocation.workerId) as WorkerCapacity;
    const need = needOn(request, worker);
    worker.allocations.add(allocation.requestId);
    worker.take(need, fits.get(allocation) as WorkerFit);
    rank(worker);
    placed.set(allocation.requestId, { request, allocation, need });
    metric.allocations.add(1);
  }

  /** One decision, timed. */
  function decide(request: NormalizedRequest): Allocation | undefined {
    const started = performance.now();
    const allocation = choose(request);
    metric.decisionTime.record((performance.now() - started) * 1000, { strategy });
    if (allocation !== undefined) commit(request, allocation);
    return allocation;
  }

  /** Why nothing fits now, in words a user can act on. */
  function explain(request: NormalizedRequest): string {
    const spec = request.need?.profile.toString() ?? "the default slot";
    const models = request.models.length === 0 ? "" : ` with ${request.models.join(", ")} READY`;
    if (ordered.length === 0) return `no worker is registered to hold ${spec}${models}`;
    let blocked = 0;
    let notServing = 0;
    let notReady = 0;
    let short = 0;
    for (const worker of ordered) {
      if (worker.blocked) blocked++;
      else if (worker.status !== "serving") notServing++;
      else if (!worker.hasModelsReady(request.models)) notReady++;
      else short++;
    }
    const parts = [
      blocked > 0 ? `${blocked} lost (sidecar gone past the grace period)` : "",
      notServing > 0 ? `${notServing} with a sidecar not serving` : "",
      notReady > 0 ? `${notReady} without ${request.models.join(", ")} READY` : "",
      short > 0 ? `${short} without enough free resources` : "",
    ].filter((part) => part !== "");
    return `no live worker can hold ${spec}${models}: of ${ordered.length} workers, ${parts.join(", ")}`;
  }

  function hold(request: NormalizedRequest, previous: Allocation | undefined): string {
    const reason = explain(request);
    waiting.set(request.request.id, { request, reason, since: now(), previous });
    metric.pending.add(1);
    emit({ type: "pending", at: now(), requestId: request.request.id, reason });
    return reason;
  }

  /** Places what waits, oldest first, after capacity appeared. */
  function retryWaiting(): void {
    for (const [id, entry] of waiting) {
      const allocation = decide(entry.request);
      if (allocation === undefined) {
        entry.reason = explain(entry.request);
        continue;
      }
      waiting.delete(id);
      metric.pending.add(-1);
      if (entry.previous === undefined) {
        emit({ type: "placed", at: now(), allocation });
      } else {
        metric.replacements.add(1);
        emit({ type: "replaced", at: now(), previous: entry.previous, allocation });
      }
    }
  }

  function free(entry: Placed): void {
    const worker = workers.get(entry.allocation.workerId) as WorkerCapacity;
    worker.allocations.delete(entry.allocation.requestId);
    worker.give(entry.need, entry.allocation.gpus);
    rank(worker);
    placed.delete(entry.allocation.requestId);
    metric.allocations.add(-1);
  }

  /** Blocks the worker, revokes its allocations and places each again or holds it pending. */
  function lose(worker: WorkerCapacity, reason: string): void {
    worker.blocked = true;
    down.delete(worker);
    metric.workersLost.add(1);
    const revoked = [...worker.allocations].map((id) => placed.get(id) as Placed);
    for (const entry of revoked) free(entry);
    emit({
      type: "lost",
      at: now(),
      workerId: worker.registration.id,
      sidecar: worker.registration.sidecar,
      reason,
      revoked: revoked.map((entry) => entry.allocation.requestId),
    });
    for (const entry of revoked) {
      const allocation = decide(entry.request);
      if (allocation === undefined) {
        hold(entry.request, entry.allocation);
      } else {
        metric.replacements.add(1);
        emit({ type: "replaced", at: now(), previous: entry.allocation, allocation });
      }
    }
  }

  function expire(): void {
    if (down.size === 0) return;
    const at = now();
    for (const worker of [...down]) {
      const since = worker.downSince as number;
      if (at - since >= lossGraceMs) {
        lose(
          worker,
          `sidecar ${worker.registration.sidecar} ${worker.status === "unreachable" ? "unreachable" : "not serving"} for ${at - since} ms (grace ${lossGraceMs} ms)`,
        );
      }
    }
  }

  function normalize(request: PlacementRequest): NormalizedRequest {
    if (typeof request !== "object" || request === null) {
      throw invalid(
        `allocate: the request is ${String(request)}, expected { id, profile?, models? }`,
      );
    }
    const { id } = request;
    if (typeof id !== "string" || id === "") {
      throw invalid(`allocate: request.id is ${JSON.stringify(id)}, expected a non-empty string`);
    }
    const profile = request.profile ?? ResourceProfile.UNKNOWN;
    if (!(profile instanceof ResourceProfile) || profile.equals(ResourceProfile.ANY)) {
      throw invalid(
        `allocate: request ${id}: profile must be a specified ResourceProfile or ResourceProfile.UNKNOWN`,
      );
    }
    const models = request.models ?? [];
    if (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m === "")) {
      throw invalid(`allocate: request ${id}: models must be an array of model names`);
    }
    const need = profile.equals(ResourceProfile.UNKNOWN)
      ? undefined
      : resolveNeed(profile, gpuResource, `allocate: request ${id}`);
    return { request, models: [...models], need };
  }

  /** How many workers' sidecars serve each model (READY or not), kept by reportSidecar. */
  const served = new Map<string, number>();

  function countServed(models: ReadonlyMap<string, boolean>, delta: 1 | -1): void {
    for (const model of models.keys()) {
      const count = (served.get(model) ?? 0) + delta;
      if (count === 0) served.delete(model);
      else served.set(model, count);
    }
  }

  function checkModelsKnown(request: NormalizedRequest): void {
    // Before any sidecar has said what it serves, an unknown model may simply not be known yet.
    if (served.size === 0) return;
    for (const model of request.models) {
      if (!served.has(model)) {
        throw new PlacementError(
          PlacementErrorCode.UnknownModel,
          `allocate: request ${request.request.id} needs model ${JSON.stringify(model)}, which no sidecar serves; the sidecars serve: ${[...served.keys()].sort().join(", ")}`,
        );
      }
    }
  }

  function checkCanEverFit(request: NormalizedRequest): void {
    if (request.need === undefined || ordered.length === 0) return;
    const { profile, gpu } = request.need;
    // The common case first, without building the message's inputs.
    const holds = (worker: WorkerCapacity) =>
      worker.registration.total.allFieldsNoLessThan(profile) &&
      worker.registration.gpus.length >= gpu.whole;
    if (ordered.some(holds)) return;
    const missing = missingResource(
      request.need,
      ordered.map((worker) => worker.registration),
    );
    if (missing !== undefined) {
      throw new PlacementError(
        PlacementErrorCode.NeverFits,
        `allocate: request ${request.request.id} can never fit: ${missing}; register a larger worker or ask for less`,
      );
    }
  }

  function view(worker: WorkerCapacity): WorkerView {
    const { registration } = worker;
    return {
      id: registration.id,
      sidecar: registration.sidecar,
      status: worker.status,
      blocked: worker.blocked,
      free: worker.free,
      gpuFree: registration.gpus.map((gpu, position) => ({
        index: gpu.index,
        uuid: gpu.uuid,
        free: (worker.deviceFree[position] as ResourceProfile).getExtendedResource(gpuResource),
      })),
      allocations: [...worker.allocations],
      queueDepth: worker.queueDepth,
      models: Object.fromEntries(worker.models),
      utilization: worker.utilization,
    };
  }

  return {
    strategy,

    registerWorker(registration) {
      assertOpen("registerWorker");
      const defaultSlot = checkRegistration(registration, gpuResource);
      if (workers.has(registration.id)) {
        throw new PlacementError(
          PlacementErrorCode.DuplicateId,
          `registerWorker: worker ${JSON.stringify(registration.id)} is already registered`,
        );
      }
      const worker = new WorkerCapacity(
        registration,
        nextOrder++,
        resolveNeed(defaultSlot, gpuResource, `registerWorker: worker ${registration.id}`),
        gpuResource,
      );
      workers.set(registration.id, worker);
      ordered.push(worker);
      rank(worker);
    },

    unregisterWorker(workerId) {
      assertOpen("unregisterWorker");
      const worker = workerOf("unregisterWorker", workerId);
      expire();
      if (!worker.blocked) lose(worker, `worker ${workerId} unregistered`);
      down.delete(worker);
      countServed(worker.models, -1);
      unrank(worker);
      workers.delete(workerId);
      ordered = ordered.filter((other) => other !== worker);
    },

    reportSidecar(workerId, report) {
      assertOpen("reportSidecar");
      const worker = workerOf("reportSidecar", workerId);
      expire();
      let capacityAppeared = false;
      if (report.models !== undefined) {
        const before = worker.models;
        countServed(before, -1);
        worker.models = new Map(Object.entries(report.models));
        countServed(worker.models, 1);
        for (const [model, ready] of worker.models) {
          if (ready && before.get(model) !== true) capacityAppeared = true;
        }
      }
      if (report.queueDepth !== undefined) {
        if (!(Number.isFinite(report.queueDepth) && report.queueDepth >= 0)) {
          throw invalid(
            `reportSidecar: worker ${workerId}: queueDepth is ${String(report.queueDepth)}, expected a number ≥ 0`,
          );
        }
        worker.queueDepth = report.queueDepth;
      }
      if (report.status !== undefined && report.status !== worker.status) {
        worker.status = report.status;
        if (report.status === "serving") {
          worker.downSince = undefined;
          down.delete(worker);
          worker.blocked = false;
          capacityAppeared = true;
        } else if (!worker.blocked && worker.downSince === undefined) {
          worker.downSince = now();
          down.add(worker);
        }
        expire();
      }
      if (capacityAppeared && worker.live) retryWaiting();
    },

    allocate(request) {
      assertOpen("allocate");
      expire();
      const normalized = normalize(request);
      const { id } = normalized.request;
      if (placed.has(id) || waiting.has(id)) {
        throw new PlacementError(
          PlacementErrorCode.DuplicateId,
          `allocate: request ${JSON.stringify(id)} is already ${placed.has(id) ? "placed" : "pending"}; release it first or use another id`,
        );
      }
      checkModelsKnown(normalized);
      checkCanEverFit(normalized);
      const allocation = decide(normalized);
      if (allocation !== undefined) {
        emit({ type: "placed", at: now(), allocation });
        return { placed: true, allocation };
      }
      return { placed: false, reason: hold(normalized, undefined) };
    },

    refusal(request, workerId) {
      assertOpen("refusal");
      expire();
      const worker = workerOf("refusal", workerId);
      const normalized = normalize(request);
      if (worker.blocked)
        return `sidecar ${worker.registration.sidecar} was lost (gone past the grace period)`;
      if (worker.status !== "serving") {
        return `sidecar ${worker.registration.sidecar} is ${worker.status}`;
      }
      const notReady = normalized.models.filter((model) => worker.models.get(model) !== true);
      if (notReady.length > 0) {
        const served = [...worker.models].filter(([, ready]) => ready).map(([model]) => model);
        return `model ${notReady.join(", ")} is not READY on sidecar ${worker.registration.sidecar} (READY: ${served.join(", ") || "none"})`;
      }
      const need = needOn(normalized, worker);
      if (worker.fit(need, strategy) !== undefined) return undefined;
      const gpuFree = worker.deviceFree.map((free) => free.getExtendedResource(gpuResource));
      return `not enough free resources for ${need.profile.toString()}: free ${worker.free.toString()}, free GPU shares [${gpuFree.join(", ")}]`;
    },

    release(requestId) {
      assertOpen("release");
      expire();
      const entry = placed.get(requestId);
      if (entry !== undefined) {
        free(entry);
        retryWaiting();
        return;
      }
      if (waiting.delete(requestId)) {
        metric.pending.add(-1);
        return;
      }
      throw new PlacementError(
        PlacementErrorCode.UnknownId,
        `release: request ${JSON.stringify(requestId)} is neither placed nor pending`,
      );
    },

    tick() {
      assertOpen("tick");
      expire();
    },

    allocations() {
      return [...placed.values()].map((entry) => entry.allocation);
    },

    allocation(requestId) {
      return placed.get(requestId)?.allocation;
    },

    pending() {
      return [...waiting.values()].map((entry) => ({
        request: entry.request.request,
        reason: entry.reason,
        since: entry.since,
        previous: entry.previous,
      }));
    },

    shortfall() {
      const groups = new Map<
        string,
        { profile: ResourceProfile; models: string[]; count: number }
      >();
      for (const { request } of waiting.values()) {
        const profile = request.need?.profile ?? ResourceProfile.UNKNOWN;
        const models = [...request.models].sort();
        const key = `${profile.toString()}|${models.join(",")}`;
        const group = groups.get(key);
        if (group === undefined) groups.set(key, { profile, models, count: 1 });
        else group.count++;
      }
      return [...groups.values()];
    },

    workers() {
      return ordered.map(view);
    },

    events(eventOptions) {
      return stream.subscribe(eventOptions);
    },

    close() {
      closed = true;
      stream.close();
    },
  };
}
