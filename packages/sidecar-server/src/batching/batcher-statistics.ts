import type { MetricOutcome } from "./batcher-metrics.js";

/** A count and the summed duration of what it counts, in nanoseconds (Triton's StatisticDuration). */
export interface DurationStatistic {
  readonly count: number;
  readonly ns: bigint;
}

/**
 * How long one batch spent in each compute phase, in Triton's terms. compute_input: assembling
 * the batch's input tensors from its requests (concatenation, padding); compute_infer: from
 * handing the batch to an executor instance until its outputs are back on the main thread (the
 * worker's run plus the transfer both ways); compute_output: splitting the outputs per request.
 */
export interface ComputePhases {
  readonly inputMs: number;
  readonly inferMs: number;
  readonly outputMs: number;
}

/** Triton's InferBatchStatistics: the batches of one size, with each phase's summed time. */
export interface BatchSizeStatistic {
  /** Rows in the batch. */
  readonly batchSize: number;
  /** `count` is the number of batches of this size in every phase. */
  readonly computeInput: DurationStatistic;
  readonly computeInfer: DurationStatistic;
  readonly computeOutput: DurationStatistic;
}

/** Cumulative figures for Triton's ModelStatistics. */
export interface BatcherStatistics {
  /** Requests that succeeded, with their end-to-end time. */
  readonly success: DurationStatistic;
  /** Requests that failed after being queued (executor error, timeout, cancellation). */
  readonly fail: DurationStatistic;
  /** Queue time of the requests that succeeded. */
  readonly queue: DurationStatistic;
  /**
   * The compute phases of each successful batch, counted once per request in it, as Triton
   * counts compute_input, compute_infer and compute_output.
   */
  readonly computeInput: DurationStatistic;
  readonly computeInfer: DurationStatistic;
  readonly computeOutput: DurationStatistic;
  /** Successful batches by size, ascending (Triton's batch_stats). */
  readonly batches: readonly BatchSizeStatistic[];
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

class BatchSize {
  readonly input = new Duration();
  readonly infer = new Duration();
  readonly output = new Duration();

  constructor(readonly size: number) {}

  snapshot(): BatchSizeStatistic {
    return {
      batchSize: this.size,
      computeInput: this.input.snapshot(),
      computeInfer: this.infer.snapshot(),
      computeOutput: this.output.snapshot(),
    };
  }
}

/** Accumulates the statistics; `ns` sums are bigints because they pass 2^53 ns in weeks. */
export class StatisticsRecorder {
  readonly #success = new Duration();
  readonly #fail = new Duration();
  readonly #queue = new Duration();
  readonly #computeInput = new Duration();
  readonly #computeInfer = new Duration();
  readonly #computeOutput = new Duration();
  /** By batch size; a model sees few distinct sizes (at most max_batch_size). */
  readonly #batchSizes = new Map<number, BatchSize>();
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

  /** A batch that ran; `phases` only for a successful one (Triton counts those alone). */
  recordBatch(rows: number, requests: number, phases: ComputePhases | undefined): void {
    this.#inferenceCount += rows;
    this.#executionCount++;
    if (phases === undefined) return;
    this.#computeInput.add(requests, phases.inputMs);
    this.#computeInfer.add(requests, phases.inferMs);
    this.#computeOutput.add(requests, phases.outputMs);
    let size = this.#batchSizes.get(rows);
    if (size === undefined) {
      size = new BatchSize(rows);
      this.#batchSizes.set(rows, size);
    }
    size.input.add(1, phases.inputMs);
    size.infer.add(1, phases.inferMs);
    size.output.add(1, phases.outputMs);
  }

  snapshot(): BatcherStatistics {
    return {
      success: this.#success.snapshot(),
      fail: this.#fail.snapshot(),
      queue: this.#queue.snapshot(),
      computeInput: this.#computeInput.snapshot(),
      computeInfer: this.#computeInfer.snapshot(),
      computeOutput: this.#computeOutput.snapshot(),
      batches: [...this.#batchSizes.values()]
        .sort((a, b) => a.size - b.size)
        .map((size) => size.snapshot()),
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
