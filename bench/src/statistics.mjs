/**
 * The 50th and 99th latency percentiles by the nearest-rank method (the smallest sample with at
 * least that share of all samples at or below it); `undefined` for no samples.
 * @param {Float64Array} samples Not modified.
 * @returns {{ p50Ms: number | undefined, p99Ms: number | undefined }}
 */
export function latencyPercentiles(samples) {
  const sorted = samples.slice().sort();
  /** @param {number} q */
  const rank = (q) => (sorted.length === 0 ? undefined : sorted[Math.ceil(q * sorted.length) - 1]);
  return { p50Ms: rank(0.5), p99Ms: rank(0.99) };
}

/**
 * The median of the defined values (the mean of the middle two for an even count);
 * `undefined` when there are none, so a failed round does not count as a zero.
 * @param {readonly (number | undefined)[]} values
 */
export function median(values) {
  const sorted = /** @type {number[]} */ (
    values.filter((value) => value !== undefined && Number.isFinite(value))
  ).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length >> 1;
  const upper = /** @type {number} */ (sorted[middle]);
  if (sorted.length % 2 === 1) return upper;
  const lower = /** @type {number} */ (sorted[middle - 1]);
  return (lower + upper) / 2;
}

/**
 * Concatenates the latency samples of several workers.
 * @param {readonly Float64Array[]} parts
 */
export function concatSamples(parts) {
  const all = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
