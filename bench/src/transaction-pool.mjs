import { FRAUD_FEATURE_COUNT, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";

/** Records per pool: the ceiling's largest batch, and plenty of distinct records per worker. */
export const POOL_ROWS = 1024;

/**
 * `POOL_ROWS` synthetic transactions (the demo model's generator) with seeds from `firstSeed`
 * on, row-major in one Float32Array: a batch is a view, and cycling through the pool costs
 * nothing while measuring.
 * @param {number} firstSeed
 */
export function transactionPool(firstSeed) {
  const pool = new Float32Array(POOL_ROWS * FRAUD_FEATURE_COUNT);
  for (let row = 0; row < POOL_ROWS; row++) {
    pool.set(syntheticTransaction(firstSeed + row), row * FRAUD_FEATURE_COUNT);
  }
  return pool;
}

/**
 * The i-th record of a pool, cycling, as a view (no copy).
 * @param {Float32Array} pool
 * @param {number} index
 */
export function poolRow(pool, index) {
  const start = (index % POOL_ROWS) * FRAUD_FEATURE_COUNT;
  return pool.subarray(start, start + FRAUD_FEATURE_COUNT);
}
