import type { SidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import type { Logger } from "pino";
import { createSidecarMetrics, type PrometheusMetrics } from "./sidecar-metrics.js";

/**
 * The metrics the config asks for: none when `metrics.enabled` is false, nor when
 * `server.metrics_port` is false, since nothing would serve what was recorded.
 */
export function createConfiguredMetrics(
  config: Pick<SidecarConfig, "metrics" | "server">,
  logger: Logger,
): PrometheusMetrics | undefined {
  if (!config.metrics.enabled || config.server.metrics_port === false) return undefined;
  return createSidecarMetrics({
    logger,
    gpuPollIntervalMs: config.metrics.gpu_poll_interval_ms,
    nvidiaSmiPath: config.metrics.nvidia_smi_path,
  });
}
