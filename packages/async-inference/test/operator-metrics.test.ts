import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import {
  DataPointType,
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import type { InferFunction } from "../src/operator/async-inference-options.js";
import { ModelInferenceMetric } from "../src/operator/operator-metrics.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
  numbersTensor,
  readNumbers,
  rowModel,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

/** A reader that exports nothing by itself: the test collects when it wants to look. */
class ManualReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function snapshot(reader: MetricReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  const byName = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  }
  return byName;
}

/** The single data point's value of a counter; a histogram's count and sum. */
function pointValue(metrics: Map<string, MetricData>, name: string): unknown {
  const metric = metrics.get(name);
  const point = metric?.dataPoints[0];
  if (metric === undefined || point === undefined) return undefined;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    const histogram = point.value as { count: number; sum?: number };
    return { count: histogram.count, sum: histogram.sum };
  }
  return point.value;
}

let reader: ManualReader;
let provider: MeterProvider;

beforeEach(() => {
  reader = new ManualReader();
  provider = new MeterProvider({ readers: [reader] });
  useFakeTime();
});
afterEach(async () => {
  vi.useRealTimers();
  await provider.shutdown();
});

describe("asyncInference metrics", () => {
  it("counts calls, outcomes, rows, latency, retries and in-flight records, with the model attribute", async () => {
    let failedOnce = false;
    const infer: InferFunction = (inputs) => {
      const x = readNumbers(inputs[0] ?? numbersTensor("x", []))[0] ?? 0;
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          if (x === 2 && !failedOnce) {
            failedOnce = true;
            reject(new SidecarError(ErrorCode.Unavailable, "busy"));
          } else {
            resolve([numbersTensor("y", [x])]);
          }
        }, 5),
      );
    };
    const run = collect(
      asyncInference([1, 2, 3], {
        infer,
        encode: encodeNumber,
        decode: decodeNumber,
        meter: provider.getMeter("test"),
        modelName: "fraud",
        retry: { strategy: "fixed", delayMs: 10, maxAttempts: 2 },
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    expect(pointValue(await snapshot(reader), ModelInferenceMetric.InFlight)).toBe(3);
    await settleWithTimers(run);
    vi.useRealTimers();
    const after = await snapshot(reader);
    expect(pointValue(after, ModelInferenceMetric.Requests)).toBe(4);
    expect(pointValue(after, ModelInferenceMetric.RequestsSuccess)).toBe(3);
    expect(pointValue(after, ModelInferenceMetric.RequestsFailure)).toBe(1);
    expect(pointValue(after, ModelInferenceMetric.Retries)).toBe(1);
    expect(pointValue(after, ModelInferenceMetric.RowsOutput)).toBe(3);
    expect(pointValue(after, ModelInferenceMetric.Latency)).toEqual({ count: 4, sum: 20 });
    expect(pointValue(after, ModelInferenceMetric.InFlight)).toBe(0);
    expect(after.get(ModelInferenceMetric.Latency)?.descriptor.unit).toBe("ms");
    for (const metric of after.values()) {
      expect(metric.dataPoints[0]?.attributes).toEqual({ model: "fraud" });
    }
  });

  it("counts a coalesced batch as one request of several rows", async () => {
    const { infer } = rowModel(
      (x) => x,
      () => 2,
    );
    await settleWithTimers(
      collect(
        asyncInference([1, 2, 3], {
          infer,
          encode: encodeNumber,
          decode: decodeNumber,
          meter: provider.getMeter("test"),
          batch: { maxRows: 3, maxDelayMs: 10 },
        }),
      ),
    );
    vi.useRealTimers();
    const after = await snapshot(reader);
    expect(pointValue(after, ModelInferenceMetric.Requests)).toBe(1);
    expect(pointValue(after, ModelInferenceMetric.RowsOutput)).toBe(3);
    expect(after.get(ModelInferenceMetric.Requests)?.dataPoints[0]?.attributes).toEqual({});
  });

  it("returns in_flight to zero when the stream fails with records in flight", async () => {
    const { infer } = rowModel(
      (x) => x,
      () => Number.POSITIVE_INFINITY,
    );
    const controller = new AbortController();
    const run = collect(
      asyncInference([1, 2], {
        infer,
        encode: encodeNumber,
        decode: decodeNumber,
        meter: provider.getMeter("test"),
        signal: controller.signal,
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    vi.useRealTimers();
    expect(pointValue(await snapshot(reader), ModelInferenceMetric.InFlight)).toBe(0);
  });
});
