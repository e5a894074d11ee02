import { ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import { hrTimeOf, producerResult } from "./producer-result.js";

/** Where a model stands, as the state gauge labels it. */
export type ModelLoadState = "loading" | "loaded" | "failed";

export const MODEL_LOAD_STATES: readonly ModelLoadState[] = Object.freeze([
  "loading",
  "loaded",
  "failed",
]);

export interface ModelStateEntry {
  readonly model: string;
  readonly state: ModelLoadState;
}

/** The current state of every model the sidecar knows; read at each scrape. */
export type ModelStateSource = () => readonly ModelStateEntry[];

/**
 * `gpu_sidecar_model_state{model, state}`: 1 for the state a model is in and 0 for the others
 * (the enum gauge of kube-state-metrics), so `gpu_sidecar_model_state{state="failed"} == 1`
 * alerts on a failed load; the repository index says why. A produced gauge, so that an
 * unloaded model's series go away instead of repeating their last value.
 */
export function createModelStateProducer(
  source: () => ModelStateSource | undefined,
): MetricProducer {
  return {
    async collect(): Promise<CollectionResult> {
      const entries = source()?.() ?? [];
      if (entries.length === 0) return producerResult([]);
      const time = hrTimeOf(Date.now());
      const dataPoints: DataPoint<number>[] = [];
      for (const entry of entries) {
        for (const state of MODEL_LOAD_STATES) {
          dataPoints.push({
            startTime: time,
            endTime: time,
            attributes: { model: entry.model, state },
            value: entry.state === state ? 1 : 0,
          });
        }
      }
      return producerResult([
        {
          descriptor: {
            name: "gpu_sidecar_model_state",
            description:
              "1 for the state each model is in (loading, loaded, failed), 0 for the others; the repository index gives a failed load's reason.",
            unit: "1",
            valueType: ValueType.INT,
          },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.GAUGE,
          dataPoints,
        },
      ]);
    },
  };
}
