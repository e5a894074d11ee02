import type { Meter } from "@opentelemetry/api";
import { METRIC_OUTCOMES } from "./model-version-figures.js";
import type { ModelVersionRegistry } from "./model-version-registry.js";

/**
 * Registers the per-model-version counters and the pending and in-flight gauges as observable instruments:
 * the batcher hooks only add to plain numbers, and the SDK reads them once per scrape.
 */
export function observeModelVersions(meter: Meter, registry: ModelVersionRegistry): void {
  const requests = meter.createObservableCounter("gpu_sidecar_requests_total", {
    description:
      "Inference requests by how they ended: success, rejected (refused at submit), timeout, cancelled, failed.",
    unit: "{request}",
  });
  const rows = meter.createObservableCounter("gpu_sidecar_inference_rows_total", {
    description: "Rows in the batches the executors ran; divided by batches, the mean batch size.",
    unit: "{row}",
  });
  const batches = meter.createObservableCounter("gpu_sidecar_batches_total", {
    description: "Batches the executors ran, including those that failed.",
    unit: "{batch}",
  });
  const pending = meter.createObservableGauge("gpu_sidecar_pending_requests", {
    description: "Requests accepted and waiting in the queue for a batch.",
    unit: "{request}",
  });
  const inFlight = meter.createObservableGauge("gpu_sidecar_inflight_requests", {
    description:
      "Requests accepted and not yet answered: waiting in the queue or in a running batch.",
    unit: "{request}",
  });
  meter.addBatchObservableCallback(
    (result) => {
      for (const figures of registry.all()) {
        for (const outcome of METRIC_OUTCOMES) {
          result.observe(requests, figures.requests[outcome], figures.outcomeAttributes[outcome]);
        }
        result.observe(rows, figures.rows, figures.attributes);
        result.observe(batches, figures.batches, figures.attributes);
        result.observe(pending, figures.pending, figures.attributes);
        result.observe(inFlight, figures.inFlight, figures.attributes);
      }
    },
    [requests, rows, batches, pending, inFlight],
  );
}
