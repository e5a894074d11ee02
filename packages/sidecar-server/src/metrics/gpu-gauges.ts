import type { GpuStatus } from "@gpu-sidecar/resource-profile";
import { type Attributes, ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type GaugeMetricData,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import type { GpuPoller } from "./gpu-poller.js";
import { hrTimeOf, producerResult } from "./producer-result.js";

interface GpuGauge {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  value(sample: GpuStatus): number | undefined;
}

const GAUGES: readonly GpuGauge[] = [
  {
    name: "gpu_sidecar_gpu_utilization_ratio",
    description: "Share of the last sample period in which a kernel ran on the GPU (nvidia-smi).",
    unit: "1",
    value: (sample) => sample.utilizationRatio,
  },
  {
    name: "gpu_sidecar_gpu_memory_used_bytes",
    description: "GPU memory in use, by every process on the GPU (nvidia-smi).",
    unit: "By",
    value: (sample) => sample.memoryUsedBytes,
  },
  {
    name: "gpu_sidecar_gpu_memory_total_bytes",
    description: "GPU memory in total (nvidia-smi).",
    unit: "By",
    value: (sample) => sample.memoryTotalBytes,
  },
];

/**
 * The per-GPU gauges as a MetricProducer reading the poller's last samples. Not observable
 * gauges: with cumulative temporality the SDK keeps exporting a series its callback no longer
 * observes, and a GPU whose poll failed must show no figures rather than stale ones.
 */
export function createGpuGaugeProducer(poller: GpuPoller): MetricProducer {
  return {
    async collect(): Promise<CollectionResult> {
      const time = hrTimeOf(Date.now());
      const metrics: GaugeMetricData[] = [];
      for (const gauge of GAUGES) {
        const dataPoints: DataPoint<number>[] = [];
        for (const sample of poller.samples) {
          const value = gauge.value(sample);
          if (value === undefined) continue;
          const attributes: Attributes = { gpu: String(sample.index), uuid: sample.uuid };
          dataPoints.push({ startTime: time, endTime: time, attributes, value });
        }
        if (dataPoints.length === 0) continue;
        metrics.push({
          descriptor: {
            name: gauge.name,
            description: gauge.description,
            unit: gauge.unit,
            valueType: ValueType.DOUBLE,
          },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.GAUGE,
          dataPoints,
        });
      }
      return producerResult(metrics);
    },
  };
}
