/**
 * The nearest-rank percentile (0 < p ≤ 100) of a sorted array of numbers; NaN when it is empty.
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** One sorted Float64Array of every chunk's values. */
export function sortedConcat(chunks) {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const all = new Float64Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all.sort();
}
