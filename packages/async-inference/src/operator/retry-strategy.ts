import {
  type BackoffOptions,
  backoffDelayMs,
  type ErrorCode,
  type SidecarError,
} from "@gpu-sidecar/sidecar-core";

/** Predicates shared by both strategies; Flink's `ifException` / `ifResult`. */
interface RetryPredicates<Out> {
  /** Whether a failed attempt is retried. Default: UNAVAILABLE and RESOURCE_EXHAUSTED. */
  readonly retryOnError?: (code: ErrorCode, error: SidecarError) => boolean;
  /** Whether a successful attempt is retried anyway (e.g. an empty answer). Default: never. */
  readonly retryOnResult?: (result: Out) => boolean;
}

/** Flink's `FixedDelayRetryStrategy`: the same pause before every retry. */
export interface FixedDelayRetry<Out> extends RetryPredicates<Out> {
  readonly strategy: "fixed";
  readonly delayMs: number;
  /** Attempts in total, the first included: 1 means no retry. */
  readonly maxAttempts: number;
}

/**
 * Flink's `ExponentialBackoffRetryStrategy`, with jitter. Unlike Flink, the backoff state
 * belongs to each record: one record's failures never lengthen another record's pauses.
 */
export interface ExponentialBackoffRetry<Out> extends RetryPredicates<Out>, BackoffOptions {
  readonly strategy: "exponential";
  /** Attempts in total, the first included: 1 means no retry. */
  readonly maxAttempts: number;
}

export type RetryStrategy<Out> = FixedDelayRetry<Out> | ExponentialBackoffRetry<Out>;

/**
 * The pause before retry number `retry` (1 for the first retry) of one record. Pure in its
 * arguments, so a record's backoff depends only on its own attempt count.
 */
export function retryDelayMs<Out>(
  strategy: RetryStrategy<Out>,
  retry: number,
  random: () => number,
): number {
  if (strategy.strategy === "fixed") return strategy.delayMs;
  return backoffDelayMs(strategy, retry - 1, random);
}
