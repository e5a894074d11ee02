import { type Attributes, ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import type { CumulativeHistogram } from "./cumulative-histogram.js";
import { METRIC_OUTCOMES, type ModelVersionFigures } from "./model-version-figures.js";
import type { ModelVersionRegistry } from "./model-version-registry.js";
import { hrTimeOf, producerResult } from "./producer-result.js";

interface HistogramSeries {
  readonly histogram: CumulativeHistogram;
  readonly attributes: Attributes;
}

interface HistogramFamily {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  series(figures: ModelVersionFigures): Iterable<HistogramSeries>;
}

const FAMILIES: readonly HistogramFamily[] = [
  {
    name: "gpu_sidecar_request_duration_seconds",
    description:
      "End-to-end time of queued requests, from submit to outcome, by outcome (requests refused at submit are not timed).",
    unit: "s",
    *series(figures) {
      for (const outcome of METRIC_OUTCOMES) {
        yield {
          histogram: figures.requestDuration[outcome],
          attributes: figures.outcomeAttributes[outcome],
        };
      }
    },
  },
  {
    name: "gpu_sidecar_request_queue_duration_seconds",
    description: "Time queued requests waited before their batch started (or until they left).",
    unit: "s",
    *series(figures) {
      yield { histogram: figures.queueDuration, attributes: figures.attributes };
    },
  },
  {
    name: "gpu_sidecar_batch_size_rows",
    description: "Rows per batch the executors ran.",
    unit: "{row}",
    *series(figures) {
      yield { histogram: figures.batchSize, attributes: figures.attributes };
    },
  },
  {
    name: "gpu_sidecar_batch_compute_duration_seconds",
    description: "Time from handing a batch to an executor instance to its result.",
    unit: "s",
    *series(figures) {
      yield { histogram: figures.computeDuration, attributes: figures.attributes };
    },
  },
];

/**
 * The per-model-version histograms as a MetricProducer for the Prometheus reader: the SDK has
 * no asynchronous histogram, and recording through its synchronous one costs per request what
 * `CumulativeHistogram` avoids. A series appears with its first observation, as an SDK
 * histogram's would.
 */
export function createModelHistogramProducer(registry: ModelVersionRegistry): MetricProducer {
  return {
    async collect(): Promise<CollectionResult> {
      const endTime = hrTimeOf(Date.now());
      const metrics: HistogramMetricData[] = [];
      for (const family of FAMILIES) {
        const dataPoints: DataPoint<Histogram>[] = [];
        for (const figures of registry.all()) {
          const startTime = hrTimeOf(figures.startedAtMs);
          for (const { histogram, attributes } of family.series(figures)) {
            if (histogram.count === 0) continue;
            dataPoints.push({ startTime, endTime, attributes, value: histogram.snapshot() });
          }
        }
        if (dataPoints.length === 0) continue;
        metrics.push({
          descriptor: {
            name: family.name,
            description: family.description,
            unit: family.unit,
            valueType: ValueType.DOUBLE,
          },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints,
        });
      }
      return producerResult(metrics);
    },
  };
}
