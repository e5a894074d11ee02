import type { ModelStatisticsResponse, StatisticDuration } from "@gpu-sidecar/sidecar-core";

/** A count and the summed time of what it counts (Triton's `StatisticDuration`). */
export interface DurationStatistic {
  readonly count: number;
  /** Nanoseconds; a bigint because the sums pass 2^53 within weeks. */
  readonly ns: bigint;
}

/** Cumulative figures of one model version since it loaded (`ModelStatistics`). */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  /** When it last ran, in milliseconds since the epoch; 0 before its first inference. */
  readonly lastInferenceMs: number;
  /** Rows run. */
  readonly inferenceCount: number;
  /** Batches run; `inferenceCount / executionCount` is the mean batch size. */
  readonly executionCount: number;
  readonly success: DurationStatistic;
  readonly fail: DurationStatistic;
  /** Time the successful requests spent queued. */
  readonly queue: DurationStatistic;
  readonly computeInfer: DurationStatistic;
}

const NONE: DurationStatistic = { count: 0, ns: 0n };

function duration(statistic: StatisticDuration | undefined): DurationStatistic {
  return statistic === undefined ? NONE : { count: Number(statistic.count), ns: statistic.ns };
}

/** Plain numbers instead of the wire's bigints, `ns` sums aside. */
export function readModelStatistics(response: ModelStatisticsResponse): ModelStatistics[] {
  return response.modelStats.map((stats) => ({
    name: stats.name,
    version: stats.version,
    lastInferenceMs: Number(stats.lastInference),
    inferenceCount: Number(stats.inferenceCount),
    executionCount: Number(stats.executionCount),
    success: duration(stats.inferenceStats?.success),
    fail: duration(stats.inferenceStats?.fail),
    queue: duration(stats.inferenceStats?.queue),
    computeInfer: duration(stats.inferenceStats?.computeInfer),
  }));
}
