import {
  cpuMicrosPerRow,
  measureTogether,
  warmupMs,
  withReadyProcesses,
} from "../measure-together.mjs";
import { forkMeasuredProcess } from "../measured-process.mjs";
import { startSidecarProcess } from "../sidecar-process.mjs";
import { concatSamples, latencyPercentiles } from "../statistics.mjs";
import { POOL_ROWS } from "../transaction-pool.mjs";

const OVERLOAD_CLIENT = new URL("../processes/overload-client.mjs", import.meta.url);

/** Offered load as multiples of the measured capacity: at capacity, and well beyond it. */
export const OVERLOAD_FACTORS = /** @type {const} */ ([1, 3, 10]);

/**
 * Requests in flight per generator process at most. With the generators together it is well
 * above what the sidecar holds (its queue bound plus a running batch), so overload reaches the
 * sidecar, while no generator can pile requests up in its own process.
 */
export const OVERLOAD_WINDOW = 64;

/**
 * @typedef {object} OverloadPhase
 * @property {number} factor
 * @property {number} targetPerSecond Requests per second the clients were asked to offer.
 * @property {number} offeredPerSecond Requests per second they sent.
 * @property {number} withheldShare Share of the due requests not sent: the window was full.
 * @property {number} window In-flight bound of each generator process.
 * @property {number} succeededPerSecond
 * @property {number} rejectedShare Share of the sent requests answered RESOURCE_EXHAUSTED.
 * @property {number} failed Requests that failed otherwise (timeouts, transport errors).
 * @property {string | undefined} firstFailure
 * @property {number | undefined} rejectionP50Ms Time from sending to the rejection.
 * @property {number | undefined} rejectionP99Ms
 * @property {number | undefined} successP50Ms
 * @property {number | undefined} successP99Ms
 * @property {number | undefined} sidecarMemoryBytes Peak resident memory of the sidecar.
 * @property {number | undefined} sidecarCpuMicrosPerRequest Sidecar CPU per request sent.
 * @property {number | undefined} generatorCpuMicrosPerRequest The generators' CPU per request sent.
 * @property {number | undefined} generatorCpuShare The generators' CPU time ÷ (wall time ×
 *   generator processes): near 1, they were CPU-bound and their timings include their own lag.
 */

/**
 * One phase: a fresh sidecar serving the model with a small queue bound, and `clients`
 * generators offering `factor` × `capacityPerSecond` requests per second together, each with
 * at most OVERLOAD_WINDOW in flight.
 * @param {import("../bench-models.mjs").BenchModel} model
 * @param {number} factor
 * @param {number} capacityPerSecond
 * @param {number} clients
 * @param {number} durationMs
 * @returns {Promise<OverloadPhase>}
 */
async function runPhase(model, factor, capacityPerSecond, clients, durationMs) {
  const sidecar = await startSidecarProcess({
    repository: model.repository,
    modelName: model.overloadModelName,
  });
  const targetPerSecond = factor * capacityPerSecond;
  try {
    return await withReadyProcesses(
      clients,
      /** @returns {import("../measured-process.mjs").MeasuredProcess<import("../processes/overload-client.mjs").OverloadClientResult>} */
      (index) =>
        forkMeasuredProcess(OVERLOAD_CLIENT, {
          endpoint: sidecar.endpoint,
          modelName: model.overloadModelName,
          inputName: model.inputName,
          ratePerSecond: targetPerSecond / clients,
          window: OVERLOAD_WINDOW,
          warmupMs: warmupMs(durationMs),
          firstSeed: index * POOL_ROWS,
        }),
      async (processes) => {
        const { results, sample } = await measureTogether(processes, durationMs, {
          sidecar: [sidecar.pid],
          generators: processes.map((process) => process.pid),
        });
        const sum = (/** @type {(r: (typeof results)[number]) => number} */ pick) =>
          results.reduce((total, result) => total + pick(result), 0);
        const rate = (/** @type {(r: (typeof results)[number]) => number} */ pick) =>
          results.reduce((total, result) => total + (pick(result) * 1000) / result.elapsedMs, 0);
        const sent = sum((result) => result.sent);
        const withheld = sum((result) => result.withheld);
        const wallMs = Math.max(...results.map((result) => result.elapsedMs));
        const rejection = latencyPercentiles(concatSamples(results.map((r) => r.rejectionMs)));
        const success = latencyPercentiles(concatSamples(results.map((r) => r.successMs)));
        return {
          factor,
          targetPerSecond,
          offeredPerSecond: rate((result) => result.sent),
          withheldShare: sent + withheld > 0 ? withheld / (sent + withheld) : 0,
          window: OVERLOAD_WINDOW,
          succeededPerSecond: rate((result) => result.succeeded),
          rejectedShare: sent > 0 ? sum((result) => result.rejected) / sent : 0,
          failed: sum((result) => result.failed),
          firstFailure: results.find((result) => result.firstFailure !== undefined)?.firstFailure,
          rejectionP50Ms: rejection.p50Ms,
          rejectionP99Ms: rejection.p99Ms,
          successP50Ms: success.p50Ms,
          successP99Ms: success.p99Ms,
          sidecarMemoryBytes: sample.peakBytes.sidecar,
          sidecarCpuMicrosPerRequest: cpuMicrosPerRow(sample.cpuMs.sidecar, sent),
          generatorCpuMicrosPerRequest: cpuMicrosPerRow(sample.cpuMs.generators, sent),
          generatorCpuShare:
            sample.cpuMs.generators === undefined
              ? undefined
              : sample.cpuMs.generators / (wallMs * clients),
        };
      },
    );
  } finally {
    await sidecar.stop();
  }
}

/**
 * Overload: how fast the sidecar says no, and whether its memory stays bounded, when offered
 * what it can serve, three and ten times that. The phases run in turn, each on a fresh sidecar, so that one
 * phase's heap growth is not counted in the other.
 * @param {import("../bench-models.mjs").BenchModel} model
 * @param {number} capacityPerSecond Measured capacity: per-record sidecar rows/s.
 * @param {number} clients
 * @param {number} durationMs
 * @returns {Promise<OverloadPhase[]>}
 */
export async function runOverload(model, capacityPerSecond, clients, durationMs) {
  /** @type {OverloadPhase[]} */
  const phases = [];
  for (const factor of OVERLOAD_FACTORS) {
    phases.push(await runPhase(model, factor, capacityPerSecond, clients, durationMs));
  }
  return phases;
}
