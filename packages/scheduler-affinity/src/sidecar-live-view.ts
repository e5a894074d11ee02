import {
  createSidecarClient,
  type ModelStatistics,
  type SidecarClient,
  type SidecarClientOptions,
} from "@gpu-sidecar/async-inference";
import type { PlacementEngine } from "./placement-engine.js";
import { PlacementError, PlacementErrorCode } from "./placement-error.js";
import type { WorkerRegistration } from "./placement-types.js";

/** Options of `createSidecarLiveView`. */
export interface SidecarLiveViewOptions {
  readonly engine: PlacementEngine;
  /**
   * How often each serving sidecar is asked which models it serves, whether each is READY and
   * how long its queues are, and how often the engine applies grace deadlines. Default 1000.
   */
  readonly pollIntervalMs?: number;
  /** Passed to each worker's client (`reconnect`, `createTransport`, timeouts…). */
  readonly client?: Omit<SidecarClientOptions, "endpoint" | "endpoints">;
}

/**
 * The engine's eyes: one async-inference client per worker's sidecar. Its health watch
 * (`watchEndpoints`) reports status changes the moment they happen; a poll reports the served
 * models (`modelStatistics`), their readiness (`ready`) and a queue-depth estimate.
 */
export interface SidecarLiveView {
  /** Registers the worker with the engine and starts following its sidecar. */
  add(registration: WorkerRegistration): void;
  /** Stops following the worker's sidecar and unregisters it (its work is placed again). */
  remove(workerId: string): Promise<void>;
  /** Stops everything; the engine stays open. */
  close(): Promise<void>;
}

interface Followed {
  readonly client: SidecarClient;
  readonly stop: AbortController;
  done: Promise<void>;
  serving: boolean;
  /** Queue time accrued so far (ns, every model) and when it was read, for the estimate. */
  lastQueueNs: bigint | undefined;
  lastPollMs: number;
  polling: boolean;
}

/** Shortest deadline of a poll's calls, whatever the interval: a busy sidecar is not a lost one. */
const MIN_PROBE_TIMEOUT_MS = 2_000;

/**
 * Little's law: the time requests spent queued during an interval, divided by the interval, is
 * the mean number of requests that were waiting.
 */
function queueDepthOver(queueNs: bigint, intervalMs: number): number {
  return intervalMs <= 0 ? 0 : Number(queueNs) / 1e6 / intervalMs;
}

function totalQueueNs(statistics: readonly ModelStatistics[]): bigint {
  let sum = 0n;
  for (const entry of statistics) sum += entry.queue.ns;
  return sum;
}

export function createSidecarLiveView(options: SidecarLiveViewOptions): SidecarLiveView {
  const { engine } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  if (!(Number.isFinite(pollIntervalMs) && pollIntervalMs > 0)) {
    throw new PlacementError(
      PlacementErrorCode.InvalidArgument,
      `createSidecarLiveView: pollIntervalMs is ${String(pollIntervalMs)}, expected a positive number of milliseconds`,
    );
  }
  const followed = new Map<string, Followed>();

  async function poll(workerId: string, entry: Followed): Promise<void> {
    if (!entry.serving || entry.polling) return;
    entry.polling = true;
    // A slow answer is no answer about readiness: a probe that fails changes nothing.
    const timeoutMs = Math.max(Math.ceil(pollIntervalMs), MIN_PROBE_TIMEOUT_MS);
    try {
      const statistics = await entry.client.modelStatistics(undefined, { timeoutMs });
      const names = [...new Set(statistics.map((entry) => entry.name))];
      const ready = await Promise.all(names.map((name) => entry.client.ready(name, { timeoutMs })));
      const at = performance.now();
      const queueNs = totalQueueNs(statistics);
      const queueDepth =
        entry.lastQueueNs === undefined
          ? 0
          : queueDepthOver(queueNs - entry.lastQueueNs, at - entry.lastPollMs);
      entry.lastQueueNs = queueNs;
      entry.lastPollMs = at;
      if (entry.stop.signal.aborted) return;
      engine.reportSidecar(workerId, {
        models: Object.fromEntries(names.map((name, i) => [name, ready[i] === true])),
        queueDepth,
      });
    } catch {
      // The health watch says whether the sidecar is there; a failed poll changes nothing.
    } finally {
      entry.polling = false;
    }
  }

  async function follow(workerId: string, entry: Followed): Promise<void> {
    for await (const state of entry.client.watchEndpoints({ signal: entry.stop.signal })) {
      entry.serving = state.status === "serving";
      // Models first, so that a sidecar that comes back is live with what it serves.
      if (entry.serving) await poll(workerId, entry);
      if (entry.stop.signal.aborted) return;
      engine.reportSidecar(workerId, { status: state.status });
    }
  }

  const timer = setInterval(() => {
    for (const [workerId, entry] of followed) void poll(workerId, entry);
    engine.tick();
  }, pollIntervalMs);
  timer.unref();

  return {
    add(registration) {
      engine.registerWorker(registration);
      const client = createSidecarClient({ ...options.client, endpoint: registration.sidecar });
      const entry: Followed = {
        client,
        stop: new AbortController(),
        done: Promise.resolve(),
        serving: false,
        lastQueueNs: undefined,
        lastPollMs: 0,
        polling: false,
      };
      entry.done = follow(registration.id, entry);
      followed.set(registration.id, entry);
    },

    async remove(workerId) {
      const entry = followed.get(workerId);
      if (entry === undefined) {
        throw new PlacementError(
          PlacementErrorCode.UnknownId,
          `remove: the live view follows no worker ${JSON.stringify(workerId)}`,
        );
      }
      followed.delete(workerId);
      entry.stop.abort();
      await entry.client.close();
      await entry.done;
      engine.unregisterWorker(workerId);
    },

    async close() {
      clearInterval(timer);
      const entries = [...followed.values()];
      followed.clear();
      for (const entry of entries) entry.stop.abort();
      await Promise.all(entries.map((entry) => entry.client.close()));
      await Promise.all(entries.map((entry) => entry.done));
    },
  };
}
