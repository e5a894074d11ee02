import type { RequestListener } from "node:http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricProducer } from "@opentelemetry/sdk-metrics";
import type { Logger } from "pino";
import type { BatcherMetrics } from "../batching/batcher-metrics.js";
import { SERVER_NAME, SERVER_VERSION } from "../server/server-info.js";
import { createGpuGaugeProducer } from "./gpu-gauges.js";
import { createGpuPoller, type GpuPoller } from "./gpu-poller.js";
import { createInstanceCounters, type InstanceBatchHook } from "./instance-counters.js";
import { createMetricsHandler } from "./metrics-handler.js";
import { createModelHistogramProducer } from "./model-histograms.js";
import { observeModelVersions } from "./model-observables.js";
import { createModelStateProducer, type ModelStateSource } from "./model-state-gauge.js";
import { createModelVersionRegistry } from "./model-version-registry.js";
import { createProcessMetrics } from "./process-metrics.js";

export interface SidecarMetricsOptions {
  readonly logger: Logger;
  /** `metrics.gpu_poll_interval_ms`: how often `nvidia-smi` is run; 0 disables GPU metrics. */
  readonly gpuPollIntervalMs: number;
  /** `metrics.nvidia_smi_path`: the executable, a bare name being looked up on `PATH`. */
  readonly nvidiaSmiPath: string;
  /** Past it a poll's `nvidia-smi` is killed; default 10 s (a driver without persistence mode can take seconds). */
  readonly nvidiaSmiTimeoutMs?: number | undefined;
}

/**
 * The sidecar's metrics, exported in the Prometheus text format. It fits the server's
 * `SidecarMetrics` contract: hooks for each model version's batcher, and the request listener
 * of the metrics port, which the server's listeners bind (`server.host`, `server.metrics_port`).
 */
export interface PrometheusMetrics {
  /**
   * Hooks for one batcher of `model` `version`. Every call returns fresh hooks (a reload runs
   * two batchers of a version side by side) that add to the version's one set of series.
   */
  batcherMetrics(model: string, version: string): BatcherMetrics;
  /** Where the model-state gauge reads each model's state at a scrape. */
  observeModels(source: ModelStateSource): void;
  /** The hook counting each instance's batches of `model` `version`, labelled with its device. */
  instanceMetrics(model: string, version: string): InstanceBatchHook;
  /** Serves `GET /metrics`. */
  readonly handler: RequestListener;
  /** Stops GPU polling and shuts the meter provider down. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 10_000;

/**
 * An OpenTelemetry MeterProvider whose one reader is the Prometheus exporter, its own HTTP
 * server left unstarted: that server would listen on every interface and treats port 0 as its
 * default 9464, whereas the sidecar's listeners bind `server.host` and allow port 0. The
 * provider is not registered globally, so that several sidecars (tests) keep apart.
 */
export function createSidecarMetrics(options: SidecarMetricsOptions): PrometheusMetrics {
  const { logger, gpuPollIntervalMs, nvidiaSmiPath } = options;
  const registry = createModelVersionRegistry();
  const processMetrics = createProcessMetrics();
  let modelStates: ModelStateSource | undefined;
  const producers: MetricProducer[] = [
    createModelHistogramProducer(registry),
    createModelStateProducer(() => modelStates),
    processMetrics.producer,
  ];
  let poller: GpuPoller | undefined;
  if (gpuPollIntervalMs > 0) {
    poller = createGpuPoller({
      command: nvidiaSmiPath,
      intervalMs: gpuPollIntervalMs,
      timeoutMs: options.nvidiaSmiTimeoutMs ?? DEFAULT_NVIDIA_SMI_TIMEOUT_MS,
      logger,
    });
    producers.push(createGpuGaugeProducer(poller));
  }
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    // One meter: its name on every series would only add a label.
    withoutScopeInfo: true,
    metricProducers: producers,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      "service.name": SERVER_NAME,
      "service.version": SERVER_VERSION,
    }),
    readers: [exporter],
  });
  const meter = provider.getMeter(SERVER_NAME, SERVER_VERSION);
  observeModelVersions(meter, registry);
  const instanceMetrics = createInstanceCounters(meter);
  let closing: Promise<void> | undefined;
  return {
    batcherMetrics: (model, version) => registry.figuresOf(model, version).hooks(),
    observeModels(source) {
      modelStates = source;
    },
    instanceMetrics,
    handler: createMetricsHandler(exporter),
    close() {
      closing ??= (async () => {
        poller?.close();
        processMetrics.close();
        await provider.shutdown();
      })();
      return closing;
    },
  };
}
