import type { Attributes, Meter } from "@opentelemetry/api";
import type { InstanceBatchEvent } from "../executor/executor-pool.js";

/** The per-instance hook of one model version, as the sidecar's `instanceMetrics` returns it. */
export type InstanceBatchHook = (event: InstanceBatchEvent) => void;

/**
 * Counters of each model instance's work, labelled with the device it ran on: `gpu` and `uuid`
 * are the labels of the per-GPU gauges, so a GPU's utilization and the batches, rows and busy
 * time of the instances on it can be read side by side. Plain synchronous counters: an
 * instance's series is created by its first batch and is cumulative from there.
 */
export function createInstanceCounters(
  meter: Meter,
): (model: string, version: string) => InstanceBatchHook {
  const batches = meter.createCounter("gpu_sidecar_instance_batches_total", {
    description: "Batches each model instance ran, including failed ones, by device.",
    unit: "{batch}",
  });
  const rows = meter.createCounter("gpu_sidecar_instance_rows_total", {
    description: "Rows in the batches each model instance ran, by device.",
    unit: "{row}",
  });
  const busy = meter.createCounter("gpu_sidecar_instance_busy_seconds_total", {
    description:
      "Time each model instance spent running batches; its rate is the instance's busy share.",
    unit: "s",
  });
  return (model, version) => {
    // One attribute set per instance, built on its first batch.
    const labels = new Map<number, Attributes>();
    return (event) => {
      let attributes = labels.get(event.instance);
      if (attributes === undefined) {
        const { device } = event;
        attributes = {
          model,
          version,
          instance: String(event.instance),
          kind: device.kind,
          ...(device.kind === "gpu" ? { gpu: String(device.index), uuid: device.uuid } : {}),
        };
        labels.set(event.instance, attributes);
      }
      batches.add(1, attributes);
      rows.add(event.rows, attributes);
      busy.add(event.computeTimeMs / 1000, attributes);
    };
  };
}
