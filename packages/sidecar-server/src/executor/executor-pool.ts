import {
  ErrorCode,
  type InstanceDevice,
  type ModelLoadRequest,
  type ModelSignature,
  SidecarError,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { ExecutorMode, ModelBackendName } from "@gpu-sidecar/sidecar-core/config";
import { pino } from "pino";
import { createExecutorInstance, type ExecutorInstance } from "./executor-instance.js";
import type { ExecutorLogger } from "./executor-logger.js";
import { createInlineInstance } from "./inline-instance.js";

export interface ExecutorPoolOptions {
  readonly backend: ModelBackendName;
  readonly request: ModelLoadRequest;
  /**
   * One entry per model instance, each with its own session on that device (the placement of
   * the model's instance_group); at least one, and exactly one for the inline executor.
   */
  readonly devices: readonly InstanceDevice[];
  /**
   * `worker` (default): each instance is a worker thread. `inline`: the one instance runs its
   * batches on the calling thread, without a hand-off (see the model config's `executor`).
   */
  readonly executor?: ExecutorMode;
  /** Whether the first dimension of a batch counts rows (max_batch_size > 0); default true. */
  readonly batching?: boolean;
  /** By default a pino logger named "gpu-sidecar". */
  readonly logger?: ExecutorLogger;
  /** Told about every batch an instance ran, to label the work with its device. */
  readonly onInstanceBatch?: (event: InstanceBatchEvent) => void;
}

/** One batch as one instance ran it. */
export interface InstanceBatchEvent {
  /** Position of the instance in the pool. */
  readonly instance: number;
  readonly device: InstanceDevice;
  readonly rows: number;
  /** Time between handing the batch to the instance and its answer. */
  readonly computeTimeMs: number;
  readonly ok: boolean;
}

/**
 * The executors of one model version. It never queues: back-pressure is a signal, so the
 * batcher forms the next batch only when `idleCount > 0` and waits for `onIdle` otherwise,
 * which keeps every waiting request in the one queue that has priorities and deadlines.
 */
export interface ExecutorPool {
  /** The model's signature once every instance has loaded; rejects if any load fails. */
  readonly ready: Promise<ModelSignature>;
  /** Instances in the pool. */
  readonly size: number;
  /** Instances that can take a batch now. */
  readonly idleCount: number;
  /** Calls `listener` each time an instance becomes idle; returns the unsubscribe function. */
  onIdle(listener: () => void): () => void;
  /**
   * Runs one batch on an idle instance; rejects with RESOURCE_EXHAUSTED when none is idle.
   * Takes ownership of the inputs: on a worker, a tensor spanning its whole buffer is
   * transferred (the caller's buffer is detached afterwards), a view into a larger buffer is
   * copied; inline, the backend reads them where they are. A crash of a worker rejects the
   * batch with INTERNAL and restarts the instance.
   */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  /** Lets running batches finish, then unloads and ends every worker. Idempotent. */
  close(): Promise<void>;
}

export function createExecutorPool(options: ExecutorPoolOptions): ExecutorPool {
  const { backend, request, devices, onInstanceBatch } = options;
  const batching = options.batching ?? true;
  const count = devices.length;
  const model = `model "${request.name}" version ${request.version}`;
  if (count === 0) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `${model}: the pool needs at least one device to put an instance on, got none`,
    );
  }
  const logger = options.logger ?? pino({ name: "gpu-sidecar" });
  const listeners = new Set<() => void>();
  const notifyIdle = () => {
    for (const listener of listeners) listener();
  };
  const inline = options.executor === "inline";
  if (inline && count > 1) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `${model}: the inline executor runs one instance on the event loop, got ${count}; ` +
        'place one instance, or use executor "worker"',
    );
  }
  const instances: ExecutorInstance[] = devices.map((device, index) =>
    inline
      ? createInlineInstance({
          index,
          backend,
          request: { ...request, device },
          logger,
          onIdle: notifyIdle,
        })
      : createExecutorInstance({
          index,
          workerData: { backend, request: { ...request, device } },
          logger,
          onIdle: notifyIdle,
        }),
  );
  let closing: Promise<void> | undefined;

  const close = () => {
    closing ??= Promise.all(instances.map((instance) => instance.close())).then(() => {
      listeners.clear();
    });
    return closing;
  };

  const ready = Promise.all(instances.map((instance) => instance.loaded)).then(
    ([signature]) => signature as ModelSignature,
    async (error: unknown) => {
      await close();
      throw error;
    },
  );
  // `ready` rejecting is reported to whoever awaits it; nobody awaiting is not a crash.
  ready.catch(() => {});

  return {
    ready,
    size: count,
    get idleCount() {
      return instances.filter((instance) => instance.idle).length;
    },
    onIdle(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async run(inputs, outputNames) {
      if (closing !== undefined) {
        throw new SidecarError(ErrorCode.Unavailable, `the executors of ${model} are closed`);
      }
      const index = instances.findIndex((candidate) => candidate.idle);
      const instance = instances[index];
      if (instance === undefined) {
        throw new SidecarError(
          ErrorCode.ResourceExhausted,
          `all ${count} instances of ${model} are busy or loading; dispatch a batch only while ` +
            "idleCount > 0, and wait for onIdle otherwise",
        );
      }
      if (onInstanceBatch === undefined) return instance.run(inputs, outputNames);
      // Read before the run: a worker takes the inputs' buffers.
      const rows = batching ? (inputs[0]?.shape[0] ?? 0) : 1;
      const device = devices[index] as InstanceDevice;
      const started = performance.now();
      const report = (ok: boolean) =>
        onInstanceBatch({
          instance: index,
          device,
          rows,
          computeTimeMs: performance.now() - started,
          ok,
        });
      try {
        const outputs = await instance.run(inputs, outputNames);
        report(true);
        return outputs;
      } catch (error) {
        report(false);
        throw error;
      }
    },
    close,
  };
}
