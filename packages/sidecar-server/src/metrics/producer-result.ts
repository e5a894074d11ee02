import type { HrTime } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import type { CollectionResult, MetricData } from "@opentelemetry/sdk-metrics";

// The reader keeps the SDK's resource and drops the one a producer returns.
const RESOURCE = emptyResource();
const SCOPE = { name: "gpu-sidecar" };

/** What a MetricProducer of this module returns: its metrics, no errors. */
export function producerResult(metrics: MetricData[]): CollectionResult {
  return {
    resourceMetrics: { resource: RESOURCE, scopeMetrics: [{ scope: SCOPE, metrics }] },
    errors: [],
  };
}

/** Milliseconds since the epoch as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTimeOf(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}
