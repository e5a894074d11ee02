import type { MetricOutcome } from "./batcher-metrics.js";

/** A count and the summed duration of what it counts, in nanoseconds (Triton's StatisticDuration). */
export interface DurationStatistic {
  readonly count: number;
  readonly ns: bigint;
}

/** Cumulative figures for Triton's ModelStatistics. */
export interface BatcherStatistics {
  /** Requests that succeeded, with their end-to-end time. */
  readonly success: DurationStatistic;
  /** Requests that failed after being queued (executor error, timeout, cancellation). */
  readonly fail: DurationStatistic;
  /** Queue time of the requests that succeeded. */
  readonly queue: DurationStatistic;
  /** Compute time of each successful batch, counted once per request in it (Triton's compute_infer). */
  readonly computeInfer: DurationStatistic;
  /** Requests refused at submit (invalid, queue full, draining). */
  readonly rejectedCount: number;
  readonly timeoutCount: number;
  readonly cancelledCount: number;
  /** Rows run (Triton's inference_count). */
  readonly inferenceCount: number;
  /** Batches run (Triton's execution_count); inferenceCount / executionCount is the mean batch size. */
  readonly executionCount: number;
}

class Duration {
  count = 0;
  ns = 0n;

  add(count: number, ms: number): void {
    this.count += count;
    this.ns += BigInt(Math.round(ms * 1e6)) * BigInt(count);
  }

  snapshot(): DurationStatistic {
    return { count: this.count, ns: this.ns };
  }
}

/** Accumulates the statistics; `ns` sums are bigints because they pass 2^53 ns in weeks. */
export class StatisticsRecorder {
  readonly #success = new Duration();
  readonly #fail = new Duration();
  readonly #queue = new Duration();
  readonly #computeInfer = new Duration();
  #rejected = 0;
  #timeout = 0;
  #cancelled = 0;
  #inferenceCount = 0;
  #executionCount = 0;

  recordOutcome(outcome: MetricOutcome, queueTimeMs: number, totalTimeMs: number): void {
    switch (outcome) {
      case "success":
        this.#success.add(1, totalTimeMs);
        this.#queue.add(1, queueTimeMs);
        return;
      case "rejected":
        this.#rejected++;
        return;
      case "timeout":
        this.#timeout++;
        break;
      case "cancelled":
        this.#cancelled++;
        break;
      case "failed":
        break;
    }
    this.#fail.add(1, totalTimeMs);
  }

  recordBatch(rows: number, requests: number, computeTimeMs: number, ok: boolean): void {
    this.#inferenceCount += rows;
    this.#executionCount++;
    if (ok) this.#computeInfer.add(requests, computeTimeMs);
  }

  snapshot(): BatcherStatistics {
    return {
      success: this.#success.snapshot(),
      fail: this.#fail.snapshot(),
      queue: this.#queue.snapshot(),
      computeInfer: this.#computeInfer.snapshot(),
      rejectedCount: this.#rejected,
      timeoutCount: this.#timeout,
      cancelledCount: this.#cancelled,
      inferenceCount: this.#inferenceCount,
      executionCount: this.#executionCount,
    };
  }
}

export function createStatisticsRecorder(): StatisticsRecorder {
  return new StatisticsRecorder();
}
