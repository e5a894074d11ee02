/** Exponential backoff between reconnection attempts. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Upper bound of every delay, jitter included. */
  readonly maxDelayMs: number;
  /** Growth factor from one delay to the next. */
  readonly multiplier: number;
  /** Relative spread, 0 to 1: each delay is drawn from base × (1 ± jitter). */
  readonly jitter: number;
}

/** The delays of one reconnecting thing; `reset()` once it is connected again. */
export interface Backoff {
  /** The delay before the next attempt; each call counts one failed attempt. */
  next(): number;
  reset(): void;
}

/**
 * gRPC's connection backoff (initial × multiplier^n, randomized by ± jitter), except that a
 * delay never exceeds `maxDelayMs` even after jitter: a caller can rely on the bound. Jitter
 * keeps the workers of a node from reconnecting in lock step after their sidecar restarts.
 */
export function createBackoff(
  options: BackoffOptions,
  random: () => number = Math.random,
): Backoff {
  const { initialDelayMs, maxDelayMs, multiplier, jitter } = options;
  let base = initialDelayMs;
  return {
    next() {
      const spread = 1 + jitter * (2 * random() - 1);
      const delay = Math.min(maxDelayMs, Math.max(0, Math.round(base * spread)));
      // Stops growing at the bound, so `base` never overflows however long the outage.
      base = Math.min(maxDelayMs, base * multiplier);
      return delay;
    },
    reset() {
      base = initialDelayMs;
    },
  };
}
