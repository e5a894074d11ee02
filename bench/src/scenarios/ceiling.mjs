import { forkMeasuredProcess } from "../measured-process.mjs";

const CEILING_PROCESS = new URL("../processes/ceiling-process.mjs", import.meta.url);
/** The sweep's eleven batch sizes share about twice the measured duration of one contender. */
const SWEEP_BUDGET_SHARE = 6;

/**
 * @typedef {object} CeilingFigures
 * @property {number} bestBatchSize
 * @property {number} rowsPerSecond At the best batch size.
 * @property {{ batchSize: number, rowsPerSecond: number }[]} sweep
 */

/**
 * The ceiling: onnxruntime in one process at its best batch size, no RPC.
 * @param {import("../bench-models.mjs").BenchModel} model
 * @param {number} durationMs
 * @returns {Promise<CeilingFigures>}
 */
export async function runCeiling(model, durationMs) {
  /** @type {import("../measured-process.mjs").MeasuredProcess<CeilingFigures["sweep"]>} */
  const ceiling = forkMeasuredProcess(CEILING_PROCESS, {
    onnxPath: model.onnxPath,
    inputName: model.inputName,
    outputName: model.outputName,
  });
  try {
    const sweep = await ceiling.measure(durationMs / SWEEP_BUDGET_SHARE);
    const best = sweep.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    return { bestBatchSize: best.batchSize, rowsPerSecond: best.rowsPerSecond, sweep };
  } finally {
    await ceiling.close();
  }
}
