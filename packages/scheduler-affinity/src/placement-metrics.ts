import type { Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";

/** Instrument names of the placement engine. */
export const PlacementMetric = {
  Allocations: "placement.allocations",
  Pending: "placement.pending",
  Replacements: "placement.replacements",
  WorkersLost: "placement.workers_lost",
  DecisionTime: "placement.decision_time",
} as const;

/** Microsecond buckets around the 50 µs target of one decision. */
const DECISION_BUCKETS_US = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

export class PlacementMetrics {
  readonly allocations: UpDownCounter;
  readonly pending: UpDownCounter;
  readonly replacements: Counter;
  readonly workersLost: Counter;
  readonly decisionTime: Histogram;

  constructor(meter: Meter) {
    this.allocations = meter.createUpDownCounter(PlacementMetric.Allocations, {
      description: "requests placed and holding resources",
      unit: "{allocation}",
    });
    this.pending = meter.createUpDownCounter(PlacementMetric.Pending, {
      description: "requests waiting for capacity",
      unit: "{request}",
    });
    this.replacements = meter.createCounter(PlacementMetric.Replacements, {
      description: "allocations revoked by a lost sidecar and placed again",
      unit: "{allocation}",
    });
    this.workersLost = meter.createCounter(PlacementMetric.WorkersLost, {
      description: "workers blocked because their sidecar was gone past the grace period",
      unit: "{worker}",
    });
    this.decisionTime = meter.createHistogram(PlacementMetric.DecisionTime, {
      description: "time to choose a worker for one request",
      unit: "us",
      advice: { explicitBucketBoundaries: DECISION_BUCKETS_US },
    });
  }
}
