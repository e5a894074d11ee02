/**
 * Exponential backoff: the one used for client reconnects, operator retries and executor
 * restarts alike.
 */
export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Upper bound of every delay, jitter included. */
  readonly maxDelayMs: number;
  /** Growth factor from one delay to the next. Default 2. */
  readonly multiplier?: number;
  /** Relative spread, 0 to 1: each delay is drawn from base × (1 ± jitter). Default 0. */
  readonly jitter?: number;
}

/** The delays of one retrying thing; `reset()` once it succeeded again. */
export interface Backoff {
  /** The delay before the next attempt; each call counts one failed attempt. */
  next(): number;
  reset(): void;
}

/**
 * The delay before retry `retry` (0 for the first): initial × multiplier^retry, capped, spread
 * by ± jitter, in whole milliseconds. As in gRPC's connection backoff, except that a delay never
 * exceeds `maxDelayMs` even after jitter, so a caller can rely on the bound. Pure in its
 * arguments: per-record retry state is just a count.
 */
export function backoffDelayMs(
  options: BackoffOptions,
  retry: number,
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, multiplier = 2, jitter = 0 } = options;
  // 0 × Infinity is NaN: a zero initial delay stays zero however many retries came before.
  const base =
    initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * multiplier ** retry);
  const spread = jitter === 0 ? 1 : 1 + jitter * (2 * random() - 1);
  return Math.min(maxDelayMs, Math.max(0, Math.round(base * spread)));
}

/** A counter of failed attempts over {@link backoffDelayMs}. */
export function createBackoff(
  options: BackoffOptions,
  random: () => number = Math.random,
): Backoff {
  let retry = 0;
  return {
    next: () => backoffDelayMs(options, retry++, random),
    reset() {
      retry = 0;
    },
  };
}
