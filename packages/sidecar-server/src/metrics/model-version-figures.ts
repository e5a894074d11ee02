import type { Attributes } from "@opentelemetry/api";
import type {
  BatchEvent,
  BatcherMetrics,
  MetricOutcome,
  RequestOutcomeEvent,
} from "../batching/batcher-metrics.js";
import { type CumulativeHistogram, createCumulativeHistogram } from "./cumulative-histogram.js";
import { BATCH_SIZE_BOUNDARIES_ROWS, DURATION_BOUNDARIES_SECONDS } from "./histogram-boundaries.js";

/** Every outcome, in the order the request counter reports them. */
export const METRIC_OUTCOMES: readonly MetricOutcome[] = Object.freeze([
  "success",
  "rejected",
  "timeout",
  "cancelled",
  "failed",
]);

/**
 * The running figures of one model version, written by its batcher's hooks with plain
 * arithmetic and read when `/metrics` is scraped. A version keeps its figures across reloads
 * and unloads, so that its counters never go back (Prometheus reads a drop as a restart).
 */
export interface ModelVersionFigures {
  /** `{ model, version }`, built once. */
  readonly attributes: Attributes;
  /** `{ model, version, outcome }` per outcome, built once. */
  readonly outcomeAttributes: Readonly<Record<MetricOutcome, Attributes>>;
  /** When the figures started, for the data points' start time (ms since the epoch). */
  readonly startedAtMs: number;
  readonly requests: Readonly<Record<MetricOutcome, number>>;
  /**
   * End-to-end time of requests that were queued, by outcome; a request refused at submit has
   * no time to report (the batcher gives it 0), so it is only counted.
   */
  readonly requestDuration: Readonly<Record<MetricOutcome, CumulativeHistogram>>;
  readonly queueDuration: CumulativeHistogram;
  readonly batchSize: CumulativeHistogram;
  readonly computeDuration: CumulativeHistogram;
  readonly rows: number;
  readonly batches: number;
  /** Requests waiting in the queues of this version's batchers. */
  readonly pending: number;
  /** Requests this version's batchers accepted and have not answered: queued or running. */
  readonly inFlight: number;
  /** Hooks for one batcher of this version; each load of the version asks for its own. */
  hooks(): BatcherMetrics;
}

class Figures implements ModelVersionFigures {
  readonly attributes: Attributes;
  readonly outcomeAttributes: Readonly<Record<MetricOutcome, Attributes>>;
  readonly startedAtMs = Date.now();
  readonly requests: Record<MetricOutcome, number> = {
    success: 0,
    rejected: 0,
    timeout: 0,
    cancelled: 0,
    failed: 0,
  };
  readonly requestDuration: Readonly<Record<MetricOutcome, CumulativeHistogram>>;
  readonly queueDuration = createCumulativeHistogram(DURATION_BOUNDARIES_SECONDS);
  readonly batchSize = createCumulativeHistogram(BATCH_SIZE_BOUNDARIES_ROWS);
  readonly computeDuration = createCumulativeHistogram(DURATION_BOUNDARIES_SECONDS);
  rows = 0;
  batches = 0;
  pending = 0;
  inFlight = 0;

  constructor(model: string, version: string) {
    this.attributes = { model, version };
    const byOutcome = <T>(make: (outcome: MetricOutcome) => T) =>
      Object.fromEntries(METRIC_OUTCOMES.map((outcome) => [outcome, make(outcome)])) as Record<
        MetricOutcome,
        T
      >;
    this.outcomeAttributes = byOutcome((outcome) => ({ model, version, outcome }));
    this.requestDuration = byOutcome(() => createCumulativeHistogram(DURATION_BOUNDARIES_SECONDS));
  }

  hooks(): BatcherMetrics {
    return new BatcherHooks(this);
  }
}

/**
 * One batcher's hooks. During a reload the old and the new batcher of a version run side by
 * side, each reporting its own queue depth and in-flight count; every hook adds the change of
 * its own figures, so `pending` and `inFlight` are their sums, and a batcher that ends with
 * nothing queued or in flight leaves nothing behind.
 */
class BatcherHooks implements BatcherMetrics {
  readonly #figures: Figures;
  #depth = 0;
  #inFlight = 0;

  constructor(figures: Figures) {
    this.#figures = figures;
  }

  onOutcome(event: RequestOutcomeEvent): void {
    const figures = this.#figures;
    figures.requests[event.outcome]++;
    // Refused at submit: the batcher reports rows 0 and no times.
    if (event.rows === 0) return;
    figures.requestDuration[event.outcome].record(event.totalTimeMs / 1000);
    figures.queueDuration.record(event.queueTimeMs / 1000);
  }

  onBatch(event: BatchEvent): void {
    const figures = this.#figures;
    figures.rows += event.rows;
    figures.batches++;
    figures.batchSize.record(event.rows);
    figures.computeDuration.record(event.computeTimeMs / 1000);
  }

  onQueueDepth(depth: number): void {
    this.#figures.pending += depth - this.#depth;
    this.#depth = depth;
  }

  onInFlight(count: number): void {
    this.#figures.inFlight += count - this.#inFlight;
    this.#inFlight = count;
  }
}

export function createModelVersionFigures(model: string, version: string): ModelVersionFigures {
  return new Figures(model, version);
}
