// The ceiling contender: onnxruntime-node in this one process, no RPC, whole batches at a time.
// It sweeps the batch size and reports every point, so the best one is the ruler and the curve
// shows where batching stops paying.

import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import * as ort from "onnxruntime-node";
import { serveMeasurement } from "../measured-process.mjs";
import { POOL_ROWS, transactionPool } from "../transaction-pool.mjs";

/** Powers of two from 1 to POOL_ROWS (1024). */
const BATCH_SIZES = Array.from({ length: Math.log2(POOL_ROWS) + 1 }, (_, i) => 2 ** i);
/** Timed runs per batch size at least, however slow one run is, so no point is a single sample. */
const MIN_RUNS = 2;

/**
 * @typedef {object} CeilingSettings
 * @property {string} onnxPath
 * @property {string} inputName
 * @property {string} outputName
 */

/** @typedef {{ batchSize: number, rowsPerSecond: number }} SweepPoint */

await serveMeasurement(async (/** @type {CeilingSettings} */ settings) => {
  const session = await ort.InferenceSession.create(settings.onnxPath, {
    executionProviders: ["cpu"],
  });
  const features = transactionPool(0);
  /** @param {number} batchSize */
  const run = (batchSize) =>
    session.run({
      [settings.inputName]: new ort.Tensor(
        "float32",
        features.subarray(0, batchSize * FRAUD_FEATURE_COUNT),
        [batchSize, FRAUD_FEATURE_COUNT],
      ),
    });
  return {
    /** @param {number} budgetMs Time per batch size. */
    async measure(budgetMs) {
      /** @type {SweepPoint[]} */
      const sweep = [];
      for (const batchSize of BATCH_SIZES) {
        await run(batchSize); // warm-up: first-run allocations of this shape
        let runs = 0;
        const start = performance.now();
        let elapsed = 0;
        while (runs < MIN_RUNS || elapsed < budgetMs) {
          const outputs = await run(batchSize);
          if (outputs[settings.outputName]?.data.length !== batchSize) {
            throw new Error(`ceiling: batch ${batchSize} returned no ${settings.outputName} rows`);
          }
          runs++;
          elapsed = performance.now() - start;
        }
        sweep.push({ batchSize, rowsPerSecond: (runs * batchSize * 1000) / elapsed });
      }
      return sweep;
    },
    close: () => session.release(),
  };
});
