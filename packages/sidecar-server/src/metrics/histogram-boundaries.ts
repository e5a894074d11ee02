/**
 * Upper bounds, in seconds, of the duration histograms (queue, compute, end-to-end). They span
 * a small model's sub-millisecond batch on a GPU to a queue timeout of tens of seconds, about
 * 2.5x apart, so that a quantile read from them is off by at most one such step.
 */
export const DURATION_BOUNDARIES_SECONDS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

/**
 * Upper bounds, in rows, of the batch size histogram: powers of two, the sizes models are
 * usually tuned for (`preferred_batch_sizes`), up to a large `max_batch_size`.
 */
export const BATCH_SIZE_BOUNDARIES_ROWS: readonly number[] = Object.freeze([
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
]);
