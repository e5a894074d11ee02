import {
  cpuMicrosPerRow,
  measureTogether,
  warmupMs,
  withReadyProcesses,
} from "../measure-together.mjs";
import { forkMeasuredProcess } from "../measured-process.mjs";
import { POOL_ROWS } from "../transaction-pool.mjs";
import { workerTotals } from "../worker-totals.mjs";

const EMBEDDED_WORKER = new URL("../processes/embedded-worker.mjs", import.meta.url);

/**
 * @typedef {import("../worker-totals.mjs").ThroughputFigures & {
 *   workers: number,
 *   memoryBytes: number | undefined,
 *   workerCpuMicrosPerRow: number | undefined,
 * }} EmbeddedFigures
 */

/**
 * The embedded alternative: `workers` processes, each with its own copy of the model, calling
 * it per record. Memory is the peak of the summed resident memory of all of them.
 * @param {import("../bench-models.mjs").BenchModel} model
 * @param {number} workers
 * @param {number} durationMs
 * @returns {Promise<EmbeddedFigures>}
 */
export function runEmbedded(model, workers, durationMs) {
  return withReadyProcesses(
    workers,
    /** @returns {import("../measured-process.mjs").MeasuredProcess<import("../worker-totals.mjs").WorkerResult>} */
    (index) =>
      forkMeasuredProcess(EMBEDDED_WORKER, {
        onnxPath: model.onnxPath,
        inputName: model.inputName,
        outputName: model.outputName,
        warmupMs: warmupMs(durationMs),
        firstSeed: index * POOL_ROWS,
      }),
    async (processes) => {
      const { results, sample } = await measureTogether(processes, durationMs, {
        workers: processes.map((process) => process.pid),
      });
      const totals = workerTotals(results);
      return {
        workers,
        ...totals,
        memoryBytes: sample.peakTotalBytes,
        workerCpuMicrosPerRow: cpuMicrosPerRow(sample.cpuMs.workers, totals.rows),
      };
    },
  );
}
