import {
  cpuMicrosPerRow,
  measureTogether,
  warmupMs,
  withReadyProcesses,
} from "../measure-together.mjs";
import { forkMeasuredProcess } from "../measured-process.mjs";
import { startSidecarProcess } from "../sidecar-process.mjs";
import { POOL_ROWS } from "../transaction-pool.mjs";
import { workerTotals } from "../worker-totals.mjs";

const SIDECAR_WORKER = new URL("../processes/sidecar-worker.mjs", import.meta.url);

/**
 * How the workers call the sidecar.
 * @typedef {object} SidecarVariant
 * @property {number} capacity The operator's bound on records in flight per worker.
 * @property {{ maxRows: number, maxDelayMs: number } | undefined} batch Client-side coalescing.
 * @property {"unary" | "stream"} transport One ModelInfer per call, or every call of a worker
 *   over one ModelStreamInfer stream.
 */

/**
 * The ways the benchmark drives the sidecar.
 * - perRecord: one ModelInfer per record, the operator's default capacity of 100 in flight;
 *   all batching is the sidecar's.
 * - streaming: the same records over one ModelStreamInfer stream per worker, the client's
 *   cheap path at high request rates (no HTTP/2 stream per call).
 * - coalescing: the operator also gathers up to 32 records or 1 ms into one call (half the
 *   sidecar's max_batch_size, so calls from two workers still share a batch);
 *   coalescingStream: the same calls over the worker's ModelStreamInfer stream.
 * - lowLoad: one record at a time from one worker, the latency a record pays for the RPC hop;
 *   lowLoadStream: the same over the worker's ModelStreamInfer stream.
 * @type {Record<"perRecord" | "streaming" | "coalescing" | "coalescingStream" | "lowLoad" | "lowLoadStream", SidecarVariant>}
 */
export const SIDECAR_VARIANTS = {
  perRecord: { capacity: 100, batch: undefined, transport: "unary" },
  streaming: { capacity: 100, batch: undefined, transport: "stream" },
  coalescing: { capacity: 100, batch: { maxRows: 32, maxDelayMs: 1 }, transport: "unary" },
  coalescingStream: { capacity: 100, batch: { maxRows: 32, maxDelayMs: 1 }, transport: "stream" },
  lowLoad: { capacity: 1, batch: undefined, transport: "unary" },
  lowLoadStream: { capacity: 1, batch: undefined, transport: "stream" },
};

/**
 * @typedef {import("../worker-totals.mjs").ThroughputFigures & {
 *   workers: number,
 *   averageBatchSize: number | undefined,
 *   memoryBytes: number | undefined,
 *   sidecarMemoryBytes: number | undefined,
 *   sidecarCpuMicrosPerRow: number | undefined,
 *   workerCpuMicrosPerRow: number | undefined,
 * }} SidecarFigures
 */

/**
 * One `gpu-sidecar` process and `workers` worker processes streaming records to it. The batch
 * size comes from the sidecar's own statistics over the measured phase; memory is the peak of
 * the summed resident memory of the sidecar and every worker, and of the sidecar alone; CPU
 * per row is split between the sidecar and the workers.
 * @param {import("../bench-models.mjs").BenchModel} model
 * @param {number} workers
 * @param {SidecarVariant} variant
 * @param {number} durationMs
 * @returns {Promise<SidecarFigures>}
 */
export async function runSidecar(model, workers, variant, durationMs) {
  const sidecar = await startSidecarProcess({
    repository: model.repository,
    modelName: model.modelName,
  });
  try {
    return await withReadyProcesses(
      workers,
      /** @returns {import("../measured-process.mjs").MeasuredProcess<import("../worker-totals.mjs").WorkerResult>} */
      (index) =>
        forkMeasuredProcess(SIDECAR_WORKER, {
          endpoint: sidecar.endpoint,
          modelName: model.modelName,
          inputName: model.inputName,
          outputName: model.outputName,
          capacity: variant.capacity,
          batch: variant.batch,
          transport: variant.transport,
          warmupMs: warmupMs(durationMs),
          firstSeed: index * POOL_ROWS,
        }),
      async (processes) => {
        const before = await sidecar.counts();
        const { results, sample } = await measureTogether(processes, durationMs, {
          sidecar: [sidecar.pid],
          workers: processes.map((process) => process.pid),
        });
        const after = await sidecar.counts();
        const batches = after.batches - before.batches;
        const totals = workerTotals(results);
        return {
          workers,
          ...totals,
          averageBatchSize: batches > 0 ? (after.rows - before.rows) / batches : undefined,
          memoryBytes: sample.peakTotalBytes,
          sidecarMemoryBytes: sample.peakBytes.sidecar,
          sidecarCpuMicrosPerRow: cpuMicrosPerRow(sample.cpuMs.sidecar, totals.rows),
          workerCpuMicrosPerRow: cpuMicrosPerRow(sample.cpuMs.workers, totals.rows),
        };
      },
    );
  } finally {
    await sidecar.stop();
  }
}
