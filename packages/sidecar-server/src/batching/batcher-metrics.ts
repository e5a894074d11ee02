/** How a submitted request ended, in the labels of the sidecar's request counter. */
export type MetricOutcome = "success" | "rejected" | "failed" | "timeout" | "cancelled";

export interface RequestOutcomeEvent {
  readonly outcome: MetricOutcome;
  /** Rows of the request (1 for a model without batching). 0 when refused before validation. */
  readonly rows: number;
  /** Time between enqueue and leaving the queue; 0 for a request refused at submit. */
  readonly queueTimeMs: number;
  /** Time between submit and the outcome. */
  readonly totalTimeMs: number;
}

export interface BatchEvent {
  readonly rows: number;
  /** Requests (chunks of them, for split requests) in the batch. */
  readonly requests: number;
  /** How long the oldest member waited before the batch was dispatched. */
  readonly queueTimeMs: number;
  /** Time between handing the batch to the executor and getting its result. */
  readonly computeTimeMs: number;
  /** False when the executor failed or answered with wrong outputs. */
  readonly ok: boolean;
}

/**
 * Hooks the server implements with OpenTelemetry instruments. Plain callbacks, all optional:
 * the batcher builds an event only when its hook is present, so unused metrics cost nothing.
 */
export interface BatcherMetrics {
  onOutcome?(event: RequestOutcomeEvent): void;
  onBatch?(event: BatchEvent): void;
  /** Queued requests, after every change. */
  onQueueDepth?(depth: number): void;
  /** Requests accepted and not yet answered (queued or in a running batch), after every change. */
  onInFlight?(count: number): void;
}
