import { concatSamples, latencyPercentiles } from "./statistics.mjs";

/**
 * What one streaming worker reports for its measured phase.
 * @typedef {object} WorkerResult
 * @property {number} rows Records completed.
 * @property {number} elapsedMs The worker's own measured time, drain included.
 * @property {Float64Array} latenciesMs Per-record latency, from the record entering the worker's
 *   pipeline to its result.
 */

/**
 * @typedef {object} ThroughputFigures
 * @property {number} rows
 * @property {number} rowsPerSecond Sum of the workers' own rates: each ran for its own elapsed
 *   time, and they overlap almost entirely since all start on one signal.
 * @property {number | undefined} p50Ms Over every record of every worker.
 * @property {number | undefined} p99Ms
 */

/**
 * @param {readonly WorkerResult[]} results
 * @returns {ThroughputFigures}
 */
export function workerTotals(results) {
  return {
    rows: results.reduce((sum, result) => sum + result.rows, 0),
    rowsPerSecond: results.reduce(
      (sum, result) => sum + (result.rows * 1000) / result.elapsedMs,
      0,
    ),
    ...latencyPercentiles(concatSamples(results.map((result) => result.latenciesMs))),
  };
}
