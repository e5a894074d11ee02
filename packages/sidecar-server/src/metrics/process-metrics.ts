import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { ValueType } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type MetricData,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import { hrTimeOf, producerResult } from "./producer-result.js";

/** The process and runtime metrics, with the event-loop monitor they need. */
export interface ProcessMetrics {
  readonly producer: MetricProducer;
  /** Stops the event-loop monitor. */
  close(): void;
}

/** The event loop's delay is sampled this often (ms); prom-client's default too. */
const EVENT_LOOP_RESOLUTION_MS = 10;

const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

interface Figure {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: "counter" | "gauge";
  read(usage: Usage): number;
}

interface Usage {
  readonly cpu: NodeJS.CpuUsage;
  readonly memory: NodeJS.MemoryUsage;
  readonly loop: IntervalHistogram;
}

const NS_PER_S = 1e9;

/**
 * The names every Prometheus user expects of a process (the client libraries' `process_*`) and
 * of a Node.js runtime (prom-client's `nodejs_*`), so that existing dashboards and alerts work.
 */
const FIGURES: readonly Figure[] = [
  {
    name: "process_cpu_user_seconds_total",
    description: "User CPU time the process spent, in seconds.",
    unit: "s",
    kind: "counter",
    read: ({ cpu }) => cpu.user / 1e6,
  },
  {
    name: "process_cpu_system_seconds_total",
    description: "System CPU time the process spent, in seconds.",
    unit: "s",
    kind: "counter",
    read: ({ cpu }) => cpu.system / 1e6,
  },
  {
    name: "process_cpu_seconds_total",
    description: "User and system CPU time the process spent, in seconds.",
    unit: "s",
    kind: "counter",
    read: ({ cpu }) => (cpu.user + cpu.system) / 1e6,
  },
  {
    name: "process_resident_memory_bytes",
    description: "Resident memory of the process, in bytes.",
    unit: "By",
    kind: "gauge",
    read: ({ memory }) => memory.rss,
  },
  {
    name: "process_start_time_seconds",
    description: "When the process started, in seconds since the Unix epoch.",
    unit: "s",
    kind: "gauge",
    read: () => START_TIME_SECONDS,
  },
  {
    name: "nodejs_heap_size_total_bytes",
    description: "V8 heap allocated, in bytes.",
    unit: "By",
    kind: "gauge",
    read: ({ memory }) => memory.heapTotal,
  },
  {
    name: "nodejs_heap_size_used_bytes",
    description: "V8 heap in use, in bytes.",
    unit: "By",
    kind: "gauge",
    read: ({ memory }) => memory.heapUsed,
  },
  {
    name: "nodejs_external_memory_bytes",
    description:
      "Memory of C++ objects bound to JavaScript ones (tensor buffers among them), in bytes.",
    unit: "By",
    kind: "gauge",
    read: ({ memory }) => memory.external,
  },
  {
    name: "nodejs_eventloop_lag_mean_seconds",
    description: "Mean event-loop delay since the previous scrape, in seconds.",
    unit: "s",
    kind: "gauge",
    read: ({ loop }) => (Number.isNaN(loop.mean) ? 0 : loop.mean / NS_PER_S),
  },
  {
    name: "nodejs_eventloop_lag_p99_seconds",
    description: "99th percentile of the event-loop delay since the previous scrape, in seconds.",
    unit: "s",
    kind: "gauge",
    read: ({ loop }) => loop.percentile(99) / NS_PER_S,
  },
  {
    name: "nodejs_eventloop_lag_max_seconds",
    description: "Longest event-loop delay since the previous scrape, in seconds.",
    unit: "s",
    kind: "gauge",
    read: ({ loop }) => loop.max / NS_PER_S,
  },
];

/**
 * Reads the process's CPU time, memory and event-loop delay at each scrape. The event-loop
 * delay comes from `monitorEventLoopDelay` (a libuv timer sampling every 10 ms, no JavaScript
 * on the loop) and starts over after each scrape, as prom-client's does; a stalled loop is
 * what delays every RPC, the first thing to look at when latency rises with no queue.
 */
export function createProcessMetrics(): ProcessMetrics {
  const loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  loop.enable();
  return {
    producer: {
      async collect(): Promise<CollectionResult> {
        const time = hrTimeOf(Date.now());
        const usage: Usage = { cpu: process.cpuUsage(), memory: process.memoryUsage(), loop };
        const metrics: MetricData[] = FIGURES.map((figure) => {
          const descriptor = {
            name: figure.name,
            description: figure.description,
            unit: figure.unit,
            valueType: ValueType.DOUBLE,
          };
          const dataPoints = [
            { startTime: time, endTime: time, attributes: {}, value: figure.read(usage) },
          ];
          return figure.kind === "counter"
            ? {
                descriptor,
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                dataPointType: DataPointType.SUM,
                isMonotonic: true,
                dataPoints,
              }
            : {
                descriptor,
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                dataPointType: DataPointType.GAUGE,
                dataPoints,
              };
        });
        loop.reset();
        return producerResult(metrics);
      },
    },
    close() {
      loop.disable();
    },
  };
}
