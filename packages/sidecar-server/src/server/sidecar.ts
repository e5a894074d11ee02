import type { RequestListener } from "node:http";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  createHealthService,
  createLifecycle,
  ErrorCode,
  GRPCInferenceService,
  Health,
  type Lifecycle,
  LifecycleState,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { loadModelRepository, type SidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { type Logger, pino } from "pino";
import type { BatcherMetrics } from "../batching/batcher-metrics.js";
import type { InstanceBatchEvent } from "../executor/executor-pool.js";
import { createGpuInventory, type GpuInventory } from "../executor/gpu-inventory.js";
import type { ModelStateSource } from "../metrics/model-state-gauge.js";
import { createBearerAuth, requireBearerToken } from "./bearer-auth.js";
import { answerConnectParseFailuresAsInvalid } from "./connect-parse-failure.js";
import { createGrpcHotPath } from "./grpc-hot-path.js";
import { createInferenceService, createModelInfer } from "./inference-service.js";
import { type SidecarAddresses, startListeners } from "./listeners.js";
import { createModelManager, type ModelManager } from "./model-manager.js";
import { REQUEST_COMPRESSIONS } from "./request-compression.js";
import { createRequestLog } from "./request-log.js";
import { createRestRouter } from "./rest-router.js";
import { answerUnknownMethod } from "./unknown-method.js";

/**
 * Where the metrics module plugs in: hooks for every model version's batcher and the handler
 * of the metrics port. Without it the sidecar records nothing and opens no metrics port.
 */
export interface SidecarMetrics {
  readonly batcherMetrics?: (model: string, version: string) => BatcherMetrics;
  /** Given the source of every model's load state once the models are known. */
  observeModels?(source: ModelStateSource): void;
  /** The hook told about each batch an instance of `model` `version` ran, with its device. */
  readonly instanceMetrics?: (
    model: string,
    version: string,
  ) => (event: InstanceBatchEvent) => void;
  /** Serves `server.metrics_port` (Prometheus text format). */
  readonly handler?: RequestListener;
  /** Called once the listeners are closed, to stop pollers and flush exporters. */
  close?(): Promise<void>;
}

export interface SidecarOptions {
  /** By default a pino logger at the config's `log.level`. */
  readonly logger?: Logger;
  readonly metrics?: SidecarMetrics;
  /**
   * The node's GPUs; by default `nvidia-smi` at `metrics.nvidia_smi_path`, filtered by the
   * process's `CUDA_VISIBLE_DEVICES`.
   */
  readonly gpus?: GpuInventory;
  /** By default `process.env.CUDA_VISIBLE_DEVICES`. */
  readonly cudaVisibleDevices?: string | undefined;
  /**
   * Whether plain gRPC ModelInfer and ModelStreamInfer take the hot path (default true). Off,
   * Connect answers them too: the parity tests run every protocol behaviour both ways.
   */
  readonly hotPath?: boolean;
}

/** A running sidecar. */
export interface Sidecar {
  readonly addresses: SidecarAddresses;
  readonly lifecycle: Lifecycle;
  readonly models: ModelManager;
  /**
   * The SIGTERM path, as gRPC servers' graceful stop: health and readiness turn NOT_SERVING,
   * the listeners stop accepting connections (the socket file is removed) and every HTTP/2
   * connection gets a GOAWAY; for `server.limits.drain_grace_ms` requests on connections
   * already open are still accepted while clients move away, then new work is refused
   * (UNAVAILABLE / 503) and queued and running work finishes, all within
   * `server.limits.drain_timeout_ms`; then the listeners close. Idempotent; resolves once
   * STOPPED.
   */
  drain(): Promise<void>;
  /** Like `drain`, without waiting for queued work: it fails with UNAVAILABLE. Idempotent. */
  close(): Promise<void>;
}

/** The least time open connections get to receive their last answers once work is drained. */
const MIN_LISTENER_GRACE_MS = 100;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Starts a sidecar: opens the listeners (announced in one "listening" log line with the actual
 * ports, so port 0 works), loads the models (all of the repository in mode `none`, the
 * configured `models` in mode `explicit`) and then serves. With `strict_model_load` a model that
 * fails to load stops the sidecar again and rejects; otherwise it stays not ready.
 */
export async function startSidecar(
  config: SidecarConfig,
  options: SidecarOptions = {},
): Promise<Sidecar> {
  const logger = options.logger ?? pino({ name: "gpu-sidecar", level: config.log.level });
  const { metrics } = options;
  const cudaVisibleDevices =
    "cudaVisibleDevices" in options ? options.cudaVisibleDevices : process.env.CUDA_VISIBLE_DEVICES;
  const repository = await loadModelRepository(config.model_repository);
  const lifecycle = createLifecycle({ models: [] });
  const models = createModelManager({
    repository,
    mode: config.model_control_mode,
    lifecycle,
    logger,
    batcherMetrics: metrics?.batcherMetrics,
    instanceMetrics: metrics?.instanceMetrics,
    gpus:
      options.gpus ??
      createGpuInventory({ nvidiaSmiPath: config.metrics.nvidia_smi_path, cudaVisibleDevices }),
    cudaVisibleDevices,
  });
  metrics?.observeModels?.(() => models.loadStates());
  const { limits, auth: authConfig } = config.server;
  const requestLog = createRequestLog(logger.child({ component: "requests" }));
  const auth =
    authConfig.bearer_token === undefined ? undefined : createBearerAuth(authConfig.bearer_token);
  const connect = answerConnectParseFailuresAsInvalid(
    connectNodeAdapter({
      routes(router) {
        router.service(
          GRPCInferenceService,
          createInferenceService({ manager: models, lifecycle, requestLog }),
        );
        router.service(Health, createHealthService(lifecycle));
      },
      readMaxBytes: limits.max_request_bytes,
      acceptCompression: [...REQUEST_COMPRESSIONS],
      fallback: answerUnknownMethod,
      interceptors: auth === undefined ? [] : [auth.interceptor],
    }),
  );
  const listeners = await startListeners({
    server: config.server,
    rest: createRestRouter({
      manager: models,
      lifecycle,
      maxRequestBytes: limits.max_request_bytes,
      auth,
      requestLog,
    }),
    connect,
    // Inference traffic (plain gRPC ModelInfer and ModelStreamInfer) takes the hot path;
    // it answers what Connect would, the bearer check included.
    http2Streams:
      options.hotPath === false
        ? undefined
        : createGrpcHotPath({
            infer: createModelInfer(models),
            readMaxBytes: limits.max_request_bytes,
            auth,
            requestLog,
          }),
    metrics:
      metrics?.handler !== undefined && config.metrics.require_auth && auth !== undefined
        ? requireBearerToken(auth, metrics.handler)
        : metrics?.handler,
    logger,
  });
  const { addresses } = listeners;
  logger.info(
    {
      http: addresses.http?.port,
      grpc: addresses.grpc?.port,
      metrics: addresses.metrics?.port,
      uds: addresses.uds,
      host: config.server.host,
      // Each listener's own address (`http_address` and friends), where it differs or not.
      hosts: {
        http: addresses.http?.host,
        grpc: addresses.grpc?.host,
        metrics: addresses.metrics?.host,
      },
    },
    "listening",
  );

  let shutdown: Promise<void> | undefined;
  let hurry: () => void = () => {};
  const hurried = new Promise<void>((resolve) => {
    hurry = resolve;
  });

  const stop = (graceful: boolean): Promise<void> => {
    if (!graceful) hurry();
    shutdown ??= (async () => {
      const startedAt = performance.now();
      const deadline = startedAt + (graceful ? limits.drain_timeout_ms : 0);
      lifecycle.transition(LifecycleState.Draining);
      logger.info(
        { drainTimeoutMs: limits.drain_timeout_ms, drainGraceMs: limits.drain_grace_ms },
        "draining",
      );
      const movedAway = listeners.goAway();
      if (graceful) {
        // Refusing at once would fail the calls clients sent before they heard the GOAWAY;
        // the grace ends early once every client has closed its connection.
        const graceEnd = Math.min(startedAt + limits.drain_grace_ms, deadline);
        await Promise.race([delay(Math.max(0, graceEnd - performance.now())), movedAway, hurried]);
      }
      const drained = models.close();
      const outcome = await Promise.race([
        drained.then(() => "drained" as const),
        delay(Math.max(0, deadline - performance.now())).then(() => "timeout" as const),
        hurried.then(() => "hurried" as const),
      ]);
      if (outcome !== "drained") {
        if (outcome === "timeout") {
          logger.warn(
            { drainTimeoutMs: limits.drain_timeout_ms },
            "drain timeout: requests still queued fail with UNAVAILABLE",
          );
        }
        await models.terminate();
      }
      await drained;
      lifecycle.transition(LifecycleState.Stopped);
      const graceMs = Math.max(MIN_LISTENER_GRACE_MS, deadline - performance.now());
      await listeners.close(graceful ? graceMs : 0);
      await metrics?.close?.();
      logger.info({ ms: Math.round(performance.now() - startedAt) }, "stopped");
    })();
    return shutdown;
  };

  const names =
    config.model_control_mode === "none" ? await repository.listModels() : config.models;
  const failures = await models.start(names);
  if (failures.length > 0 && config.strict_model_load) {
    await stop(false);
    throw new SidecarError(
      ErrorCode.FailedPrecondition,
      `strict_model_load: ${failures.length} of ${names.length} models failed to load: ${failures
        .map((failure) => `${failure.name} (${failure.error.message})`)
        .join("; ")}`,
    );
  }
  lifecycle.transition(LifecycleState.Serving);
  logger.info(
    {
      models: names.length,
      failed: failures.map((failure) => failure.name),
      ready: lifecycle.ready,
    },
    "serving",
  );
  return {
    addresses,
    lifecycle,
    models,
    drain: () => stop(true),
    close: () => stop(false),
  };
}
