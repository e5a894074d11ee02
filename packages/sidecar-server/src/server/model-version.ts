import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ModelSignature, SidecarError, Tensor } from "@gpu-sidecar/sidecar-core";
import type {
  ModelConfig,
  RepositoryModel,
  ModelVersion as RepositoryVersion,
} from "@gpu-sidecar/sidecar-core/config";
import type { Logger } from "pino";
import type { BatcherMetrics } from "../batching/batcher-metrics.js";
import type { BatcherStatistics } from "../batching/batcher-statistics.js";
import {
  createDynamicBatcher,
  type DynamicBatcher,
  type InferenceSubmission,
} from "../batching/dynamic-batcher.js";
import {
  createExecutorPool,
  type ExecutorPool,
  type InstanceBatchEvent,
} from "../executor/executor-pool.js";
import type { GpuInventory } from "../executor/gpu-inventory.js";
import { placeInstances } from "../executor/instance-placement.js";
import { inRequestSpan } from "../tracing/request-span.js";

/** Triton's platform names, so Triton tooling reading ModelMetadata recognizes the backend. */
const PLATFORMS = { onnx: "onnxruntime_onnx", mock: "mock" } as const;

/** One loaded version of a model: its executors and the batcher in front of them. */
export interface ServedVersion {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  /** The repository config this version was loaded with. */
  readonly config: ModelConfig;
  readonly signature: ModelSignature;
  /** Milliseconds since the epoch of the last successful inference; 0 before the first. */
  readonly lastInferenceMs: number;
  /** `submission.trace` is the caller's trace context here; the version adds its request span. */
  infer(submission: InferenceSubmission): Promise<Tensor[]>;
  /**
   * The refusal `infer` would give any request now (draining, queue full), counted as a
   * refused request; undefined when a request may be submitted. Lets a server refuse before
   * it decodes the request.
   */
  admissionError(): SidecarError | undefined;
  statistics(): BatcherStatistics;
  /** Stops taking requests and settles every accepted one (queued work runs at once). */
  drain(): Promise<void>;
  /** Drains, then unloads the model and ends its executor threads. Idempotent. */
  close(): Promise<void>;
  /**
   * Stops without running the queue (after a drain timeout): requests still queued fail with
   * UNAVAILABLE, running batches finish, then the executors end. Idempotent.
   */
  terminate(): Promise<void>;
}

export interface LoadModelVersionOptions {
  readonly model: RepositoryModel;
  readonly version: RepositoryVersion;
  readonly logger: Logger;
  readonly metrics?: BatcherMetrics | undefined;
  /** Where the GPUs of instance groups of kind "gpu" come from. */
  readonly gpus: GpuInventory;
  /** The process's `CUDA_VISIBLE_DEVICES`, for messages. */
  readonly cudaVisibleDevices: string | undefined;
  /** Told about every batch an instance ran (per-instance, per-GPU metrics). */
  readonly onInstanceBatch?: ((event: InstanceBatchEvent) => void) | undefined;
}

/** The bytes of a version's files (the model and any external weights): its least GPU footprint. */
async function filesBytes(directory: string): Promise<number> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).size),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * What the backend reads from `ModelLoadRequest.parameters`. The model config's typed keys
 * win over free-form `parameters`, which a mock may also use for its signature and latency.
 */
function backendParameters(model: RepositoryModel): Record<string, unknown> {
  const { config } = model;
  if (config.backend === "onnx") {
    return {
      ...config.parameters,
      execution_providers: config.execution_providers,
      allow_cpu_fallback: config.allow_cpu_fallback,
      onnxruntime: config.onnxruntime,
    };
  }
  const declared = Object.entries(config.mock).filter(([, value]) => value !== undefined);
  return { ...Object.fromEntries(declared), ...config.parameters };
}

/**
 * Starts the executors of one model version, waits until every instance has loaded, and puts a
 * dynamic batcher configured from the model config in front of them. A failed load leaves
 * nothing running.
 */
export async function loadModelVersion(options: LoadModelVersionOptions): Promise<ServedVersion> {
  const { model, version, logger, metrics } = options;
  const { config } = model;
  const devices = await placeInstances({
    label: `model "${model.name}" version ${version.version}`,
    groups: config.instance_group,
    inventory: options.gpus,
    modelBytes: () => filesBytes(version.path),
    allowCpuFallback: config.backend === "onnx" && config.allow_cpu_fallback,
    warn: (message) => logger.warn(message),
    cudaVisibleDevices: options.cudaVisibleDevices,
  });
  const pool: ExecutorPool = createExecutorPool({
    backend: config.backend,
    request: {
      name: model.name,
      version: version.version,
      versionPath: version.path,
      parameters: backendParameters(model),
    },
    devices,
    executor: config.executor,
    batching: config.max_batch_size > 0,
    logger,
    ...(options.onInstanceBatch === undefined ? {} : { onInstanceBatch: options.onInstanceBatch }),
  });
  const signature = await pool.ready;
  let batcher: DynamicBatcher;
  try {
    batcher = createDynamicBatcher({
      signature,
      config: { ...config.dynamic_batching, max_batch_size: config.max_batch_size },
      executor: {
        get idleInstances() {
          return pool.idleCount;
        },
        onIdle: (listener) => pool.onIdle(listener),
        run: (inputs, outputNames) => pool.run(inputs, outputNames),
      },
      ...(metrics === undefined ? {} : { metrics }),
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  let lastInferenceMs = 0;
  let closing: Promise<void> | undefined;
  let terminating: Promise<void> | undefined;
  // Queued requests fail at once; the pool lets running batches finish before it ends.
  const terminate = () => {
    terminating ??= Promise.all([batcher.destroy(), pool.close()]).then(() => {});
    return terminating;
  };
  return {
    name: model.name,
    version: version.version,
    platform: PLATFORMS[config.backend],
    config,
    signature,
    get lastInferenceMs() {
      return lastInferenceMs;
    },
    async infer(submission) {
      const outputs =
        submission.trace === undefined
          ? await batcher.submit(submission)
          : await inRequestSpan(submission.trace, model.name, version.version, (trace) =>
              batcher.submit({ ...submission, trace }),
            );
      lastInferenceMs = Date.now();
      return outputs;
    },
    admissionError: () => batcher.admissionError(),
    statistics: () => batcher.statistics(),
    drain: () => batcher.close(),
    close() {
      closing ??= batcher.close().then(terminate);
      return closing;
    },
    terminate,
  };
}
