import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";

/** Instrument names, after Flink's `model_inference` metric group. */
export const ModelInferenceMetric = {
  Requests: "model_inference.requests",
  RequestsSuccess: "model_inference.requests_success",
  RequestsFailure: "model_inference.requests_failure",
  RowsOutput: "model_inference.rows_output",
  Latency: "model_inference.latency",
  InFlight: "model_inference.in_flight",
  Retries: "model_inference.retries",
} as const;

/** Millisecond buckets from a sub-millisecond local call to a multi-second overloaded one. */
const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];

/**
 * The operator's instruments, created once per stream. A request is one `infer` call (a
 * coalesced batch counts once); rows and in-flight count records.
 */
export class OperatorMetrics {
  private readonly attributes: Attributes;
  private readonly requests: Counter;
  private readonly requestsSuccess: Counter;
  private readonly requestsFailure: Counter;
  private readonly rowsOutput: Counter;
  private readonly latency: Histogram;
  private readonly inFlight: UpDownCounter;
  private readonly retries: Counter;

  constructor(meter: Meter, modelName: string | undefined) {
    this.attributes = modelName === undefined ? {} : { model: modelName };
    this.requests = meter.createCounter(ModelInferenceMetric.Requests, {
      description: "infer calls started, a coalesced batch counting once",
      unit: "{request}",
    });
    this.requestsSuccess = meter.createCounter(ModelInferenceMetric.RequestsSuccess, {
      description: "infer calls that returned outputs",
      unit: "{request}",
    });
    this.requestsFailure = meter.createCounter(ModelInferenceMetric.RequestsFailure, {
      description: "infer calls that failed or returned unusable outputs",
      unit: "{request}",
    });
    this.rowsOutput = meter.createCounter(ModelInferenceMetric.RowsOutput, {
      description: "records that received a model result",
      unit: "{row}",
    });
    this.latency = meter.createHistogram(ModelInferenceMetric.Latency, {
      description: "duration of infer calls",
      unit: "ms",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
    });
    this.inFlight = meter.createUpDownCounter(ModelInferenceMetric.InFlight, {
      description: "records admitted and not yet settled",
      unit: "{record}",
    });
    this.retries = meter.createCounter(ModelInferenceMetric.Retries, {
      description: "retries scheduled",
      unit: "{retry}",
    });
  }

  callStarted(): void {
    this.requests.add(1, this.attributes);
  }

  callSucceeded(latencyMs: number): void {
    this.requestsSuccess.add(1, this.attributes);
    this.latency.record(latencyMs, this.attributes);
  }

  callFailed(latencyMs: number): void {
    this.requestsFailure.add(1, this.attributes);
    this.latency.record(latencyMs, this.attributes);
  }

  recordsAdmitted(count: number): void {
    this.inFlight.add(count, this.attributes);
  }

  recordsSettled(count: number): void {
    this.inFlight.add(-count, this.attributes);
  }

  rowsProduced(rows: number): void {
    this.rowsOutput.add(rows, this.attributes);
  }

  retryScheduled(): void {
    this.retries.add(1, this.attributes);
  }
}
