import { seededUniform } from "./seeded-uniform.mjs";

/** Distinct records per worker; cycled, so generating input costs nothing while measuring. */
const POOL_ROWS = 1024;

/**
 * The records a worker sends: standardized features uniform in [-2, 2), drawn once from `seed`.
 * Returns the i-th record as a view (no copy), cycling through the pool.
 * @param {string} seed
 * @param {number} features
 * @returns {(index: number) => Float32Array}
 */
export function featureRows(seed, features) {
  const pool = seededUniform(seed, POOL_ROWS * features, 2);
  return (index) => {
    const start = (index % POOL_ROWS) * features;
    return pool.subarray(start, start + features);
  };
}
